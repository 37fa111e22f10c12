"""Writing and verifying the history. ``record`` runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from escalate.audit.chain import GENESIS, BrokenLink, event_hash
from escalate.audit.events import LABELS
from escalate.audit.models import AuditEvent

# Serialises appends so two transactions never chain onto the same previous event.
_CHAIN_LOCK_KEY = 7_316_001


def record(
    event: str,
    *,
    actor: Any,
    escalation: Any = None,
    stage_number: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    if event not in LABELS:
        raise ValueError(f"Undeclared audit event {event!r}: declare it in audit/events.py.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "audit.record() must run inside the transaction of the change it records."
        )
    _lock_chain()
    last = AuditEvent.objects.order_by("-pk").values_list("hash", flat=True).first()
    previous_hash = last or GENESIS
    occurred_at = timezone.now()
    entry = AuditEvent(
        occurred_at=occurred_at,
        event=event,
        actor_id=actor.pk if actor is not None else None,
        escalation_id=escalation.pk if escalation is not None else None,
        stage_number=stage_number,
        data=data or {},
        previous_hash=previous_hash,
    )
    entry.hash = event_hash(previous_hash=previous_hash, content=_content(entry))
    entry.save(force_insert=True)
    return entry


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _content(entry: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": entry.occurred_at.isoformat(),
        "event": entry.event,
        "actor": entry.actor_id,
        "escalation": str(entry.escalation_id) if entry.escalation_id else None,
        "stage": entry.stage_number,
        "data": entry.data,
    }


def verify_chain() -> tuple[int, BrokenLink | None]:
    """Walk the chain from the start; return events checked and the first broken link."""
    previous_hash = GENESIS
    checked = 0
    for entry in _all_events():
        if entry.previous_hash != previous_hash:
            return checked, BrokenLink(entry.pk, "its link to the previous event does not match")
        if entry.hash != event_hash(previous_hash=previous_hash, content=_content(entry)):
            return checked, BrokenLink(entry.pk, "its content no longer matches its hash")
        previous_hash = entry.hash
        checked += 1
    return checked, None


def _all_events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("pk").iterator(chunk_size=2000)
