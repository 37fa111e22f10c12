"""A NEL partnership with a business manager, and a second (CSCP, which has the Escalation
Notification Form) they must not see; ``cscp`` gives that one its own overseers and a case."""

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
from escalate.reporting.models import PracticeIssue
from escalate.reporting.services import record_practice_issue

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


@dataclass
class Cscp:
    school: Agency
    health: Agency
    lead: Person
    """The school's safeguarding lead: the lead agency's acting rung at stage 3."""
    manager: Person
    chair: Person
    escalation: Escalation


@pytest.fixture
def cscp(world: Partnerships) -> Cscp:
    policy = shipped_policy("cscp")
    escalation = escalate_to(
        raise_between(world.cscp_school, world.cscp_health, on=date(2026, 11, 2)), 3, on=TODAY
    )
    return Cscp(
        school=world.cscp_school,
        health=world.cscp_health,
        lead=PersonFactory(agency=world.cscp_school, ladder_role="safeguarding_lead"),
        manager=partnership_person(role="business_manager", policy=policy, name="Cy Manager"),
        chair=partnership_person(role="chair", policy=policy, name="Cass Chair"),
        escalation=escalation,
    )


def send_form(cscp: Cscp, text: str = "Threshold guidance is silent on neglect.") -> PracticeIssue:
    """The lead agency sends (or updates) the Escalation Notification Form."""
    return record_practice_issue(
        escalation=cscp.escalation, actor=cscp.lead, issue=text, is_resolved=False
    )


def escalate_to(escalation: Escalation, stage: int, *, on: date) -> Escalation:
    """Escalate by the raising agency's assistant director, whose rung may move every stage."""
    director = PersonFactory(agency=escalation.raising_agency, ladder_role="assistant_director")
    while escalation.stage_number < stage:
        escalation = services.escalate_stage(
            escalation=escalation, actor=director, reason="Not agreed.", today=on
        )
    return escalation
