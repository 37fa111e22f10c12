from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def demo(request: HttpRequest) -> dict[str, str]:
    """The demo's sign-in note, shown only where settings define one."""
    return {"demo_sign_in_note": getattr(settings, "DEMO_SIGN_IN_NOTE", "")}
