from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from escalate.common.navigation import links_for
from escalate.common.oidc import refusal_text, sso_enabled


def demo(request: HttpRequest) -> dict[str, str]:
    """The demo's sign-in note, shown only where settings define one."""
    return {"demo_sign_in_note": getattr(settings, "DEMO_SIGN_IN_NOTE", "")}


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Links a page may offer: role-specific pages when signed in; on the sign-in page,
    signing in with an organisation's account, and why such a sign-in was refused.

    Who sees which link is decided in ``escalate.common.navigation``, not in templates.
    """
    enabled = sso_enabled()
    return {
        "navigation_links": SimpleLazyObject(lambda: links_for(request)),
        "organisation_sign_in_url": reverse("sign_in_organisation") if enabled else "",
        "organisation_sign_in_refusal": refusal_text(request.GET.get("refused", ""))
        if enabled
        else "",
    }
