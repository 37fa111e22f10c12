"""Issuing, revoking and checking API tokens.

A token reads ``esc_<prefix>_<secret>``. The prefix finds the row; the SHA-256 of the
whole token must match the stored hash. The secret is returned once, by ``issue_token``,
and never stored.

A token acts as its holder, so only the holder mints it: an administrator who could mint
one for someone else could read, as them, cases the administrator may not see. An
administrator may list and revoke the tokens of the people they administer (decision 16).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from escalate.api.models import ApiToken
from escalate.audit import events
from escalate.audit.services import record
from escalate.organisations.models import Person
from escalate.organisations.selectors import administered_partnerships, people_in

TOKEN_START = "esc_"  # noqa: S105 - the public start of every token, not a secret
_PREFIX_BYTES = 6
_SECRET_BYTES = 32
LAST_USED_PRECISION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per token, not on every call."""


class TokenProblem(StrEnum):
    """Why a presented token does not authenticate, as a sentence for the caller."""

    UNKNOWN = "The token is not valid."
    EXPIRED = "The token has expired: create a new one."
    REVOKED = "The token has been revoked."
    INACTIVE = "The token's owner can no longer use Escalate."


class TokenRefused(Exception):
    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str
    """The whole token, to show once and never again."""


def hash_token(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def may_mint_token_for(actor: Person, person: Person) -> bool:
    """Only the holder themself, while active: nobody mints a token for someone else."""
    return actor.is_active and actor.pk == person.pk


def may_manage_tokens_of(actor: Person, person: Person) -> bool:
    """Who may list and revoke the person's tokens: the person themself, or an administrator
    of a partnership the person is in."""
    if not actor.is_active:
        return False
    if actor.pk == person.pk:
        return True
    user = actor.user if actor.user is not None else AnonymousUser()
    administered = administered_partnerships(user, actor)
    return people_in(list(administered)).filter(pk=person.pk).exists()


def _ensure_may_manage(actor: Person, person: Person) -> None:
    if not may_manage_tokens_of(actor, person):
        raise PermissionDenied("Only the person or their administrator can manage their tokens.")


def longest_lifetime() -> timedelta:
    return timedelta(days=max(settings.ESCALATE_API_TOKEN_LIFETIMES_DAYS))


def _audit(event: str, *, actor: Person, token: ApiToken) -> None:
    record(
        event,
        actor=actor,
        data={
            "api_token": token.pk,
            "person": token.person_id,
            "prefix": token.prefix,
            "scope": token.scope,
        },
    )


@transaction.atomic
def issue_token(
    *,
    person: Person,
    actor: Person,
    name: str,
    scope: ApiToken.Scope,
    lifetime: timedelta,
    now: datetime | None = None,
) -> IssuedToken:
    """A new token held by ``person``, who must be ``actor``: ``PermissionDenied`` for anyone
    minting for someone else, for an inactive holder, for a scope that is not read or write,
    and for a lifetime that is not positive or is longer than the longest offered."""
    if not may_mint_token_for(actor, person):
        raise PermissionDenied("Only the person themself can create their API tokens.")
    if not person.is_active:
        raise PermissionDenied("Tokens are only issued to people who are active.")
    if scope not in ApiToken.Scope.values:
        raise PermissionDenied("A token either reads only, or reads and writes.")
    if not timedelta(0) < lifetime <= longest_lifetime():
        raise PermissionDenied(
            f"A token lasts at most {longest_lifetime().days} days: choose a shorter time."
        )
    now = now or timezone.now()
    prefix = secrets.token_hex(_PREFIX_BYTES)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    token = ApiToken.objects.create(
        person=person,
        name=name.strip(),
        prefix=prefix,
        secret_sha256=hash_token(secret),
        scope=scope.value,
        expires_at=now + lifetime,
        created_by=actor,
    )
    _audit(events.API_TOKEN_ISSUED, actor=actor, token=token)
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def revoke_token(*, token: ApiToken, actor: Person, now: datetime | None = None) -> ApiToken:
    token = ApiToken.objects.select_for_update().select_related("person").get(pk=token.pk)
    _ensure_may_manage(actor, token.person)
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        _audit(events.API_TOKEN_REVOKED, actor=actor, token=token)
    return token


def authenticate_token(text: str, *, now: datetime | None = None) -> ApiToken:
    """The token ``text`` names, with its person; ``TokenRefused`` says why not."""
    now = now or timezone.now()
    prefix = _prefix_of(text)
    token = (
        ApiToken.objects.select_related("person__user", "person__agency__partnership")
        .filter(prefix=prefix)
        .first()
        if prefix
        else None
    )
    presented = hash_token(text)
    if token is None or not hmac.compare_digest(token.secret_sha256, presented):
        raise TokenRefused(TokenProblem.UNKNOWN)
    if token.is_revoked:
        raise TokenRefused(TokenProblem.REVOKED)
    if token.is_expired(now=now):
        raise TokenRefused(TokenProblem.EXPIRED)
    viewer = token.person.viewer()
    if not viewer.is_active:
        raise TokenRefused(TokenProblem.INACTIVE)
    # The roles just read serve the rest of this request (``Person.request_roles``).
    token.person.request_roles = viewer.partnership_roles
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def _prefix_of(text: str) -> str:
    if not text.startswith(TOKEN_START):
        return ""
    prefix, _, secret = text.removeprefix(TOKEN_START).partition("_")
    return prefix if prefix and secret else ""


def tokens_of(person: Person) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(person=person).select_related("created_by", "revoked_by")


def token_status(token: ApiToken, *, now: datetime) -> str:
    if token.is_revoked:
        return "Revoked"
    if token.is_expired(now=now):
        return "Expired"
    return "Active"
