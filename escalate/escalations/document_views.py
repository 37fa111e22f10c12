"""Downloads of an escalation's record: PDF, DOCX and a plain-text outcome summary.

Each fetches the escalation through ``access.get_for``, so anyone who cannot see it
gets a 404. File names carry the reference, never the subject's name, and nothing is
cached on the way.
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
    EscalationRecord,
    build_record,
    render_docx,
    render_pdf,
    render_summary_text,
)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain; charset=utf-8"


@login_required
@require_GET
def record_pdf(request: HttpRequest, pk: UUID) -> HttpResponse:
    record = _record_for(request, pk, detail="record.pdf")
    return _attachment(
        render_pdf(record), content_type=PDF, filename=f"{record.file_stem}-record.pdf"
    )


@login_required
@require_GET
def record_docx(request: HttpRequest, pk: UUID) -> HttpResponse:
    record = _record_for(request, pk, detail="record.docx")
    return _attachment(
        render_docx(record), content_type=DOCX, filename=f"{record.file_stem}-record.docx"
    )


@login_required
@require_GET
def summary_text(request: HttpRequest, pk: UUID) -> HttpResponse:
    record = _record_for(request, pk, detail="summary.txt")
    return _attachment(
        render_summary_text(record).encode("utf-8"),
        content_type=TEXT,
        filename=f"{record.file_stem}-outcome-summary.txt",
    )


def _record_for(request: HttpRequest, pk: UUID, *, detail: str) -> EscalationRecord:
    person = getattr(request, "person", None)
    if person is None:
        raise Http404("No such escalation.")
    escalation = get_for(person, str(pk))
    record_read(request, what=ReadEvent.What.DOCUMENT, escalation=escalation, detail=detail)
    return build_record(escalation, prepared_on=local_today())


def _attachment(body: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    add_never_cache_headers(response)
    return response
