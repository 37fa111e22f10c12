"""Writing and verifying the history. ``record`` runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from escalate.audit.chain import GENESIS, BrokenLink, ChainReport, event_content, event_hash
from escalate.audit.events import LABELS
from escalate.audit.models import AuditEvent
from escalate.policies.models import Partnership

# Serialises appends to one chain, so two transactions never chain onto the same previous
# event. The second key is the partnership's id (0 for the national chain): appends to
# different partnerships' chains never wait on each other.
_CHAIN_LOCK_KEY = 7_316_001
_NATIONAL_LOCK_ID = 0
NATIONAL_CHAIN = "national"


def record(
    event: str,
    *,
    actor: Any,
    escalation: Any = None,
    partnership: Partnership | None = None,
    stage_number: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to its chain: the escalation's partnership's, else ``partnership``'s,
    else the national chain. Raises ValueError for an undeclared event, or an escalation
    and a partnership that disagree."""
    if event not in LABELS:
        raise ValueError(f"Undeclared audit event {event!r}: declare it in audit/events.py.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "audit.record() must run inside the transaction of the change it records."
        )
    partnership_id = _chain_of(escalation, partnership)
    _lock_chain(partnership_id)
    previous_hash = chain_tail(partnership_id)
    entry = AuditEvent(
        occurred_at=timezone.now(),
        event=event,
        actor_id=actor.pk if actor is not None else None,
        escalation_id=escalation.pk if escalation is not None else None,
        partnership_id=partnership_id,
        stage_number=stage_number,
        data=data or {},
        previous_hash=previous_hash,
    )
    entry.hash = event_hash(previous_hash=previous_hash, content=_content(entry))
    entry.save(force_insert=True)
    return entry


def _chain_of(escalation: Any, partnership: Partnership | None) -> int | None:
    if escalation is None:
        return partnership.pk if partnership is not None else None
    if partnership is not None and partnership.pk != escalation.partnership_id:
        raise ValueError("An event about an escalation belongs to that escalation's partnership.")
    return int(escalation.partnership_id)


def chain_lock_key(partnership_id: int | None) -> tuple[int, int]:
    """The two-integer PostgreSQL advisory lock that appending to this chain takes; a bulk
    writer holding it keeps ``record()`` off the chain meanwhile."""
    return (_CHAIN_LOCK_KEY, partnership_id or _NATIONAL_LOCK_ID)


def chain_tail(partnership_id: int | None) -> str:
    """The hash the chain's next event links to: its last event's, or GENESIS."""
    last = _on_chain(partnership_id).order_by("-pk").values_list("hash", flat=True).first()
    return last or GENESIS


def _lock_chain(partnership_id: int | None) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)",
                list(chain_lock_key(partnership_id)),
            )


def _content(entry: AuditEvent) -> dict[str, Any]:
    return event_content(
        occurred_at=entry.occurred_at,
        event=entry.event,
        actor_id=entry.actor_id,
        escalation_id=entry.escalation_id,
        stage_number=entry.stage_number,
        data=entry.data,
        partnership_id=entry.partnership_id,
    )


def verify_chains() -> list[ChainReport]:
    """Walk every chain, the national one first, then each partnership's by id."""
    partnerships = Partnership.objects.order_by("pk").values_list("pk", "slug")
    return [
        verify_chain(None),
        *(verify_chain(pk, name=slug) for pk, slug in partnerships),
    ]


def verify_chain(partnership_id: int | None, *, name: str = NATIONAL_CHAIN) -> ChainReport:
    """Walk one chain from its start: events checked and the first broken link, if any."""
    previous_hash = GENESIS
    checked = 0
    for entry in _events_of(partnership_id):
        broken = None
        if entry.previous_hash != previous_hash:
            broken = BrokenLink(entry.pk, "its link to the previous event does not match")
        elif entry.hash != event_hash(previous_hash=previous_hash, content=_content(entry)):
            broken = BrokenLink(entry.pk, "its content no longer matches its hash")
        if broken is not None:
            return ChainReport(partnership_id, name, checked, broken)
        previous_hash = entry.hash
        checked += 1
    return ChainReport(partnership_id, name, checked)


def _events_of(partnership_id: int | None) -> Iterator[AuditEvent]:
    # Served by the (partnership, id) index: one chain costs its own events only.
    return _on_chain(partnership_id).order_by("pk").iterator(chunk_size=2000)


def _on_chain(partnership_id: int | None) -> QuerySet[AuditEvent]:
    if partnership_id is None:
        return AuditEvent.objects.filter(partnership__isnull=True)
    return AuditEvent.objects.filter(partnership_id=partnership_id)
