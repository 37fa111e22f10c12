"""A time-based one-time password as a second factor, with django-otp.

Who must use it is a setting (``ESCALATE_SECOND_FACTOR``): ``above_practitioner``
(the default: every role above practitioner, every partnership role, staff),
``everyone``, or ``nobody`` (the demo only, which says so on its sign-in page).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

import segno
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.middleware import OTPMiddleware, is_verified
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.common import account_security
from escalate.common.text import whole_number
from escalate.domain.policy import LadderRole
from escalate.escalations.presenters import form_view

SET_UP_PATH = "/sign-in/second-factor/set-up/"
VERIFY_PATH = "/sign-in/second-factor/"
_ALWAYS_ALLOWED = (SET_UP_PATH, VERIFY_PATH, "/sign-out/", "/static/")
SESSION_DEVICE_CONFIRMED = "session_device_confirmed"
"""On the signed-in person's row: the device this session was verified with is still theirs."""
HAS_DEVICE = "has_second_factor_device"
"""On the signed-in person's row: they have set an authenticator app up."""


def device_annotations(session: SessionBase) -> dict[str, Exists]:
    """What ``CurrentPersonMiddleware`` adds to its query of the signed-in person, so the
    second factor costs no query of its own on each request."""
    confirmed_for_user = {"user_id": OuterRef("user_id"), "confirmed": True}
    annotations = {HAS_DEVICE: Exists(TOTPDevice.objects.filter(**confirmed_for_user))}
    named = _named_device(session)
    if named is not None:
        annotations[SESSION_DEVICE_CONFIRMED] = Exists(named.filter(**confirmed_for_user))
    return annotations


def _named_device(session: SessionBase) -> QuerySet[Any] | None:
    """The device the session says verified it, as django-otp reads its persistent id."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return None
    try:
        label, device_id = OTPMiddleware._normalize_persistent_id(persistent_id).rsplit("/", 1)
        model = apps.get_model(label)
        return model.objects.filter(pk=int(device_id)) if issubclass(model, Device) else None
    except (ValueError, LookupError):
        return None


def install_verified_device(request: HttpRequest) -> None:
    """Sets ``request.user.otp_device`` as django-otp's ``OTPMiddleware`` would, from the
    answer the person query already gave; an account with no directory entry (staff) is
    looked up as django-otp does it."""
    user: Any = request.user
    user.otp_device = None
    user.is_verified = partial(is_verified, user)
    if not user.is_authenticated or DEVICE_ID_SESSION_KEY not in request.session:
        return
    persistent_id = OTPMiddleware._normalize_persistent_id(request.session[DEVICE_ID_SESSION_KEY])
    person = getattr(request, "person", None)
    if person is not None and hasattr(person, HAS_DEVICE):
        confirmed = getattr(person, SESSION_DEVICE_CONFIRMED, False)
        # Loaded only if something asks more of the device than that it verified the session.
        device = SimpleLazyObject(partial(Device.from_persistent_id, persistent_id))
        user.otp_device = device if confirmed else None
    else:
        found = Device.from_persistent_id(persistent_id)
        if found is not None and found.user_id == user.pk and found.confirmed:
            user.otp_device = found
    if user.otp_device is None:
        del request.session[DEVICE_ID_SESSION_KEY]


def _has_device(request: HttpRequest) -> bool:
    person = getattr(request, "person", None)
    if person is not None and hasattr(person, HAS_DEVICE):
        return bool(getattr(person, HAS_DEVICE))
    return bool(TOTPDevice.objects.filter(user=request.user, confirmed=True).exists())


def second_factor_required(request: HttpRequest) -> bool:
    policy = settings.ESCALATE_SECOND_FACTOR
    if policy == "nobody":
        return False
    if policy == "everyone" or request.user.is_staff:
        return True
    person = getattr(request, "person", None)
    if person is None:
        return True
    if person.request_needs_second_factor is not None:  # asked of every place of the account
        return bool(person.request_needs_second_factor)
    above_practitioner = bool(person.ladder_role) and person.ladder_role != LadderRole.PRACTITIONER
    return bool(above_practitioner or person.viewer().partnership_roles)


class SecondFactorMiddleware:
    """Sends a signed-in person who still owes a second factor to set one up or enter it.

    It also does django-otp's ``OTPMiddleware``'s work (``install_verified_device``), from
    what ``CurrentPersonMiddleware`` read, so it must come after that middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        install_verified_device(request)
        user = request.user
        if (
            user.is_authenticated
            and not is_verified(user)
            and not request.path.startswith(_ALWAYS_ALLOWED)
            and second_factor_required(request)
        ):
            return redirect(VERIFY_PATH if _has_device(request) else SET_UP_PATH)
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
        if whole_number(code, most_digits=6) is None:
            raise forms.ValidationError("The code is 6 digits, like 123456")
        return code


