"""How the OpenAPI document describes each operation, beyond its serializers.

Every operation documents the problem responses it can give, its conditional and
idempotency headers, and the headers it answers with (ETag, Location, Retry-After).
Operation ids come from the class names: ``EscalationRaiseApi`` is ``escalationRaise``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from escalate.api.conditional import IF_MATCH_PATTERN
from escalate.api.fields import schema_for
from escalate.api.idempotency import KEY_PATTERN
from escalate.api.pagination import MAX_PAGE_SIZE
from escalate.api.problems import PROBLEM_CONTENT_TYPE
from escalate.api.serializers import Serializer

_BODY_METHODS = {"POST", "PUT", "PATCH"}
_PROBLEM_DESCRIPTIONS = {
    400: "The request has errors; `errors` says where.",
    401: "No valid API token.",
    403: "The token or its person may not do this.",
    404: "No such resource, or not one the person may see.",
    406: "Only application/json is offered.",
    409: "The escalation's procedure does not allow this now.",
    412: "The resource changed since the ETag in If-Match was read.",
    413: "The file is larger than attachments may be.",
    415: "Send application/json; to attach, a file of a type that may be attached, whose "
    "content is that type.",
    422: "The Idempotency-Key was used for a different request.",
    428: "Send If-Match with the ETag from your last read.",
    429: "Too many requests for this token: wait for Retry-After seconds.",
}


class ProblemErrorSerializer(Serializer):
    detail = serializers.CharField()
    pointer = serializers.CharField(required=False, help_text="JSON pointer into the body.")
    parameter = serializers.CharField(required=False, help_text="The query parameter.")
    header = serializers.CharField(required=False, help_text="The request header.")


class ProblemSerializer(Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(required=False)
    errors = ProblemErrorSerializer(many=True, required=False)  # type: ignore[assignment]


class EscalateAutoSchema(AutoSchema):
    def get_operation_id(self) -> str:
        name = type(self.view).__name__.removesuffix("Api")
        return name[0].lower() + name[1:]

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        """``EscalationRaiseApi.InputSerializer`` is the component ``EscalationRaiseRequest``."""
        owner, _, name = type(serializer).__qualname__.rpartition(".")
        if not owner:
            return str(type(serializer).__name__)
        owner = owner.removesuffix("Api")
        return owner if name == "InputSerializer" else owner + name

    def get_tags(self) -> list[str]:
        tags = getattr(self.view, "tags", None)
        return list(tags) if tags else super().get_tags()

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        """Each field's own rules too (text patterns, list lengths): ``api.fields``."""
        super()._insert_field_validators(field, schema)  # type: ignore[no-untyped-call]
        schema.update(schema_for(field))

    def _get_pagination_parameters(self) -> list[dict[str, Any]]:
        """``page_size`` says the sizes the paginators accept (``pagination._page_size``)."""
        parameters: list[dict[str, Any]] = super()._get_pagination_parameters()  # type: ignore[no-untyped-call]
        for parameter in parameters:
            if parameter["name"] == "page_size":
                parameter["schema"].update({"minimum": 1, "maximum": MAX_PAGE_SIZE})
        return parameters

    def _problem_statuses(self) -> set[int]:
        statuses = {400, 401, 403, 404, 406, 429}
        if self.method in _BODY_METHODS:
            statuses.add(415)
        if self.method == "POST":
            statuses.add(422)
        if getattr(self.view, "requires_if_match", False):
            statuses.update({412, 428})
        statuses.update(getattr(self.view, "problems", ()))
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status_code in sorted(self._problem_statuses()):
            code = str(status_code)
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    OpenApiResponse(ProblemSerializer, _PROBLEM_DESCRIPTIONS[status_code]),
                    code,
                    (PROBLEM_CONTENT_TYPE,),
                    direction,
                )
        return responses

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        view = self.view
        if getattr(view, "requires_if_match", False):
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    {"type": "string", "pattern": IF_MATCH_PATTERN},
                    OpenApiParameter.HEADER,
                    required=True,
                    description='The ETag from your last read of the escalation, e.g. `"7"`.',
                )
            )
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    {"type": "string", "pattern": KEY_PATTERN, "minLength": 1, "maxLength": 255},
                    OpenApiParameter.HEADER,
                    description="Any unique string (a UUID): a retry with the same key and "
                    "body returns the first response instead of changing anything twice.",
                )
            )
        success = getattr(view, "success_status", 201 if self.method == "POST" else 200)
        if getattr(view, "sends_etag", False):
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=[success],
                    required=True,
                    description="The escalation's revision: send it back in If-Match.",
                )
            )
        if getattr(view, "sends_location", False):
            parameters.append(
                OpenApiParameter(
                    "Location",
                    OpenApiTypes.URI,
                    OpenApiParameter.HEADER,
                    response=[success],
                    required=True,
                    description="Where the new resource is.",
                )
            )
        parameters.append(
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[429],
                required=True,
                description="Seconds to wait before trying again.",
            )
        )
        return parameters


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "escalate.api.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from /api/tokens/, as "
            "`Authorization: Bearer esc_...`.",
        }
