"""A partnership with two agencies whose whole ladders are in the directory. Names invented.

Moves go through the escalation services, made by whoever the stage machine lets act
(the acting rung of the school or of children's social care); an agency joining is a
``Party`` row written directly, so these tests do not depend on how it is added.
"""

from __future__ import annotations

from datetime import date

from escalate.domain.policy import LADDER_ORDER, LadderRole, PartnershipRole
from escalate.escalations import services as escalation_services
from escalate.escalations.involvement import keep_involvement
from escalate.escalations.models import Escalation, Party
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    keep_case_facts,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.notifications.models import Notification
from escalate.organisations.models import Agency, Person

FRIDAY = date(2026, 12, 18)
MONDAY = date(2026, 12, 21)


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

    def acting(self, escalation: Escalation, *, agency: str = "school") -> Person:
        """Whoever acts for ``agency`` ("school" or "care") at the escalation's stage now."""
        rung = escalation.policy.rules.acting_rung(escalation.stage_number)
        people = self.school_people if agency == "school" else self.care_people
        return people[rung]

    def escalate(
        self, escalation: Escalation, *, times: int = 1, today: date = MONDAY
    ) -> Escalation:
        for _ in range(times):
            escalation = escalation_services.escalate_stage(
                escalation=escalation,
                actor=self.acting(escalation),
                reason="No agreement.",
                today=today,
            )
        return escalation

    def propose(
        self,
        escalation: Escalation,
        *,
        agency: str = "school",
        actions: list[escalation_services.AgreedActionDetails] | None = None,
        outcome: str = "Agreed.",
        today: date = MONDAY,
    ) -> Escalation:
        """One agency records a resolution; the others still have to confirm it."""
        return escalation_services.resolve_escalation(
            escalation=escalation,
            actor=self.acting(escalation, agency=agency),
            agreed_outcome=outcome,
            actions=actions
            or [
                escalation_services.AgreedActionDetails(
                    "Strategy discussion.", self.social_worker, date(2026, 12, 29)
                )
            ],
            today=today,
        )

    def resolve(
        self,
        escalation: Escalation,
        *,
        actions: list[escalation_services.AgreedActionDetails] | None = None,
        today: date = MONDAY,
    ) -> Escalation:
        """The school records a resolution and children's social care confirms it."""
        escalation = self.propose(escalation, actions=actions, today=today)
        if escalation.status == Escalation.Status.OPEN:
            escalation = escalation_services.confirm_resolution(
                escalation=escalation, actor=self.acting(escalation, agency="care"), today=today
            )
        return escalation

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


def third_agency(
    ladders: Ladders, name: str = "Police", kind: str = "police"
) -> dict[LadderRole, Person]:
    """A third agency in the partnership, with a whole ladder."""
    agency = AgencyFactory(partnership=ladders.policy.partnership, name=name, kind=kind)
    return _ladder(agency, name)


def join(
    escalation: Escalation,
    people: dict[LadderRole, Person],
    *,
    side: str = Party.Side.CHALLENGED,
    named: bool = True,
) -> Party:
    """The agency of ``people`` joins the disagreement, its practitioner named."""
    practitioner = people[LadderRole.PRACTITIONER]
    assert practitioner.agency is not None
    party = Party.objects.create(
        escalation=escalation,
        agency=practitioner.agency,
        side=side,
        practitioner=practitioner if named else None,
        joined_on=escalation.raised_on,
    )
    keep_involvement(escalation)  # as the services do, so the new party's people see it
    keep_case_facts(escalation)
    return party
