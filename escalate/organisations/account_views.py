"""Setting a password from an invitation, and resetting a forgotten one: Django's own views,
with GOV.UK pages, each password recorded in the history in the transaction that sets it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from escalate.organisations import accounts
from escalate.organisations.account_forms import NewPasswordForm, ResetRequestForm
from escalate.organisations.middleware import CURRENT_PLACE_KEY


class _SetPassword(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("accounts:password_set")
    invited = False

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None  # a leaver's link is dead

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            accounts.record_password_set(form.user, invited=self.invited)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "invited": self.invited}


class AcceptInvitation(_SetPassword):
    token_generator = accounts.invitation_tokens
    invited = True


class ResetPassword(_SetPassword):
    pass


class AskForReset(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    from_email = settings.NOTIFICATIONS_FROM_EMAIL
    template_name = "accounts/reset_request.html"
    email_template_name = "accounts/reset_email.txt"
    subject_template_name = "accounts/reset_subject.txt"
    success_url = reverse_lazy("accounts:reset_sent")


class ResetSent(auth_views.PasswordResetDoneView):
    template_name = "accounts/reset_sent.html"


class PasswordSet(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_set.html"


@require_POST
@login_required
def switch_place(request: HttpRequest) -> HttpResponse:
    """Work in another of the account's places: from the next page on, its agency, rung and
    escalations are the ones shown. Only the account's own active places can be chosen."""
    person = getattr(request, "person", None)
    chosen = request.POST.get("place", "")
    places = {str(place.person_id): place for place in person.other_places()} if person else {}
    if chosen not in places:
        messages.error(request, "That is not one of your places. Choose one shown at the top.")
        return redirect(settings.LOGIN_REDIRECT_URL)
    request.session[CURRENT_PLACE_KEY] = places[chosen].person_id
    messages.success(request, f"You are now working in {places[chosen].label}.")
    return redirect(settings.LOGIN_REDIRECT_URL)
