"""A file attached to an escalation through the real service, for tests of other areas (the
URL permission matrix, the API): named ``attached`` so pytest does not collect it."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from escalate.escalations.attachments import attach_file
from escalate.escalations.models import Attachment, Escalation

MINUTES = b"Minutes of the strategy discussion (invented).\n"


def attached_to(escalation: Escalation) -> Attachment:
    """The escalation's first attachment; one attached by its raiser if it has none yet."""
    existing = escalation.attachments.order_by("pk").first()
    if existing is not None:
        return existing
    return attach_file(
        escalation=escalation,
        actor=escalation.raised_by,
        upload=SimpleUploadedFile("minutes.txt", MINUTES),
        kind="minutes",
    )
