"""Every error as ``application/problem+json`` (RFC 9457), never a 500 for bad input.

A request the document says is malformed is 400. A well-formed one that the procedure or
the directory refuses as things stand (a stage it does not allow, an email already in the
directory, an id naming nothing the person can use) is 409. A stale revision is 412, a
missing ``If-Match`` 428, an action the person may not take 403 and an escalation they may
not see 404, exactly as in the browser. Validation errors list each problem with a JSON
pointer into the body (``pointer``), or the query parameter (``parameter``) or header
(``header``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from escalate.domain.deadlines import TimelineRefused
from escalate.domain.engine import TransitionRefused
from escalate.escalations.services import StaleEscalation
from escalate.organisations.services import DirectoryRefused

PROBLEM_CONTENT_TYPE = "application/problem+json"
_TYPE_BASE = "tag:escalate.app,2026:problems/"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    status: int

    @property
    def uri(self) -> str:
        return f"{_TYPE_BASE}{self.slug}"


VALIDATION = ProblemType("validation", "Your request has errors", 400)
TRANSITION_REFUSED = ProblemType("transition-refused", "The escalation cannot do that now", 409)
STALE = ProblemType("stale", "The escalation has changed since you read it", 412)
PRECONDITION_REQUIRED = ProblemType(
    "precondition-required", "Send If-Match with the ETag you last read", 428
)
IDEMPOTENCY_KEY_REUSED = ProblemType(
    "idempotency-key-reused", "This Idempotency-Key was used for a different request", 422
)
FORBIDDEN = ProblemType("forbidden", "You cannot do this", 403)
DIRECTORY_REFUSED = ProblemType("directory-refused", "The directory cannot take that", 409)
FILE_REFUSED = ProblemType("file-refused", "The file cannot be attached", 415)
PROCEDURE_REFUSED = ProblemType("procedure-refused", "The procedure does not allow that", 409)
REFERENCE_REFUSED = ProblemType("reference-refused", "The request names something unusable", 409)
PROBLEM_TYPES = (
    VALIDATION,
    TRANSITION_REFUSED,
    DIRECTORY_REFUSED,
    FILE_REFUSED,
    PROCEDURE_REFUSED,
    REFERENCE_REFUSED,
    STALE,
    PRECONDITION_REQUIRED,
    IDEMPOTENCY_KEY_REUSED,
    FORBIDDEN,
)


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = "Send If-Match with the ETag from your last read of this resource."


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since you read it: read it again, then retry."


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was already used for a different request: use a new key."


class ReferenceRefused(exceptions.ValidationError):
    """Ids in a well-formed body that name nothing the person can use here: 409, with a
    pointer to each, like the procedure's refusals (an agency outside the partnership)."""

    status_code = 409


class UnknownCursor(exceptions.NotFound):
    """A cursor that names no page: cursors are opaque, so no schema can tell a client one
    is wrong before asking, and the page it asked for is not found (404)."""

    default_detail = "This cursor is not valid: follow the next and previous links as given."


class UnacceptableFile(exceptions.ValidationError):
    """An upload whose content no schema can describe is refused: too large (413), or not
    a type that may be attached, or not the type it claims to be (415)."""

    def __init__(self, detail: str, *, too_large: bool) -> None:
        super().__init__({"file": [detail]})
        self.status_code = 413 if too_large else 415


class InvalidParameters(exceptions.ValidationError):
    """Validation errors in the query string or headers rather than the body."""

    def __init__(self, detail: Any, *, location: str = "parameter") -> None:
        super().__init__(detail)
        self.location = location


