"""Writing and verifying the history. ``record`` runs inside the caller's transaction.

Verification (decision 22) checks, chain by chain: every keyed link; that the rows and texts
each event vouches for still read as written, or as retention left them on an escalation
whose anonymisation the chain records; and that no event the latest checkpoint saw is gone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Field, JSONField, Model, Q, QuerySet
from django.utils import timezone

from escalate.audit import events as declared
from escalate.audit.chain import (
    GENESIS,
    BrokenLink,
    ChainReport,
    ContentMismatch,
    canonical_json,
    event_content,
    event_hash,
    field_digest,
    keyed_event_hash,
)
from escalate.audit.content import (
    ANONYMISED_VALUES,
    RECORDED_FIELDS,
    REMOVED_TEXT,
    label_of,
    place_of,
    text_place,
)
from escalate.audit.events import LABELS
from escalate.audit.keys import AuditKey, current_key, key_for
from escalate.audit.models import AuditEvent, Checkpoint, EventText
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
    wrote: Sequence[Model] = (),
    texts: Mapping[str, str] | None = None,
) -> AuditEvent:
    """Append an event to its chain: the escalation's partnership's, else ``partnership``'s,
    else the national chain. Raises ValueError for an undeclared event, or an escalation
    and a partnership that disagree.

    ``wrote``: the rows the change wrote, already saved; the event vouches for their columns
    named in ``audit/content.py``. ``texts``: personal text the event records (a reason),
    kept in ``EventText`` where retention can blank it; the event holds only its digest.
    """
    if event not in LABELS:
        raise ValueError(f"Undeclared audit event {event!r}: declare it in audit/events.py.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "audit.record() must run inside the transaction of the change it records."
        )
    partnership_id = _chain_of(escalation, partnership)
    _lock_chain(partnership_id)
    previous_hash = chain_tail(partnership_id)
    key = current_key()
    entry = AuditEvent(
        occurred_at=timezone.now(),
        event=event,
        actor_id=actor.pk if actor is not None else None,
        escalation_id=escalation.pk if escalation is not None else None,
        partnership_id=partnership_id,
        stage_number=stage_number,
        data=data or {},
        previous_hash=previous_hash,
        key_id=key.key_id,
        wrote=_digests_of_rows(wrote, key) or None,
        text_digests={
            name: field_digest(secret=key.secret, place=text_place(name), value=text)
            for name, text in (texts or {}).items()
        }
        or None,
    )
    entry.hash = keyed_event_hash(
        previous_hash=previous_hash, content=_content(entry), secret=key.secret
    )
    entry.save(force_insert=True)
    if texts:
        EventText.objects.bulk_create(
            EventText(event=entry, name=name, text=text) for name, text in texts.items()
        )
    return entry


def _digests_of_rows(rows: Sequence[Model], key: AuditKey) -> dict[str, dict[str, str]]:
    """The keyed digest of each recorded column of each row, from the saved instance with each
    value as its field reads it back (a date string becomes a date), so that verification,
    which reads the rows with ``values()``, compares like with like; no query per write."""
    digests: dict[str, dict[str, str]] = {}
    for row in rows:
        label = label_of(row)
        if label not in RECORDED_FIELDS:
            raise ValueError(f"{label} is not a recorded model: name its columns in content.py.")
        digests[f"{label}:{row.pk}"] = {
            name: field_digest(
                secret=key.secret, place=place_of(label, row.pk, name), value=_stored(row, name)
            )
            for name in RECORDED_FIELDS[label]
        }
    return digests


def _stored(row: Model, name: str) -> Any:
    field = row._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{label_of(row)}.{name} is not a column.")
    value = field.value_from_object(row)
    return value if isinstance(field, JSONField) else field.to_python(value)


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
        wrote=entry.wrote,
        texts=entry.text_digests,
    )


# --- checkpoints -----------------------------------------------------------------------


_SIGNED = ("partnership_id", "taken_at", "events", "last_event_id", "last_hash", "seals_unkeyed")
_STORED = (*_SIGNED, "key_id", "signature")


@dataclass(frozen=True)
class CheckpointFacts:
    """A checkpoint as signed: from the table, or from a published copy of it."""

    partnership_id: int | None
    taken_at: datetime
    events: int
    last_event_id: int | None
    last_hash: str
    seals_unkeyed: bool
    key_id: str
    signature: str
    source: str = "table"

    @classmethod
    def of(cls, row: Any) -> CheckpointFacts:
        return cls(**{name: getattr(row, name) for name in _STORED})

    @classmethod
    def from_published(cls, line: Mapping[str, Any], *, source: str) -> CheckpointFacts:
        """From a line ``published`` wrote; raises KeyError, TypeError or ValueError if it
        is not one."""
        values = {name: line[name] for name in _STORED}
        values["taken_at"] = datetime.fromisoformat(values["taken_at"])
        return cls(**values, source=source)

    def published(self, chain: str) -> dict[str, Any]:
        """As ``escalate audit checkpoint`` prints it, one JSON line per chain."""
        values = {name: getattr(self, name) for name in _STORED}
        return {"chain": chain, **values, "taken_at": self.taken_at.isoformat()}

    def is_signed(self) -> bool:
        key = key_for(self.key_id)
        signed_text = checkpoint_text(**{name: getattr(self, name) for name in _SIGNED})
        return key is not None and key.sign(signed_text) == self.signature


def checkpoint_text(
    *,
    partnership_id: int | None,
    taken_at: datetime,
    events: int,
    last_event_id: int | None,
    last_hash: str,
    seals_unkeyed: bool,
) -> str:
    """What a checkpoint's signature covers."""
    return canonical_json(
        {
            "checkpoint": 1,
            "partnership": partnership_id,
            "taken_at": taken_at.isoformat(),
            "events": events,
            "last_event": last_event_id,
            "last_hash": last_hash,
            "seals_unkeyed": seals_unkeyed,
        }
    )


