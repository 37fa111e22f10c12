"""Loading policy files into versioned rows."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction

from escalate.domain.policy_loading import load_policy_text
from escalate.policies.models import LEGACY_REFERENCE_PREFIX, Partnership, Policy


class PolicyRefused(ValueError):
    """The file cannot be loaded; the message says why in one sentence."""


class LoadOutcome(StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    outcome: LoadOutcome


@transaction.atomic
def load_policy(*, text: str, origin: str) -> LoadedPolicy:
    """Store a policy file as a new version, or find the identical version already stored.

    Refuses a file with errors, and a file whose content differs from the stored
    row of the same version: a changed procedure must carry a new version number.
    """
    result = load_policy_text(text)
    if result.rules is None:
        raise PolicyRefused(result.errors[0].line(origin))
    rules = result.rules
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    partnership, _ = Partnership.objects.get_or_create(
        slug=rules.short_name,
        defaults={
            "name": rules.partnership,
            "code": lambda: derive_code(
                rules.short_name, taken=set(Partnership.objects.values_list("code", flat=True))
            ),
        },
    )
    existing = Policy.objects.filter(partnership=partnership, version=rules.version).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise PolicyRefused(
                f"{origin}: version {rules.version} of {rules.short_name!r} is already loaded with "
                "different content; give the changed procedure a new version number"
            )
        return LoadedPolicy(existing, LoadOutcome.UNCHANGED)
    if partnership.name != rules.partnership:
        partnership.name = rules.partnership
        partnership.save(update_fields=["name"])
    policy = Policy.objects.create(
        partnership=partnership,
        version=rules.version,
        title=rules.title,
        source=rules.source,
        text=text,
        sha256=digest,
    )
    return LoadedPolicy(policy, LoadOutcome.CREATED)


def derive_code(slug: str, *, taken: Collection[str]) -> str:
    """A new partnership's reference code: its slug's first eight letters and digits, in
    capitals, with a number on the end where that code is already taken ("NEL", "NEL2")."""
    stem = re.sub(r"[^A-Z0-9]", "", slug.upper())[:8].ljust(2, "X")
    code, suffix = stem, 1
    while code in taken or code == LEGACY_REFERENCE_PREFIX:
        suffix += 1
        code = f"{stem[: 8 - len(str(suffix))]}{suffix}"
    return code
