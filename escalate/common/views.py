from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from escalate.domain.access import lands_on_figures


@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End this person's sessions on every device, this one included."""
    person = getattr(request, "person", None)
    if person is None:
        raise Http404("No directory entry for this account.")
    person.sessions_revoked_at = timezone.now()
    person.save(update_fields=["sessions_revoked_at"])
    logout(request)
    return redirect("login")


@require_GET
@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Where signing in leads: the board's figures for the scrutineer and the executive,
    who open a named case only as a deliberate step; everyone else's own escalations."""
    person = getattr(request, "person", None)
    if person is not None and lands_on_figures(person.viewer()):
        return redirect("board:dashboard")
    return redirect("escalations:mine")
