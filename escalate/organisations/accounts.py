"""Sign-in accounts: invitations and passwords, through Django's own auth machinery.

An administrator invites a person by email. The link carries a token from Django's
password-reset token generator, salted apart from password resets. It is single use,
because the token covers the account's password and last sign-in, which setting a
password changes. It expires after ``PASSWORD_RESET_TIMEOUT``. Passwords are checked
by ``AUTH_PASSWORD_VALIDATORS``, which include Django's list of passwords common in
breaches (offline). Password reset is Django's own: it says the same whether or not an
address is known, and sends nothing to an inactive account or one that never set a password.
Each change is recorded in the history here, never by a view.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from escalate.audit import events
from escalate.audit.services import record
from escalate.organisations.models import Person
from escalate.organisations.selectors import administered_partnerships, people_in
from escalate.organisations.services import DirectoryRefused, ensure_account
from escalate.policies.models import Partnership

logger = logging.getLogger(__name__)


class InvitationTokens(PasswordResetTokenGenerator):
    """Django's reset tokens with a salt of their own, so a reset link is no invitation."""

    key_salt = "escalate.organisations.accounts.InvitationTokens"


invitation_tokens = InvitationTokens()


def home_partnership(person: Person) -> Partnership | None:
    """The partnership whose history records this person's account events: their agency's,
    else the first in which they hold a role; None for the national chain."""
    if person.agency is not None:
        return person.agency.partnership
    role = person.partnership_roles.select_related("partnership").order_by("pk").first()
    return role.partnership if role is not None else None


def invitation_refusal(
    *, person: Person, actor_user: AbstractBaseUser | AnonymousUser, actor: Person | None
) -> str:
    """Why ``actor`` may not invite ``person`` now; empty if they may."""
    administered = list(administered_partnerships(actor_user, actor))
    if not people_in(administered).filter(pk=person.pk).exists():
        return "You can invite only people in a partnership you administer."
    if not person.is_active:
        return f"{person} is inactive. Make them active before inviting them."
    if person.user is not None and person.user.has_usable_password():
        return (
            f"{person} has already set a password. If they have forgotten it, they can "
            "reset it from the sign-in page."
        )
    return ""


@transaction.atomic
def invite_person(
    *, person: Person, actor_user: AbstractBaseUser | AnonymousUser, actor: Person | None
) -> None:
    """Email ``person`` a link to set their password."""
    refusal = invitation_refusal(person=person, actor_user=actor_user, actor=actor)
    if refusal:
        raise DirectoryRefused(refusal)
    user = ensure_account(person)
    link = settings.NOTIFICATIONS_SITE_URL + invitation_path(user)
    partnership = home_partnership(person)
    record(
        events.INVITATION_SENT,
        actor=actor,
        partnership=partnership,
        data={"person": person.pk},
    )
    # Sent inside the transaction, as Django's own reset is: a mail server that refuses it
    # leaves nothing recorded as sent, and the administrator is told to try again.
    try:
        _send_invitation(person, link, partnership)
    except (OSError, smtplib.SMTPException) as failure:
        logger.warning("An invitation email could not be sent: %s", type(failure).__name__)
        raise DirectoryRefused(
            "The invitation email could not be sent, so nothing was recorded. Try again later."
        ) from failure


def invitation_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "accounts:invitation", kwargs={"uidb64": uid, "token": invitation_tokens.make_token(user)}
    )


def _send_invitation(person: Person, link: str, partnership: Partnership | None) -> None:
    where = f" for {partnership.name}" if partnership is not None else ""
    send_mail(
        subject="You have been invited to Escalate",
        message=(
            f"Hello {person.name},\n\n"
            f"You have been given an account on Escalate{where}, the service for resolving "
            "professional disagreements about the safety of children and adults.\n\n"
            f"Set your password here (the link works once, within {link_lifetime()}):\n"
            f"{link}\n\n"
            "If you did not expect this, you can ignore this email.\n"
        ),
        from_email=settings.NOTIFICATIONS_FROM_EMAIL,
        recipient_list=[person.email],
    )


def link_lifetime() -> str:
    """How long an invitation or reset link works, in words: "3 days"."""
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    return f"{days} days" if days != 1 else "1 day"


def record_password_set(user: User, *, invited: bool) -> None:
    """The history's record of a password set through an invitation or a reset link, in the
    transaction that set it."""
    person = Person.objects.filter(user=user).select_related("agency__partnership").first()
    if person is None:
        return  # an account with nobody in the directory: a superuser, say
    partnership = home_partnership(person)
    data = {"person": person.pk}
    if invited:
        record(events.INVITATION_ACCEPTED, actor=person, partnership=partnership, data=data)
        record(events.PASSWORD_SET, actor=person, partnership=partnership, data=data)
    else:
        record(events.PASSWORD_RESET, actor=person, partnership=partnership, data=data)
