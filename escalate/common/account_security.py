"""Account security: the second factor, its recovery codes, its reset, signing out everywhere.

Every change here is recorded in the history inside its own transaction (issue 12). The
second factor is an authenticator app (django-otp's TOTP device); recovery codes are
django-otp's static device, one per account, whose tokens each work once (decision 16).
A wrong code is never raised inside the transaction that counted it, so django-otp's
throttling of wrong guesses is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.audit import events
from escalate.audit.services import record
from escalate.organisations.accounts import home_partnership
from escalate.organisations.models import Person
from escalate.organisations.selectors import administered_partnerships, people_in
from escalate.policies.models import Partnership

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


class SecondFactorRefused(Exception):
    """A second-factor change or code that is not allowed; the message says why."""


@dataclass(frozen=True)
class RecoveryCodeUsed:
    device: StaticDevice
    remaining: int


# --- Reading ---------------------------------------------------------------------------------


def has_authenticator(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def pending_authenticator(user: User) -> TOTPDevice:
    """The authenticator app this account is setting up: unconfirmed until a code matches."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def _person_of(user: User) -> Person | None:
    return Person.objects.filter(user=user).select_related("agency__partnership").first()


def _home_partnership(person: Person | None) -> Partnership | None:
    """Whose history records the person's account events (``accounts.home_partnership``);
    None (the national chain) for nobody in the directory."""
    return home_partnership(person) if person is not None else None


# --- Setting up ------------------------------------------------------------------------------


def set_up_second_factor(*, device: TOTPDevice, code: str) -> list[str]:
    """Confirm ``device`` with a code from the app, replacing the account's other apps, and
    issue a new set of recovery codes, returned to show once. ``SecondFactorRefused`` if the
    code does not match."""
    codes = _confirm_if_right(device=device, code=code)
    if codes is None:
        raise SecondFactorRefused("That code is not right: check your app and try again")
    return codes


@transaction.atomic
def _confirm_if_right(*, device: TOTPDevice, code: str) -> list[str] | None:
    found = TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
    if found is None or not found.verify_token(code):
        return None
    device = found
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    replaced, _ = TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    codes = _replace_recovery_codes(device.user)
    person = _person_of(device.user)
    record(
        events.SECOND_FACTOR_SET_UP,
        actor=person,
        partnership=_home_partnership(person),
        data={
            "user": device.user_id,
            "part": "authenticator_app",
            "device": device.persistent_id,
            "apps_replaced": replaced,
            "recovery_codes": len(codes),
        },
    )
    return codes


@transaction.atomic
def replace_recovery_codes(*, user: User) -> list[str]:
    """A new set of recovery codes for an account with an authenticator app, returned to
    show once; the old ones stop working. ``SecondFactorRefused`` without an app."""
    if not has_authenticator(user):
        raise SecondFactorRefused("Set up an authenticator app before making recovery codes.")
    codes = _replace_recovery_codes(user)
    person = _person_of(user)
    record(
        events.SECOND_FACTOR_SET_UP,
        actor=person,
        partnership=_home_partnership(person),
        data={"user": user.pk, "part": "recovery_codes", "recovery_codes": len(codes)},
    )
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    # The device is kept, so a session verified with one of its codes stays verified.
    device = StaticDevice.objects.select_for_update().filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    ordered = sorted(codes)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in ordered)
    return ordered


def normalise_recovery_code(text: str) -> str:
    """A code as typed (any case, with spaces or hyphens) as it is stored."""
    return "".join(text.split()).replace("-", "").lower()


# --- Using a recovery code -------------------------------------------------------------------


def use_recovery_code(*, user: User, code: str) -> RecoveryCodeUsed:
    """Spend one of the account's recovery codes: it never works again. Returns the device
    to verify the session with and how many codes are left; ``SecondFactorRefused`` for a
    code that is wrong or already used, or after too many wrong guesses."""
    used = _spend_if_right(user=user, code=normalise_recovery_code(code))
    if used is None:
        raise SecondFactorRefused(
            "That recovery code is not right, or it has already been used. Check it and try "
            "again, or wait a minute if you have tried several."
        )
    return used


