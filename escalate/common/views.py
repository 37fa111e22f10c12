from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from escalate.common import account_security
from escalate.domain.access import lands_on_figures
from escalate.escalations.presenters import form_view
from escalate.organisations.selectors import administered_partnerships, person_for_administrator


@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End this person's sessions on every device, this one included."""
    person = getattr(request, "person", None)
    if person is None:
        raise Http404("No directory entry for this account.")
    account_security.sign_out_everywhere(person=person)
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


class ResetForm(forms.Form):
    identity_checked = forms.BooleanField(
        label="I have checked that it is really them asking, other than by email (for "
        "example, by calling their work phone)",
        error_messages={"required": "Confirm that you have checked it is really them asking"},
    )


@require_http_methods(["GET", "POST"])
@login_required
def second_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """For an administrator: reset someone's second factor, after saying what that does.
    Anyone who does not administer the person gets 404, as on the directory's pages."""
    actor = getattr(request, "person", None)
    administered = list(administered_partnerships(request.user, actor))
    person = person_for_administrator(administered, pk)
    refusal = account_security.reset_refusal(person=person, actor=actor, actor_user=request.user)
    form = ResetForm(request.POST if request.method == "POST" else None)
    if not refusal and form.is_bound and form.is_valid():
        try:
            account_security.reset_second_factor(
                person=person, actor=actor, actor_user=request.user
            )
        except account_security.SecondFactorRefused as refused:
            refusal = str(refused)
        else:
            messages.success(
                request,
                f"{person}'s second factor has been reset and they have been signed out "
                f"everywhere. We have emailed {person.email}.",
            )
            return redirect("organisations:person_edit", pk=person.pk)
    back = reverse("organisations:person_edit", kwargs={"pk": person.pk})
    return render(
        request,
        "registration/second_factor_reset.html",
        {"person": person, "refusal": refusal, "form": form_view(form), "back": back},
    )