class ChainShrank(Exception):
    """The chain no longer has what its latest checkpoint saw; it is not signed over."""


def take_checkpoint(
    partnership_id: int | None,
    *,
    seals_unkeyed: bool = False,
    event_model: Any = AuditEvent,
    checkpoint_model: Any = Checkpoint,
) -> CheckpointFacts:
    """Sign and store the chain's head now, under the chain's lock, so no append is half
    counted. A head unchanged since the latest checkpoint returns that one, so a quiet chain
    adds no rows. Raises ChainShrank rather than sign over events gone since the latest
    checkpoint. (The models are arguments for the migration that seals unkeyed chains.)"""
    with transaction.atomic():
        _lock_chain(partnership_id)
        chain = event_model.objects.filter(_chain_filter(partnership_id))
        count = chain.count()
        last = chain.order_by("-pk").values_list("pk", "hash").first()
        latest = checkpoint_model.objects.filter(_chain_filter(partnership_id)).last()
        if latest is not None and not seals_unkeyed and CheckpointFacts.of(latest).is_signed():
            _ensure_kept(chain, CheckpointFacts.of(latest))
            if (latest.events, latest.last_event_id) == (count, last[0] if last else None):
                return CheckpointFacts.of(latest)
        key = current_key()
        facts = {
            "partnership_id": partnership_id,
            "taken_at": timezone.now(),
            "events": count,
            "last_event_id": last[0] if last else None,
            "last_hash": last[1] if last else GENESIS,
            "seals_unkeyed": seals_unkeyed,
        }
        row = checkpoint_model.objects.create(
            **facts, key_id=key.key_id, signature=key.sign(checkpoint_text(**facts))
        )
    return CheckpointFacts.of(row)


