"""What the directory endpoints show a caller: their partnerships' agencies and people.

Escalations are never read here: they come from ``escalations.access`` and the
escalation and reporting selectors, as in the browser.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, Prefetch, Q, QuerySet

from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person, account_roles
from escalate.organisations.selectors import administered_partnerships, people_in
from escalate.policies.models import Partnership


def partnerships_with_versions() -> QuerySet[Partnership]:
    return Partnership.objects.annotate(current_policy_version=Max("policies__version")).order_by(
        "name", "pk"
    )


def partnerships_of(person: Person) -> QuerySet[Partnership]:
    """The partnership of the person's agency and those they hold a role in."""
    roles = account_roles(person).values("partnership_id")
    return Partnership.objects.filter(Q(agencies__people=person) | Q(pk__in=roles)).distinct()


def administered_by(person: Person) -> list[Partnership]:
    user = person.user if person.user is not None else AnonymousUser()
    return list(administered_partnerships(user, person))


def agencies_for(person: Person) -> QuerySet[Agency]:
    partnerships = list(partnerships_of(person)) + administered_by(person)
    return Agency.objects.filter(partnership__in=partnerships).select_related("partnership")


def directory_for(person: Person) -> QuerySet[Person]:
    """Active people in the person's partnerships; leavers too for their administrators."""
    administered = administered_by(person)
    active = people_in(list(partnerships_of(person))).filter(is_active=True)
    people = Person.objects.filter(
        Q(pk__in=active.values("pk")) | Q(pk__in=people_in(administered).values("pk"))
    )
    return people.select_related("agency", "line_manager").prefetch_related(
        Prefetch(
            "partnership_roles",
            queryset=PartnershipRoleAssignment.objects.select_related("partnership").order_by(
                "partnership__slug", "role"
            ),
        )
    )
