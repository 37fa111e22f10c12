"""A NEL partnership's cases over two periods, for the board's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from escalate.domain.figures import Month, Period
from escalate.domain.policy import SubjectKind
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import PersonFactory
from escalate.organisations.models import Person
from escalate.reporting.tests.conftest import Partnerships, escalate_to, raise_between
from escalate.reporting.tests.conftest import world as world  # the fixture, shared

PERIOD = Period(Month(2026, 9), Month(2026, 11))
"""September to November 2026; the previous period is June to August."""


@dataclass
class BoardWorld:
    places: Partnerships
    resolved: Escalation
    withdrawn: Escalation
    escalated: Escalation
    adult: Escalation
    before: Escalation
    """Raised in the previous period."""


def resolve(escalation: Escalation, *, on: date) -> Escalation:
    """Agreed by the assistant directors of both sides, so no stage refuses it."""
    heads = [
        PersonFactory(agency=escalation.raising_agency, ladder_role="assistant_director"),
        PersonFactory(agency=escalation.other_agency, ladder_role="assistant_director"),
    ]
    escalation = services.resolve_escalation(
        escalation=escalation,
        actor=heads[0],
        agreed_outcome="A strategy discussion is booked.",
        actions=[services.AgreedActionDetails("Book it.", heads[0], date(2026, 12, 31))],
        today=on,
    )
    if escalation.status == Escalation.Status.OPEN:
        escalation = services.confirm_resolution(escalation=escalation, actor=heads[1], today=on)
    return escalation


@pytest.fixture
def board(world: Partnerships) -> BoardWorld:
    school, care, police = world.school, world.social_care, world.police
    resolved = raise_between(school, care, on=date(2026, 9, 7))  # a Monday
    resolved = resolve(resolved, on=date(2026, 9, 10))  # 3 working days later
    withdrawn = raise_between(school, care, on=date(2026, 10, 5))
    services.withdraw_escalation(
        escalation=withdrawn, actor=withdrawn.raised_by, reason="Sorted.", today=date(2026, 10, 6)
    )
    escalated = escalate_to(
        raise_between(police, school, on=date(2026, 11, 2)), 2, on=date(2026, 11, 3)
    )
    adult = raise_between(
        police,
        care,
        on=date(2026, 11, 9),
        subject=services.SubjectDetails(
            kind=SubjectKind.ADULT, name="Pat Invented", case_reference="A-1"
        ),
        immediate_risk=True,
    )
    before = raise_between(school, police, on=date(2026, 7, 6))
    return BoardWorld(world, resolved, withdrawn, escalated, adult, before)


@pytest.fixture
def manager(world: Partnerships) -> Person:
    return world.manager
