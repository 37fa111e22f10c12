"""The secrets the history is signed with: held outside the database (decision 22).

A key is named by its ``key_id``, a short fingerprint stored on each event and checkpoint it
signed, so verification finds the right key after a rotation without storing the key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    secret: bytes = b""

    def __repr__(self) -> str:  # never print the secret
        return f"AuditKey({self.key_id!r})"

    def sign(self, message: str) -> str:
        return hmac.new(self.secret, message.encode(), hashlib.sha256).hexdigest()


def _key(secret: str) -> AuditKey:
    raw = secret.encode()
    fingerprint = hashlib.sha256(b"escalate-audit-key-id|" + raw).hexdigest()[:12]
    return AuditKey(key_id=fingerprint, secret=raw)


def configured_keys() -> list[AuditKey]:
    """ESCALATE_AUDIT_KEYS, newest first; without any, one derived from SECRET_KEY."""
    keys = [key.strip() for key in settings.ESCALATE_AUDIT_KEYS.split(",") if key.strip()]
    if keys:
        return [_key(key) for key in keys]
    if not settings.SECRET_KEY:
        raise ImproperlyConfigured("Set ESCALATE_AUDIT_KEYS (or at least SECRET_KEY).")
    derived = hmac.new(
        settings.SECRET_KEY.encode(), b"escalate-audit-chain", hashlib.sha256
    ).hexdigest()
    return [_key(derived)]


def current_key() -> AuditKey:
    """The key that signs what is written now."""
    return configured_keys()[0]


def key_for(key_id: str) -> AuditKey | None:
    """The configured key with this id, or None if it is no longer (or never was) configured."""
    return next((key for key in configured_keys() if key.key_id == key_id), None)


def is_derived_key() -> bool:
    return not settings.ESCALATE_AUDIT_KEYS.strip(" ,")
