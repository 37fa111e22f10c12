"""The token pages' forms: they check shape; ``tokens`` checks who may do what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings

from escalate.api.models import ApiToken
from escalate.escalations.forms import GovukForm


class TokenForm(GovukForm):
    name = forms.CharField(
        label="What is the token for?",
        max_length=100,
        help_text="For example, 'Case system at the school'. Only you and your administrators "
        "see this.",
        error_messages={
            "required": "Enter what the token is for",
            "max_length": "Use 100 characters or fewer",
        },
    )
    scope = forms.ChoiceField(
        label="What may it do?",
        choices=ApiToken.Scope.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the token may do"},
    )
    lifetime_days = forms.TypedChoiceField(
        label="How long should it last?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how long the token should last"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lifetime_days"].choices = [  # type: ignore[attr-defined]
            (str(days), f"{days} days") for days in settings.ESCALATE_API_TOKEN_LIFETIMES_DAYS
        ]
        self.option_hints["scope"] = {
            ApiToken.Scope.READ: "It can read what you can see, and change nothing.",
            ApiToken.Scope.WRITE: "It can also raise, record and move escalations as you.",
        }

    def lifetime(self) -> timedelta:
        return timedelta(days=int(self.cleaned_data["lifetime_days"]))

    def scope_choice(self) -> ApiToken.Scope:
        return ApiToken.Scope(self.cleaned_data["scope"])


class FindPersonForm(GovukForm):
    email = forms.EmailField(
        label="Their email address",
        error_messages={
            "required": "Enter the person's email address",
            "invalid": "Enter an email address like name@example.org",
        },
    )
