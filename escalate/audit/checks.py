"""System checks: a deployment that signs its history with a key derived from SECRET_KEY
(the demo's) is warned, since whoever reads SECRET_KEY could then rewrite a chain."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from escalate.audit.keys import is_derived_key


@register(Tags.security, deploy=True)
def check_audit_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if is_derived_key() and not settings.DEBUG:
        return [
            Warning(
                "ESCALATE_AUDIT_KEYS is not set: the audit chain is signed with a key derived "
                "from SECRET_KEY.",
                hint="Set ESCALATE_AUDIT_KEYS to a random secret held outside the database "
                "(docs/production.md, 'The audit key').",
                id="audit.W001",
            )
        ]
    return []
