"""Django's own password forms, rendered the GOV.UK way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.models import User

from escalate.organisations.forms import GovukForm

if TYPE_CHECKING:
    _SetPasswordForm = SetPasswordForm[User]
else:  # generic only to the type checker
    _SetPasswordForm = SetPasswordForm


class NewPasswordForm(_SetPasswordForm, GovukForm):
    """Choose a password: checked by every validator in ``AUTH_PASSWORD_VALIDATORS``."""

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"


class ResetRequestForm(PasswordResetForm, GovukForm):
    """Ask for a reset link: answered the same whether or not the address is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].widget.attrs["spellcheck"] = "false"
