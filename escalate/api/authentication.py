"""``Authorization: Bearer <token>``: the token's person acts, with their own permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from escalate.api.models import ApiToken
from escalate.api.tokens import TokenRefused, authenticate_token

KEYWORD = b"bearer"


class ApiTokenAuthentication(BaseAuthentication):
    """Checks the token's hash, expiry, revocation and owner; sets ``request.person``."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        try:
            text = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("The token is not valid.") from None
        try:
            token = authenticate_token(text)
        except TokenRefused as refused:
            raise AuthenticationFailed(str(refused)) from None
        person = token.person
        # Views and the read trail find the person where the browser's middleware puts it.
        request._request.person = person  # type: ignore[attr-defined]
        return (person.user or AnonymousUser(), token)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="escalate"'