@login_required
def set_up(request: HttpRequest) -> HttpResponse:
    """Set an authenticator app up; once a code from it matches, show the new recovery codes.

    Someone who already has an app must give its code first: otherwise a password alone
    could replace the app and so skip the second factor.
    """
    if _has_device(request) and not is_verified(request.user):
        return redirect(VERIFY_PATH)
    device = account_security.pending_authenticator(_account(request))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            codes = account_security.set_up_second_factor(
                device=device, code=form.cleaned_data["code"]
            )
        except account_security.SecondFactorRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            device.refresh_from_db()
            otp_login(request, device)
            return _show_recovery_codes(request, codes)
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
    return render(
        request,
        "registration/second_factor_set_up.html",
        {"form": form, "qr_data_uri": qr, "secret": _base32(device.bin_key)},
    )


def _show_recovery_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """The one time the codes are shown: in the answer to the form that made them."""
    return render(
        request,
        "registration/recovery_codes_created.html",
        {"codes": codes, "continue_url": resolve_url(settings.LOGIN_REDIRECT_URL)},
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
    return render(
        request,
        "registration/second_factor_verify.html",
        {"form": form, "recovery_url": reverse("second_factor_recovery")},
    )


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label="Recovery code",
        help_text="One of the codes you were given when you set up your authenticator app. "
        "Each code works once.",
        max_length=32,
        error_messages={"required": "Enter one of your recovery codes"},
    )


@require_http_methods(["GET", "POST"])
@login_required
def recover(request: HttpRequest) -> HttpResponse:
    """Sign in with a recovery code in place of the app's code; it then never works again."""
    form = RecoveryCodeForm(request.POST or None)
    if form.is_valid():
        try:
            used = account_security.use_recovery_code(
                user=_account(request), code=form.cleaned_data["code"]
            )
        except account_security.SecondFactorRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            otp_login(request, used.device)
            messages.success(request, _codes_left(used.remaining))
            return redirect("second_factor_recovery_codes")
    return render(
        request,
        "registration/second_factor_recovery.html",
        {"form": form_view(form), "back": reverse("second_factor_verify")},
    )


def _codes_left(remaining: int) -> str:
    codes = "recovery code" if remaining == 1 else "recovery codes"
    return f"You signed in with a recovery code. You have {remaining} {codes} left."


@require_http_methods(["GET", "POST"])
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """How many recovery codes are left, and a new set on request (the old ones then stop
    working). Only for an account with an app, from a session verified with it or a code."""
    if not account_security.has_authenticator(_account(request)):
        raise Http404("No authenticator app is set up for this account.")
    if not is_verified(request.user):
        return redirect(VERIFY_PATH)
    if request.method == "POST":
        codes = account_security.replace_recovery_codes(user=_account(request))
        return _show_recovery_codes(request, codes)
    return render(
        request,
        "registration/recovery_codes.html",
        {
            "remaining": account_security.recovery_codes_left(_account(request)),
            "set_up_url": reverse("second_factor_set_up"),
            "continue_url": resolve_url(settings.LOGIN_REDIRECT_URL),
        },
    )


def _account(request: HttpRequest) -> User:
    """The signed-in account, on views behind ``login_required``."""
    return cast(User, request.user)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")
