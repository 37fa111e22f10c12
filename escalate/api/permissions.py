"""Who may call: a person from the directory, with a token whose scope allows the method."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from escalate.api.models import ApiToken


class PersonWithTokenScope(BasePermission):
    message = "Authenticate with an API token."

    def has_permission(self, request: Request, view: Any) -> bool:
        # The browser's middleware sets ``request.person`` from a session; only the view's
        # own authenticators (a token, for every resource) count here.
        if request.successful_authenticator is None or getattr(request, "person", None) is None:
            return False
        token = request.auth
        if (
            isinstance(token, ApiToken)
            and request.method not in SAFE_METHODS
            and not token.allows_writes
        ):
            self.message = "This token is read-only: create a read and write token to make changes."
            return False
        return True
