"""The hash chains: each event's hash covers its content and the previous event's hash.

There is one chain per partnership, holding every event about its escalations, and
one national chain (partnership None) for events about no single partnership. The
national chain also holds every event written before chains were split, unchanged
(decision record 0006). Everything here is plain Python, so a bulk seeder can build
valid rows without calling ``record()``.

Since decision 22 the link is keyed: an HMAC-SHA256 with a secret held outside the
database (``audit/keys.py``), so someone who rewrites rows cannot recompute a chain that
verifies. Events written before it (``key_id`` empty) kept their plain SHA-256 links and are
vouched for by a keyed seal over each chain's head then (``Checkpoint.seals_unkeyed``). The
content also covers digests of the rows the change wrote (``wrote``) and of the personal
text kept beside the event (``texts``), each keyed too, so a short value cannot be guessed
from its digest once retention has blanked it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

GENESIS = "0" * 64


def event_content(
    *,
    occurred_at: datetime,
    event: str,
    actor_id: int | None,
    escalation_id: UUID | str | None,
    stage_number: int | None,
    data: dict[str, Any],
    partnership_id: int | None,
    wrote: dict[str, dict[str, str]] | None = None,
    texts: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What an event's hash covers, from the values stored on its row.

    ``occurred_at`` must be timezone-aware, as stored (UTC). The partnership is part of
    the content only on a partnership's chain, so national events, and those written
    before chains were split, keep the shape they were hashed with.
    """
    content: dict[str, Any] = {
        "occurred_at": occurred_at.isoformat(),
        "event": event,
        "actor": actor_id,
        "escalation": str(escalation_id) if escalation_id else None,
        "stage": stage_number,
        "data": data,
    }
    if partnership_id is not None:
        content["partnership"] = partnership_id
    # Only on events that carry them, so every event written before keeps its shape.
    if wrote:
        content["wrote"] = wrote
    if texts:
        content["texts"] = texts
    return content


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(*, previous_hash: str, content: dict[str, Any]) -> str:
    """The unkeyed link of events written before decision 22 (``key_id`` empty)."""
    return hashlib.sha256(f"{previous_hash}|{canonical_json(content)}".encode()).hexdigest()


def keyed_link(*, previous_hash: str, canonical_content: str, secret: bytes) -> str:
    """The keyed link: HMAC-SHA256 over what ``event_hash`` hashed."""
    message = f"{previous_hash}|{canonical_content}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def keyed_event_hash(*, previous_hash: str, content: dict[str, Any], secret: bytes) -> str:
    return keyed_link(
        previous_hash=previous_hash, canonical_content=canonical_json(content), secret=secret
    )


def field_digest(*, secret: bytes, place: str, value: Any) -> str:
    """A keyed digest of one value written at ``place`` (``"escalations.contact:12.summary"``
    or ``"text.reason"``): bound to its place, so digests cannot be swapped between rows."""
    message = f"{place}|{canonical_json(value)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str


@dataclass(frozen=True)
class ContentMismatch:
    """A row or text an event vouches for that no longer reads as it was written."""

    event_id: int
    place: str
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """One chain's verification: ``partnership_id`` None is the national chain.

    ``tail_missing`` counts events the latest checkpoint saw that the chain no longer has
    (None: no checkpoint to compare with). ``checkpoint_events`` is that checkpoint's count.
    """

    partnership_id: int | None
    name: str
    checked: int
    broken: BrokenLink | None = None
    mismatches: tuple[ContentMismatch, ...] = ()
    tail_missing: int | None = None
    checkpoint_events: int | None = None
    anonymised: int = 0

    @property
    def is_intact(self) -> bool:
        return self.broken is None and not self.mismatches and not self.tail_missing