def problem(
    problem_type: ProblemType | None,
    *,
    status_code: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": problem_type.uri if problem_type else "about:blank",
        "title": problem_type.title if problem_type else HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, answering every known error as a problem document."""
    response = _problem_for(exc)
    if response is not None and "request" in context:
        response.data["instance"] = context["request"].path
    return response


def _problem_for(exc: Exception) -> Response | None:
    if isinstance(exc, TransitionRefused):
        return problem(TRANSITION_REFUSED, status_code=409, detail=str(exc))
    if isinstance(exc, StaleEscalation):
        return problem(STALE, status_code=412, detail=str(exc))
    if isinstance(exc, PreconditionRequired):
        return problem(PRECONDITION_REQUIRED, status_code=428, detail=_text(exc.detail))
    if isinstance(exc, PreconditionFailed):
        return problem(STALE, status_code=412, detail=_text(exc.detail))
    if isinstance(exc, IdempotencyKeyReused):
        return problem(IDEMPOTENCY_KEY_REUSED, status_code=422, detail=_text(exc.detail))
    if isinstance(exc, DirectoryRefused):
        pointer = f"#/{exc.field}" if exc.field else "#"
        return problem(
            DIRECTORY_REFUSED,
            status_code=409,
            detail=str(exc),
            errors=[{"pointer": pointer, "detail": str(exc)}],
        )
    if isinstance(exc, TimelineRefused):
        return problem(
            PROCEDURE_REFUSED,
            status_code=409,
            detail=str(exc),
            errors=[{"parameter": "start_at", "detail": str(exc)}],
        )
    if isinstance(exc, UnknownCursor):
        detail = _text(exc.detail)
        return problem(
            None, status_code=404, detail=detail, errors=[{"parameter": "cursor", "detail": detail}]
        )
    if isinstance(exc, Http404):
        return problem(None, status_code=404, detail=str(exc) or "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return problem(FORBIDDEN, status_code=403, detail=str(exc) or "You cannot do this.")
    if isinstance(exc, UnacceptableFile):
        errors = list(_flatten(exc.detail, location="pointer", path=()))
        return problem(
            FILE_REFUSED, status_code=exc.status_code, detail=_summary(errors), errors=errors
        )
    if isinstance(exc, ReferenceRefused):
        errors = list(_flatten(exc.detail, location="pointer", path=()))
        return problem(REFERENCE_REFUSED, status_code=409, detail=_summary(errors), errors=errors)
    if isinstance(exc, exceptions.ValidationError):
        location = getattr(exc, "location", "pointer")
        errors = list(_flatten(exc.detail, location=location, path=()))
        return problem(
            VALIDATION,
            status_code=400,
            detail=_summary(errors),
            errors=errors,
        )
    if isinstance(exc, exceptions.APIException):
        return _api_exception(exc)
    return None


def _api_exception(exc: exceptions.APIException) -> Response:
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    problem_type = FORBIDDEN if isinstance(exc, exceptions.PermissionDenied) else None
    return problem(
        problem_type, status_code=exc.status_code, detail=_text(exc.detail), headers=headers
    )


def _text(detail: Any) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_text(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(_text(item) for item in detail.values())
    return str(detail)


def _flatten(detail: Any, *, location: str, path: tuple[str, ...]) -> Any:
    """Each message of a DRF error tree, with where it belongs."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            nested = path if key == "non_field_errors" else (*path, str(key))
            yield from _flatten(value, location=location, path=nested)
    elif isinstance(detail, list) and detail and all(isinstance(d, str) for d in detail):
        for message in detail:
            yield _error(location, path, str(message))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                yield from _flatten(value, location=location, path=(*path, str(index)))
    else:
        yield _error(location, path, str(detail))


def _error(location: str, path: tuple[str, ...], message: str) -> dict[str, str]:
    if location == "pointer":
        escaped = [part.replace("~", "~0").replace("/", "~1") for part in path]
        return {"pointer": "#/" + "/".join(escaped) if path else "#", "detail": message}
    return {location: ".".join(path), "detail": message}


def _summary(errors: list[dict[str, str]]) -> str:
    if len(errors) == 1:
        return errors[0]["detail"]
    return f"There are {len(errors)} problems with your request."