def _ensure_kept(chain: QuerySet[Any], latest: CheckpointFacts) -> None:
    if latest.last_event_id is None:
        return
    kept = chain.filter(pk__lte=latest.last_event_id)
    head = kept.filter(pk=latest.last_event_id).values_list("hash", flat=True).first()
    if head != latest.last_hash or kept.count() < latest.events:
        raise ChainShrank(
            f"it no longer has the {latest.events} events its checkpoint of "
            f"{latest.taken_at:%Y-%m-%d %H:%M} saw; run 'escalate audit verify'"
        )


def take_checkpoints() -> list[tuple[str, CheckpointFacts | ChainShrank]]:
    """A checkpoint of every chain (``escalate audit checkpoint``), named as verify names them;
    for a chain that shrank, the refusal instead."""
    taken: list[tuple[str, CheckpointFacts | ChainShrank]] = []
    for pk, name in _chains():
        try:
            taken.append((name, take_checkpoint(pk)))
        except ChainShrank as refusal:
            taken.append((name, refusal))
    return taken


def seal_unkeyed_chains(
    *, event_model: Any = AuditEvent, checkpoint_model: Any = Checkpoint
) -> int:
    """Vouch, with a keyed checkpoint, for each chain's events written without a key (before
    decision 22); unkeyed events after the seal fail verification. Returns chains sealed."""
    chains = (
        event_model.objects.filter(key_id__isnull=True)
        .values_list("partnership_id", flat=True)
        .distinct()
    )
    sealed = 0
    for partnership_id in sorted(set(chains), key=lambda pk: (pk is not None, pk or 0)):
        take_checkpoint(
            partnership_id,
            seals_unkeyed=True,
            event_model=event_model,
            checkpoint_model=checkpoint_model,
        )
        sealed += 1
    return sealed


# --- anonymising -----------------------------------------------------------------------


def anonymise_texts(*, escalation: Any, now: datetime) -> int:
    """Blank the personal text the history keeps about an escalation (retention). The chain
    keeps each text's digest; verification accepts the blank once the chain records the
    escalation's anonymisation, so call this in the transaction that records it."""
    return EventText.objects.filter(event__escalation=escalation, anonymised_at=None).update(
        text=REMOVED_TEXT, anonymised_at=now
    )


# --- verifying -------------------------------------------------------------------------


def _chains() -> list[tuple[int | None, str]]:
    partnerships = Partnership.objects.order_by("pk").values_list("pk", "slug")
    return [(None, NATIONAL_CHAIN), *partnerships]


def verify_chains(*, published: Iterable[CheckpointFacts] = ()) -> list[ChainReport]:
    """Walk every chain, the national one first, then each partnership's by id.

    ``published``: checkpoints kept outside the database, compared as well as the table's.
    """
    by_chain: dict[int | None, list[CheckpointFacts]] = defaultdict(list)
    for facts in published:
        by_chain[facts.partnership_id].append(facts)
    return [verify_chain(pk, name=name, published=by_chain.get(pk, [])) for pk, name in _chains()]


