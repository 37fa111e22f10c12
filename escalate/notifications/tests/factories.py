"""A partnership with two agencies whose whole ladders are in the directory. Names invented."""

from __future__ import annotations

from datetime import date

from escalate.domain.policy import LADDER_ORDER, LadderRole, PartnershipRole
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.notifications.models import Notification
from escalate.organisations.models import Agency, Person

FRIDAY = date(2026, 12, 18)


class Ladders:
    """Brookfield Primary raises with Children's Social Care; one person on every rung of each."""

    def __init__(self, slug: str = "nel") -> None:
        self.policy = shipped_policy(slug)
        partnership = self.policy.partnership
        self.school = AgencyFactory(partnership=partnership, name="Brookfield Primary")
        self.social_care = AgencyFactory(
            partnership=partnership, name="Children's Social Care", kind="childrens_social_care"
        )
        self.school_people = _ladder(self.school, "School")
        self.care_people = _ladder(self.social_care, "Care")
        self.roles = {
            role: partnership_person(
                role=role.value, policy=self.policy, name=f"{role.value.title()} Person"
            )
            for role in (
                PartnershipRole.BUSINESS_MANAGER,
                PartnershipRole.CHAIR,
                PartnershipRole.EXECUTIVE_MEMBER,
                PartnershipRole.INDEPENDENT_SCRUTINEER,
            )
        }

    @property
    def teacher(self) -> Person:
        return self.school_people[LadderRole.PRACTITIONER]

    @property
    def social_worker(self) -> Person:
        return self.care_people[LadderRole.PRACTITIONER]

    def rung(self, role: LadderRole) -> set[Person]:
        return {self.school_people[role], self.care_people[role]}

    def role(self, role: PartnershipRole) -> Person:
        return self.roles[role]

    def raise_(self, today: date = FRIDAY, **overrides: object) -> Escalation:
        details: dict[str, object] = {
            "raised_by": self.teacher,
            "other_agency": self.social_care,
            "counterpart": self.social_worker,
            "policy": self.policy,
            "today": today,
        }
        details.update(overrides)
        return raise_for(**details)


def _ladder(agency: Agency, prefix: str) -> dict[LadderRole, Person]:
    people: dict[LadderRole, Person] = {}
    manager = None
    for role in reversed(LADDER_ORDER):
        person = PersonFactory(
            agency=agency,
            name=f"{prefix} {role.value.replace('_', ' ').title()}",
            ladder_role=role.value,
            job_title=role.value.replace("_", " "),
            line_manager=manager,
        )
        people[role] = person
        manager = person
    return people


def recipients_of(kind: str, escalation: Escalation | None = None) -> set[Person]:
    rows = Notification.objects.filter(kind=kind)
    if escalation is not None:
        rows = rows.filter(escalation=escalation)
    return {row.recipient for row in rows.select_related("recipient")}
