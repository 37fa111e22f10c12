"""The read trail: every view of an escalation, a document or an export is recorded."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from escalate.audit.models import ReadEvent
from escalate.common.client_address import client_address


def record_read(
    request: HttpRequest, *, what: str, escalation: Any = None, detail: str = ""
) -> ReadEvent:
    """Called by every view that shows case material, after access has been checked."""
    return ReadEvent.objects.create(
        reader=request.person,  # type: ignore[attr-defined]
        what=what,
        detail=detail[:120],
        escalation=escalation,
        # Behind the proxy, the reader's own address, not the proxy's (decision 26).
        ip_address=client_address(request) or None,
    )
