"""Rate limits per token (or per signed-in user, or per address), for reads and writes.

Rates are read from ``ESCALATE_API_RATES`` at each request, so a deployment (or a test)
can change them without restarting anything.
"""

from __future__ import annotations

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
        return super().allow_request(request, view)

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
