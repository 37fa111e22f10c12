"""Procedure versions, read from the database once per process.

A stored version is never edited: a changed procedure is loaded as a new row, and an
escalation keeps the version it started under. So once a process has read a version, every
later request can have it (and its parsed rules, see ``Policy.rules``) without a query, and
without reading its text again, which is most of the bytes a list or a detail page fetched.

What can change is which version is a partnership's newest; ``newest_version`` asks the
database for that every time, reading one id.

Each caller gets its own ``Policy`` instance, built from the held values, so one request's
lazily loaded relations never leak into another's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from escalate.policies.models import Partnership, Policy

_FIELDS = tuple(field.attname for field in Policy._meta.concrete_fields)
_HELD: dict[int, tuple[Any, ...]] = {}


def policy_versions(policy_ids: Iterable[int]) -> dict[int, Policy]:
    """The versions with these ids (those that exist), reading only those not yet held."""
    wanted = set(policy_ids)
    missing = wanted - _HELD.keys()
    if missing:
        for values in Policy.objects.filter(pk__in=missing).order_by().values_list(*_FIELDS):
            _HELD[values[0]] = values
    return {pk: _instance(_HELD[pk]) for pk in wanted if pk in _HELD}


def policy_version(policy_id: int) -> Policy:
    """Raises ``Policy.DoesNotExist`` for an id no version has."""
    found = policy_versions([policy_id]).get(policy_id)
    if found is None:
        raise Policy.DoesNotExist(policy_id)
    return found


def newest_version(partnership: Partnership | int) -> Policy | None:
    """The partnership's newest procedure version (one id read), or None before any loads."""
    partnership_id = partnership if isinstance(partnership, int) else partnership.pk
    newest = (
        Policy.objects.filter(partnership_id=partnership_id)
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )
    return policy_versions([newest]).get(newest) if newest is not None else None


def attach_policies(rows: Iterable[Any]) -> None:
    """Give each of ``rows`` (escalations, or anything with a ``policy`` foreign key read
    without it) its ``policy`` from the held versions: one query at most, for those unheld."""
    rows = list(rows)
    held = policy_versions(row.policy_id for row in rows)
    for row in rows:
        type(row).policy.field.set_cached_value(row, held[row.policy_id])


def forget_all() -> None:
    """Drop every held version: for tests, whose rolled-back ids another test may reuse."""
    _HELD.clear()


def _instance(values: tuple[Any, ...]) -> Policy:
    return Policy.from_db(DEFAULT_DB_ALIAS, _FIELDS, values)


@receiver(post_save, sender=Policy)
@receiver(post_delete, sender=Policy)
def _forget(sender: type[Policy], instance: Policy, **kwargs: object) -> None:
    # Versions are not edited, but a new row may take an id a rolled-back one had.
    _HELD.pop(instance.pk, None)
