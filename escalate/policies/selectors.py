from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from escalate.policies.models import Policy


def current_policies() -> QuerySet[Policy]:
    """The newest version of each partnership's procedure, by partnership name."""
    newest = (
        Policy.objects.filter(partnership=OuterRef("partnership"))
        .order_by("-version")
        .values("version")[:1]
    )
    return (
        Policy.objects.filter(version=Subquery(newest))
        .select_related("partnership")
        .order_by("partnership__name")
    )


def current_policy_for(slug: str) -> Policy:
    """Raises ``Policy.DoesNotExist`` for an unknown partnership."""
    return current_policies().get(partnership__slug=slug)
