"""Downloads of an escalation's record: PDF, DOCX and a plain-text outcome summary, and
the same record as a page to print.

Each fetches the escalation through ``access.get_for``, so anyone who cannot see it
gets a 404, and records the read in the read trail. File names carry the reference,
never the subject's name, and nothing is cached on the way.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.escalations.access import get_for
from escalate.escalations.clock import local_today
from escalate.escalations.documents import (
    RECORD_DOCX,
    RECORD_PDF,
    SUMMARY_TEXT,
    DocumentFormat,
    EscalationRecord,
    build_record,
    print_html,
)
from escalate.escalations.models import Escalation

PRINT_VIEW = "print"
"""The read trail's detail for the print view."""


@login_required
@require_GET
def record_pdf(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _download(request, pk, RECORD_PDF)


@login_required
@require_GET
def record_docx(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _download(request, pk, RECORD_DOCX)


@login_required
@require_GET
def summary_text(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _download(request, pk, SUMMARY_TEXT)


@login_required
@require_GET
def record_print(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The PDF's HTML as a web page, styled for printing."""
    escalation, record = _record_for(request, pk, detail=PRINT_VIEW)
    response = HttpResponse(print_html(record, back_url=escalation.get_absolute_url()))
    add_never_cache_headers(response)
    return response


def _download(request: HttpRequest, pk: UUID, document: DocumentFormat) -> HttpResponse:
    _, record = _record_for(request, pk, detail=document.name)
    return _attachment(
        document.render(record),
        content_type=document.content_type,
        filename=document.filename(record),
    )


def _record_for(
    request: HttpRequest, pk: UUID, *, detail: str
) -> tuple[Escalation, EscalationRecord]:
    person = getattr(request, "person", None)
    if person is None:
        raise Http404("No such escalation.")
    escalation = get_for(person, str(pk))
    record_read(request, what=ReadEvent.What.DOCUMENT, escalation=escalation, detail=detail)
    return escalation, build_record(escalation, prepared_on=local_today())


def _attachment(body: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    add_never_cache_headers(response)
    return response
