"""A time-based one-time password as a second factor, with django-otp.

Who must use it is a setting (``ESCALATE_SECOND_FACTOR``): ``above_practitioner``
(the default: every role above practitioner, every partnership role, staff),
``everyone``, or ``nobody`` (the demo only, which says so on its sign-in page).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import segno
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.middleware import OTPMiddleware, is_verified
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.domain.policy import LadderRole

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
