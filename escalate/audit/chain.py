"""The hash chains: each event's hash covers its content and the previous event's hash.

There is one chain per partnership, holding every event about its escalations, and
one national chain (partnership None) for events about no single partnership. The
national chain also holds every event written before chains were split, unchanged
(decision record 0006). Everything here is plain Python, so a bulk seeder can build
valid rows without calling ``record()``.
"""

from __future__ import annotations

import hashlib
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
    return content


def event_hash(*, previous_hash: str, content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous_hash}|{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """One chain's verification: ``partnership_id`` None is the national chain."""

    partnership_id: int | None
    name: str
    checked: int
    broken: BrokenLink | None = None
