"""Loading policy files into versioned rows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction

from escalate.domain.policy_loading import load_policy_text
from escalate.policies.models import Partnership, Policy


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
        slug=rules.short_name, defaults={"name": rules.partnership}
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