@transaction.atomic
def _spend_if_right(*, user: User, code: str) -> RecoveryCodeUsed | None:
    # The lock makes two requests with the same code take turns: only the first finds it.
    for device in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
        if device.verify_token(code):
            remaining = recovery_codes_left(user)
            person = _person_of(user)
            record(
                events.RECOVERY_CODE_USED,
                actor=person,
                partnership=_home_partnership(person),
                data={"user": user.pk, "remaining": remaining},
            )
            return RecoveryCodeUsed(device=device, remaining=remaining)
    return None


# --- An administrator's reset ----------------------------------------------------------------


def reset_refusal(
    *, person: Person, actor: Person | None, actor_user: AbstractBaseUser | AnonymousUser
) -> str:
    """Why ``actor`` may not reset ``person``'s second factor now; empty if they may."""
    administered = list(administered_partnerships(actor_user, actor))
    if not people_in(administered).filter(pk=person.pk).exists():
        return "You can reset the second factor only of people in a partnership you administer."
    if actor is not None and actor.pk == person.pk:
        return "You cannot reset your own second factor: ask another administrator."
    user = person.user
    if user is None:
        return f"{person} has no sign-in account."
    if (user.is_staff or user.is_superuser) and not getattr(actor_user, "is_superuser", False):
        return f"{person} has a staff account: only a superuser can reset its second factor."
    if not _devices_of(user):
        return f"{person} has not set up a second factor, so there is nothing to reset."
    return ""


def _devices_of(user: User) -> list[Any]:
    return [*TOTPDevice.objects.filter(user=user), *StaticDevice.objects.filter(user=user)]


@transaction.atomic
def reset_second_factor(
    *,
    person: Person,
    actor: Person | None,
    actor_user: AbstractBaseUser | AnonymousUser,
    now: datetime | None = None,
) -> Person:
    """Remove ``person``'s authenticator apps and recovery codes and end their sessions, so
    they set a second factor up again when they next sign in; they are told by email.
    ``SecondFactorRefused`` says why not."""
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    refusal = reset_refusal(person=person, actor=actor, actor_user=actor_user)
    if refusal:
        raise SecondFactorRefused(refusal)
    user = person.user
    assert user is not None  # reset_refusal refuses an account-less person
    removed = len(_devices_of(user))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    now = now or timezone.now()
    person.sessions_revoked_at = now
    person.save(update_fields=["sessions_revoked_at"])
    record(
        events.SECOND_FACTOR_RESET,
        actor=actor,
        partnership=_home_partnership(person),
        data={"person": person.pk, "devices_removed": removed},
    )
    by = actor.name if actor is not None else "An administrator"
    transaction.on_commit(lambda: _send_reset_email(person, by=by, on=now))
    return person


def _send_reset_email(person: Person, *, by: str, on: datetime) -> None:
    # Only account facts: never a case, a subject or anything from an escalation.
    local = timezone.localtime(on)
    when = f"{local.day} {local:%B %Y} at {local:%H:%M}"
    sign_in = settings.NOTIFICATIONS_SITE_URL + reverse("login")
    send_mail(
        subject="Your Escalate second factor has been reset",
        message=(
            f"Hello {person.name},\n\n"
            f"{by} reset the second factor on your Escalate account on {when}. Your "
            "authenticator app and your recovery codes no longer work, and you have been "
            "signed out everywhere.\n\n"
            "Next time you sign in, you will be asked to set up your authenticator app "
            f"again:\n{sign_in}\n\n"
            "If you did not ask for this, tell your partnership's administrator at once.\n"
        ),
        from_email=settings.NOTIFICATIONS_FROM_EMAIL,
        recipient_list=[person.email],
    )


# --- Signing out everywhere ------------------------------------------------------------------


@transaction.atomic
def sign_out_everywhere(*, person: Person, now: datetime | None = None) -> Person:
    """End every session of ``person``'s, on every device, from ``now``."""
    person = Person.objects.select_for_update(of=("self",)).get(pk=person.pk)
    person.sessions_revoked_at = now or timezone.now()
    person.save(update_fields=["sessions_revoked_at"])
    record(
        events.SIGNED_OUT_EVERYWHERE,
        actor=person,
        partnership=_home_partnership(person),
        data={"person": person.pk},
    )
    return person