@dataclass
class _Walk:
    """What one chain's walk has gathered so far."""

    checkpoint_head: int | None = None
    checked: int = 0
    up_to_checkpoint: int = 0
    head_hash: str | None = None
    rows: dict[str, list[tuple[AuditEvent, str, Mapping[str, str]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    texts: list[AuditEvent] = field(default_factory=list)
    waiting: int = 0
    anonymised_at_event: dict[str, int] = field(default_factory=dict)
    mismatches: list[ContentMismatch] = field(default_factory=list)
    anonymised: int = 0


def verify_chain(
    partnership_id: int | None,
    *,
    name: str = NATIONAL_CHAIN,
    published: Sequence[CheckpointFacts] = (),
) -> ChainReport:
    """Walk one chain from its start and check what its events vouch for: events checked,
    the first broken link, content no longer as written, and events missing from its end."""
    checkpoints = [
        CheckpointFacts.of(row) for row in Checkpoint.objects.filter(_chain_filter(partnership_id))
    ] + list(published)
    walk = _Walk(anonymised_at_event=_anonymisations(partnership_id))
    for facts in checkpoints:
        if not facts.is_signed():
            walk.mismatches.append(
                ContentMismatch(
                    0,
                    f"checkpoint of {facts.events} events ({facts.source})",
                    "its signature does not verify with any configured audit key",
                )
            )
    signed = [facts for facts in checkpoints if facts.is_signed()]
    seals = [facts.last_event_id or 0 for facts in signed if facts.seals_unkeyed]
    unkeyed_until = max(seals, default=0)
    latest = max(signed, key=lambda facts: facts.taken_at, default=None)
    walk.checkpoint_head = latest.last_event_id if latest is not None else None

    previous_hash = GENESIS
    broken: BrokenLink | None = None
    for entry in _events_of(partnership_id):
        broken = _broken_link(entry, previous_hash, unkeyed_until)
        if broken is not None:
            break
        previous_hash = entry.hash
        walk.checked += 1
        if walk.checkpoint_head is not None and entry.pk <= walk.checkpoint_head:
            walk.up_to_checkpoint += 1
            if entry.pk == walk.checkpoint_head:
                walk.head_hash = entry.hash
        _gather(entry, walk)
    _check_content(walk)
    tail_missing = None
    if latest is not None and broken is None:
        tail_missing, broken = _against_checkpoint(latest, walk)
    return ChainReport(
        partnership_id,
        name,
        walk.checked,
        broken,
        mismatches=tuple(walk.mismatches),
        tail_missing=tail_missing,
        checkpoint_events=latest.events if latest is not None else None,
        anonymised=walk.anonymised,
    )


def _broken_link(entry: AuditEvent, previous_hash: str, unkeyed_until: int) -> BrokenLink | None:
    if entry.previous_hash != previous_hash:
        return BrokenLink(entry.pk, "its link to the previous event does not match")
    if entry.key_id is None:
        if entry.pk > unkeyed_until:
            return BrokenLink(entry.pk, "it is not signed with an audit key and no seal covers it")
        expected = event_hash(previous_hash=previous_hash, content=_content(entry))
    else:
        key = key_for(entry.key_id)
        if key is None:
            return BrokenLink(
                entry.pk, f"it is signed with audit key {entry.key_id}, not configured"
            )
        expected = keyed_event_hash(
            previous_hash=previous_hash, content=_content(entry), secret=key.secret
        )
    if entry.hash != expected:
        return BrokenLink(entry.pk, "its content no longer matches its hash")
    return None


def _anonymisations(partnership_id: int | None) -> dict[str, int]:
    """Each escalation the chain records as anonymised, with that event's id. Read before the
    walk, which must know it for events earlier than the anonymisation; an event forged here
    breaks the chain in the walk."""
    found: dict[str, int] = {}
    rows = (
        _on_chain(partnership_id)
        .filter(event=declared.ESCALATION_ANONYMISED, escalation__isnull=False)
        .order_by("pk")
        .values_list("escalation_id", "pk")
    )
    for escalation_id, pk in rows:
        found.setdefault(str(escalation_id), pk)
    return found


_CONTENT_BATCH = 2000


def _gather(entry: AuditEvent, walk: _Walk) -> None:
    """Note what the event vouches for; check it a batch at a time, so memory stays flat."""
    for ref, digests in (entry.wrote or {}).items():
        label, _, pk = ref.rpartition(":")
        walk.rows[label].append((entry, pk, digests))
        walk.waiting += 1
    if entry.text_digests:
        walk.texts.append(entry)
        walk.waiting += 1
    if walk.waiting >= _CONTENT_BATCH:
        _check_content(walk)


def _check_content(walk: _Walk) -> None:
    _check_rows(walk)
    _check_texts(walk)
    walk.rows.clear()
    walk.texts.clear()
    walk.waiting = 0


def _anonymised_after(entry: AuditEvent, walk: _Walk) -> bool:
    """Whether the chain records, after this event, the anonymisation of its escalation."""
    at = walk.anonymised_at_event.get(str(entry.escalation_id))
    return at is not None and at > entry.pk


def _check_rows(walk: _Walk) -> None:
    for label, checks in walk.rows.items():
        fields = RECORDED_FIELDS.get(label)
        if fields is None:
            walk.mismatches += [
                ContentMismatch(entry.pk, f"{label}:{pk}", "it names a model verify cannot read")
                for entry, pk, _ in checks
            ]
            continue
        model = apps.get_model(label)
        stored: dict[str, dict[str, Any]] = {}
        pks = sorted({pk for _, pk, _ in checks})
        for start in range(0, len(pks), 1000):
            for row in model._base_manager.filter(pk__in=pks[start : start + 1000]).values(
                "pk", *fields
            ):
                stored[str(row["pk"])] = row
        for entry, pk, digests in checks:
            _check_row(entry, label, pk, digests, stored.get(pk), walk)


def _check_row(
    entry: AuditEvent,
    label: str,
    pk: str,
    digests: Mapping[str, str],
    row: dict[str, Any] | None,
    walk: _Walk,
) -> None:
    if row is None:
        walk.mismatches.append(ContentMismatch(entry.pk, f"{label}:{pk}", "the row is gone"))
        return
    secret = _secret_of(entry)
    for name, digest in digests.items():
        place = place_of(label, pk, name)
        if name in row and field_digest(secret=secret, place=place, value=row[name]) == digest:
            continue
        if row.get(name) in ANONYMISED_VALUES and _anonymised_after(entry, walk):
            walk.anonymised += 1
            continue
        walk.mismatches.append(ContentMismatch(entry.pk, place, "it no longer reads as written"))


def _check_texts(walk: _Walk) -> None:
    for start in range(0, len(walk.texts), 1000):
        entries = walk.texts[start : start + 1000]
        kept = {
            (text.event_id, text.name): text
            for text in EventText.objects.filter(event_id__in=[entry.pk for entry in entries])
        }
        for entry in entries:
            secret = _secret_of(entry)
            for name, digest in (entry.text_digests or {}).items():
                text = kept.get((entry.pk, name))
                place = text_place(name)
                if text is None:
                    walk.mismatches.append(ContentMismatch(entry.pk, place, "the text is gone"))
                elif text.anonymised_at is not None:
                    if _anonymised_after(entry, walk) and text.text == REMOVED_TEXT:
                        walk.anonymised += 1
                    else:
                        walk.mismatches.append(
                            ContentMismatch(
                                entry.pk, place, "it was blanked with no anonymisation recorded"
                            )
                        )
                elif field_digest(secret=secret, place=text_place(name), value=text.text) != digest:
                    walk.mismatches.append(
                        ContentMismatch(entry.pk, place, "it no longer reads as written")
                    )


def _secret_of(entry: AuditEvent) -> bytes:
    key = key_for(entry.key_id) if entry.key_id else None
    return key.secret if key is not None else b""


def _against_checkpoint(latest: CheckpointFacts, walk: _Walk) -> tuple[int, BrokenLink | None]:
    """Events the checkpoint saw that the chain no longer has, and a head that differs."""
    if latest.last_event_id is None:
        return 0, None
    if walk.head_hash is not None and walk.head_hash != latest.last_hash:
        return 0, BrokenLink(latest.last_event_id, "its hash differs from the checkpoint's")
    return max(latest.events - walk.up_to_checkpoint, 0), None


def _chain_filter(partnership_id: int | None) -> Q:
    return (
        Q(partnership__isnull=True) if partnership_id is None else Q(partnership_id=partnership_id)
    )


def _events_of(partnership_id: int | None) -> Iterator[AuditEvent]:
    # Served by the (partnership, id) index: one chain costs its own events only.
    return _on_chain(partnership_id).order_by("pk").iterator(chunk_size=2000)


def _on_chain(partnership_id: int | None) -> QuerySet[AuditEvent]:
    if partnership_id is None:
        return AuditEvent.objects.filter(partnership__isnull=True)
    return AuditEvent.objects.filter(partnership_id=partnership_id)
