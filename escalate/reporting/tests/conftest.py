"""A NEL partnership with a business manager, and a second partnership they must not see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, Person

TODAY = date(2026, 11, 23)  # a Monday


@dataclass
class Partnerships:
    school: Agency
    social_care: Agency
    police: Agency
    cscp_school: Agency
    cscp_health: Agency
    manager: Person
    teacher: Person


@pytest.fixture
def world(db: None) -> Partnerships:
    nel = shipped_policy("nel").partnership
    cscp = shipped_policy("cscp").partnership
    school = AgencyFactory(partnership=nel, name="Northfield Primary (invented)")
    return Partnerships(
        school=school,
        social_care=AgencyFactory(
            partnership=nel, name="Children's Services (invented)", kind="childrens_social_care"
        ),
        police=AgencyFactory(partnership=nel, name="Police PVPU (invented)", kind="police"),
        cscp_school=AgencyFactory(partnership=cscp, name="Southgate Academy (invented)"),
        cscp_health=AgencyFactory(
            partnership=cscp, name="Community Health (invented)", kind="health"
        ),
        manager=partnership_person(role="business_manager", name="Bea Manager"),
        teacher=PersonFactory(agency=school, name="Sam Teacher"),
    )


def raise_between(
    raiser_agency: Agency, other_agency: Agency, *, on: date, **overrides: object
) -> Escalation:
    raiser = PersonFactory(agency=raiser_agency)
    return raise_for(raised_by=raiser, other_agency=other_agency, today=on, **overrides)


def escalate_to(escalation: Escalation, stage: int, *, on: date) -> Escalation:
    """Escalate by the raising agency's assistant director, whose rung may move every stage."""
    director = PersonFactory(agency=escalation.raising_agency, ladder_role="assistant_director")
    while escalation.stage_number < stage:
        escalation = services.escalate_stage(
            escalation=escalation, actor=director, reason="Not agreed.", today=on
        )
    return escalation
