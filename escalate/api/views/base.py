"""What every operation class shares: the person, parsing, fetching through access, ETags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from escalate.api.conditional import revision_etag, with_etag
from escalate.api.problems import InvalidParameters
from escalate.api.records import case_view
from escalate.api.serializers import EscalationSerializer
from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.escalations import access, selectors
from escalate.escalations.clock import local_today
from escalate.escalations.models import Escalation
from escalate.organisations.models import Person

MAX_ID = 2**63 - 1


class ApiView(APIView):
    """One operation. Subclasses say how the OpenAPI document describes it."""

    tags: ClassVar[tuple[str, ...]] = ()
    problems: ClassVar[tuple[int, ...]] = ()
    """Problem statuses beyond the common ones (400, 401, 403, 404, 406, 429)."""
    requires_if_match: ClassVar[bool] = False
    sends_etag: ClassVar[bool] = False
    sends_location: ClassVar[bool] = False

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        _refuse_unknown_parameters(self, request)

    @property
    def person(self) -> Person:
        person: Person = self.request.person  # type: ignore[attr-defined]
        return person

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        # Responses may name a child: no cache may keep them.
        response["Cache-Control"] = "no-store"
        response.headers.setdefault("Vary", "Authorization")
        return response


def _refuse_unknown_parameters(view: ApiView, request: Request) -> None:
    """A misspelt filter must not silently widen a list: unknown parameters are a 400."""
    known: set[str] = set()
    filters = getattr(view, "FilterSerializer", None)
    if filters is not None:
        known.update(filters().fields)
    if getattr(view, "pagination_class", None) is not None:
        known.update({"cursor", "page_size"})
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidParameters({name: ["This parameter is not known here."] for name in unknown})


def operation(
    summary: str,
    *,
    response: Any,
    status: int = 200,
    request: Any = None,
    parameters: list[Any] | None = None,
    description: str = "",
) -> Callable[[Any], Any]:
    """``extend_schema`` with the success response under its real status code."""
    return extend_schema(
        summary=summary,
        description=description or None,
        request=request,
        responses={status: response if response is not None else OpenApiResponse()},
        parameters=parameters,
    )


def parse(serializer_class: type[serializers.Serializer], data: Any, **context: Any) -> Any:  # type: ignore[type-arg]
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def parse_query(serializer_class: type[serializers.Serializer], request: Request) -> Any:  # type: ignore[type-arg]
    params = {key: request.query_params.get(key) for key in request.query_params}
    params.pop("cursor", None)
    params.pop("page_size", None)
    serializer = serializer_class(data=params)
    if not serializer.is_valid():
        raise InvalidParameters(serializer.errors)
    return serializer.validated_data


def int_id(text: str, noun: str) -> int:
    """A numeric id from the path; anything else is a 404, as for an unknown id."""
    if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
        raise Http404(f"No such {noun}.")
    return int(text)


def visible_record_for(person: Person, pk: str) -> selectors.EscalationRecord:
    """``escalation_for`` and the record in one read: 404 if the person may not see it."""
    record = selectors.visible_escalation_record(person, _escalation_id(pk))
    if record is None:
        raise Http404("No such escalation.")
    return record


def escalation_for(person: Person, pk: str) -> Escalation:
    """The escalation through the browser's access rule: 404 if the person may not see it.

    Whether they may make a move on it is the service's question (the stage machine's
    refusal is a 409), never asked here.
    """
    return access.get_for(person, _escalation_id(pk))


def _escalation_id(pk: str) -> str:
    """``pk`` if it could be an escalation's id; a 404, not a database error, if not."""
    try:
        UUID(pk)
    except ValueError:
        raise Http404("No such escalation.") from None
    return pk


def record_api_read(request: Request, escalation: Escalation, what: str) -> None:
    record_read(
        request,
        what=ReadEvent.What.ESCALATION,
        escalation=escalation,
        detail=f"API: {what}",
    )


def escalation_response(
    request: Request,
    escalation: Escalation,
    *,
    status: int = 200,
    location: str = "",
    record: selectors.EscalationRecord | None = None,
) -> Response:
    """The escalation's whole record with the person's moves, its ETag, and a read in the
    trail; the stage machine is asked about the rows the record read, not read again."""
    record = record or selectors.escalation_record(escalation)
    person: Person = request.person  # type: ignore[attr-defined]
    context = {"today": local_today(), "case": case_view(person, record.escalation, record.rows)}
    data = EscalationSerializer(record, context=context).data
    record_api_read(request, record.escalation, "escalation")
    headers = {"Location": location} if location else None
    return with_etag(
        Response(data, status=status, headers=headers),
        revision_etag(record.escalation.revision),
    )


def etag_response(data: Any, escalation: Escalation, *, status: int = 200) -> Response:
    """``data`` with the escalation's current ETag, read after the change."""
    return with_etag(
        Response(data, status=status), revision_etag(selectors.current_revision(escalation))
    )
