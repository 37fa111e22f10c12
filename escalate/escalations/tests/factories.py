"""Factories that express states; agencies are explicit so cross-agency tests read plainly.

All names are invented.
"""

from __future__ import annotations

from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.core.management import call_command

from escalate.domain.policy import SubjectKind
from escalate.escalations import authority, services
from escalate.escalations.models import Escalation
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
from escalate.policies.models import Policy
from escalate.policies.selectors import current_policy_for

DEMO_PASSWORD = "correct-horse-battery-staple-42"


def shipped_policy(slug: str = "nel") -> Policy:
    """The current version of a shipped policy, loading the shipped files on first use."""
    if not Policy.objects.filter(partnership__slug=slug).exists():
        call_command("load_policies", verbosity=0)
    return current_policy_for(slug)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}@example.org")
    email = factory.SelfAttribute("username")
    password = factory.django.Password(DEMO_PASSWORD)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    partnership = factory.LazyFunction(lambda: shipped_policy("nel").partnership)
    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = "education"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Worker {n}")
    email = factory.SelfAttribute("user.email")
    agency = factory.SubFactory(AgencyFactory)
    ladder_role = "practitioner"
    job_title = "Practitioner"


def partnership_person(*, role: str, policy: Policy | None = None, **kwargs: object) -> Person:
    """Someone who acts for the partnership (business manager, chair...), with no agency."""
    policy = policy or shipped_policy("nel")
    person = PersonFactory(agency=None, ladder_role="", job_title=role.replace("_", " "), **kwargs)
    PartnershipRoleAssignment.objects.create(
        person=person, partnership=policy.partnership, role=role
    )
    return person


def raise_for(
    *,
    raised_by: Person,
    other_agency: Agency,
    counterpart: Person | None = None,
    policy: Policy | None = None,
    today: date = date(2026, 12, 18),
    **overrides: object,
) -> Escalation:
    """Raise an escalation through the real service, with invented details."""
    policy = policy or shipped_policy(
        raised_by.agency.partnership.slug if raised_by.agency else "nel"
    )
    rules = policy.rules
    details: dict[str, object] = {
        "subject": services.SubjectDetails(
            kind=SubjectKind.CHILD, name="Alex Invented", case_reference="CASE-0001"
        ),
        "category": rules.categories[0].key,
        "decision_disputed": "Referral judged below threshold.",
        "evidence": "Three missed appointments this month.",
        "desired_outcome": "A strategy discussion this week.",
    }
    details.update(overrides)
    return services.raise_escalation(
        raised_by=raised_by,
        policy=policy,
        other_agency=other_agency,
        counterpart=counterpart,
        today=today,
        **details,
    ).escalation


def keep_case_facts(escalation: Escalation) -> None:
    """For a test that writes a case's rows by hand: store the stage machine's facts as the
    services do after every change (the suite checks them after each test)."""
    escalation.case_facts = authority.stored_facts(authority.case_of(escalation))
    escalation.save(update_fields=["case_facts"])
