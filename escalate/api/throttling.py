"""Rate limits per token (or per signed-in user, or per address), for reads and writes.

Rates are read from ``ESCALATE_API_RATES`` at each request, so a deployment (or a test)
can change them without restarting anything.

Counted with the cache's own atomic increment (decision 24): DRF's throttle reads a list of
times, appends and writes it back, so two processes answering the same token at the same
moment each saw room and the limit let a few more through (21 and 22 of 20 with 8 and 16
threads across two web processes). Here each window of the rate's length has one counter;
a request counts against the current window's plus the part of the previous window's that
still overlaps the last ``duration`` seconds, so there is no burst at a window's edge.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from escalate.api.models import ApiToken
from escalate.common.client_address import client_address


class TokenRateThrottle(SimpleRateThrottle):
    cache_format = "escalate-api-throttle:%(scope)s:%(ident)s"

    def __init__(self) -> None:
        # The scope depends on the request's method, so the rate is chosen per request.
        self.scope = "read"

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = "read" if request.method in SAFE_METHODS else "write"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.seconds_to_wait: float | None = None
        self.key = self.get_cache_key(request, view)
        if self.num_requests is None or self.duration is None or self.key is None:
            return True
        return self.counted_within_rate(self.timer(), self.num_requests, self.duration)

    def counted_within_rate(self, now: float, limit: int, duration: int) -> bool:
        """Count this request, unless the last ``duration`` seconds already hold ``limit``."""
        window, elapsed = divmod(now, duration)
        current_key = f"{self.key}:{int(window)}"
        previous = int(self.cache.get(f"{self.key}:{int(window) - 1}", 0))
        overlapping = previous * (1 - elapsed / duration)
        # Kept for two windows: it is read as "the previous window" throughout the next one.
        self.cache.add(current_key, 0, timeout=2 * duration + 1)
        try:
            counted = int(self.cache.incr(current_key))
        except ValueError:  # the counter expired between add and incr
            self.cache.add(current_key, 1, timeout=2 * duration + 1)
            counted = 1
        if overlapping + counted <= limit:
            return True
        self.cache.decr(current_key)  # a refused request does not count against the caller
        self.seconds_to_wait = seconds_until_room(previous, counted - 1, elapsed, limit, duration)
        return False

    def wait(self) -> float | None:
        return None if self.seconds_to_wait is None else float(math.ceil(self.seconds_to_wait))

    def get_rate(self) -> str | None:
        rates: dict[str, str] = settings.ESCALATE_API_RATES
        return rates.get(self.scope or "read")

    def get_ident(self, request: Request) -> str:
        """The caller's address by the rule sign-in lockout uses (decision 26), not DRF's
        NUM_PROXIES count, which would believe whatever a client put in X-Forwarded-For."""
        return client_address(request)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        if isinstance(token, ApiToken):
            ident = f"token-{token.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def seconds_until_room(
    previous: int, current: int, elapsed: float, limit: int, duration: int
) -> float:
    """How long until one more request fits: the previous window's share shrinks as time
    passes; if the current window alone is full, the rest of it."""
    if current < limit and previous:
        # previous * (1 - t / duration) + current + 1 <= limit, solved for the moment t.
        moment = duration * (1 - (limit - current - 1) / previous)
        return max(0.0, moment - elapsed)
    return duration - elapsed
