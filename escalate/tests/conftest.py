"""Fixtures for the cross-cutting tests in this folder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture
def api_without_rate_limits(settings: Any) -> Iterator[None]:
    """The API's rate limits lifted: a fuzz run (``make fuzz``: 200 examples a door) writes
    more than a token's 120 a minute, and a 429 would hide the answer being compared."""
    settings.ESCALATE_API_RATES = {"read": "1000000/minute", "write": "1000000/minute"}
    cache.clear()
    yield
    cache.clear()
