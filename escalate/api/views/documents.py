"""An escalation's record as files: the Escalation Procedure Form as PDF and DOCX, and the
case-file summary as plain text, exactly as the browser's downloads
(``escalations.document_views``) serve them.

The escalation is fetched through ``escalations.access`` (404, a problem document, when
the person may not see it); each download is a read in the read trail. A read token is
enough, as for reading the escalation itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from escalate.api.views.base import ApiView, escalation_for
from escalate.api.views.escalations import ESCALATION_ID, TAG
from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.escalations.clock import local_today
from escalate.escalations.documents import (
    RECORD_DOCX,
    RECORD_PDF,
    SUMMARY_TEXT,
    DocumentFormat,
    build_record,
)


class _FileRenderer(BaseRenderer):
    """Lets a client ask for the file's media type; a problem (an error) is still JSON."""

    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        problem: bytes = JSONRenderer().render(data, accepted_media_type, renderer_context)
        return problem


def _renderer_for(document: DocumentFormat) -> type[BaseRenderer]:
    media_type = document.content_type.split(";")[0]
    return type(
        f"{document.name}Renderer",
        (_FileRenderer,),
        {"media_type": media_type, "format": document.name.rpartition(".")[2]},
    )


def _file(document: DocumentFormat, description: str, *, schema: Any = OpenApiTypes.BINARY) -> Any:
    return {
        (200, document.content_type.split(";")[0]): OpenApiResponse(schema, description=description)
    }


class _DocumentApi(ApiView):
    tags = TAG
    document: ClassVar[DocumentFormat]

    def download(self, request: Request, pk: str) -> HttpResponse:
        escalation = escalation_for(self.person, pk)
        record_read(
            request,
            what=ReadEvent.What.DOCUMENT,
            escalation=escalation,
            detail=f"API: {self.document.name}",
        )
        record = build_record(escalation, prepared_on=local_today())
        response = HttpResponse(
            self.document.render(record), content_type=self.document.content_type
        )
        response["Content-Disposition"] = (
            content_disposition_header(True, self.document.filename(record)) or "attachment"
        )
        return response


class EscalationRecordPdfApi(_DocumentApi):
    """The Escalation Procedure Form as a PDF."""

    document = RECORD_PDF
    renderer_classes = [_renderer_for(RECORD_PDF)]

    @extend_schema(
        summary="Download the Escalation Procedure Form (PDF)",
        parameters=[ESCALATION_ID],
        responses=_file(RECORD_PDF, "The record as a PDF, named by its reference."),
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        return self.download(request, pk)


class EscalationRecordDocxApi(_DocumentApi):
    """The Escalation Procedure Form as a Word document."""

    document = RECORD_DOCX
    renderer_classes = [_renderer_for(RECORD_DOCX)]

    @extend_schema(
        summary="Download the Escalation Procedure Form (Word, DOCX)",
        parameters=[ESCALATION_ID],
        responses=_file(RECORD_DOCX, "The record as a Word document, named by its reference."),
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        return self.download(request, pk)


class EscalationSummaryTextApi(_DocumentApi):
    """Each stage's outcome in plain text, for an agency's own case file; no subject's name."""

    document = SUMMARY_TEXT
    renderer_classes = [_renderer_for(SUMMARY_TEXT)]

    @extend_schema(
        summary="Download the case-file summary (text)",
        parameters=[ESCALATION_ID],
        responses=_file(
            SUMMARY_TEXT, "Each stage's outcome as UTF-8 text.", schema=OpenApiTypes.STR
        ),
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        return self.download(request, pk)
