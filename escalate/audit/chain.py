"""The hash chain: each event's hash covers its content and the previous event's hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def event_hash(*, previous_hash: str, content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous_hash}|{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str
