"""A time-based one-time password as a second factor, with django-otp.

Who must use it is a setting (``ESCALATE_SECOND_FACTOR``): ``above_practitioner``
(the default: every role above practitioner, every partnership role, staff),
``everyone``, or ``nobody`` (the demo only, which says so on its sign-in page).
"""

from __future__ import annotations

from collections.abc import Callable

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_otp import login as otp_login
from django_otp.middleware import is_verified
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.domain.policy import LadderRole

SET_UP_PATH = "/sign-in/second-factor/set-up/"
VERIFY_PATH = "/sign-in/second-factor/"
_ALWAYS_ALLOWED = (SET_UP_PATH, VERIFY_PATH, "/sign-out/", "/static/")


def second_factor_required(request: HttpRequest) -> bool:
    policy = settings.ESCALATE_SECOND_FACTOR
    if policy == "nobody":
        return False
    if policy == "everyone" or request.user.is_staff:
        return True
    person = getattr(request, "person", None)
    if person is None:
        return True
    above_practitioner = bool(person.ladder_role) and person.ladder_role != LadderRole.PRACTITIONER
    return bool(above_practitioner or person.partnership_roles.exists())


class SecondFactorMiddleware:
    """Sends a signed-in person who still owes a second factor to set one up or enter it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not is_verified(user)
            and not request.path.startswith(_ALWAYS_ALLOWED)
            and second_factor_required(request)
        ):
            has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            return redirect(VERIFY_PATH if has_device else SET_UP_PATH)
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        min_length=6,
        max_length=6,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError("The code is 6 digits, like 123456")
        return code


@login_required
def set_up(request: HttpRequest) -> HttpResponse:
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name="Authenticator app", confirmed=False
        )
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("code", "That code is not right: check your app and try again")
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
    return render(
        request,
        "registration/second_factor_set_up.html",
        {"form": form, "qr_data_uri": qr, "secret": _base32(device.bin_key)},
    )


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if form.is_valid():
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["code"]):
                otp_login(request, device)
                return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("code", "That code is not right: check your app and try again")
    return render(request, "registration/second_factor_verify.html", {"form": form})


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")
