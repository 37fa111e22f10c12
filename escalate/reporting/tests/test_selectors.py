from __future__ import annotations

from datetime import date

import pytest

from escalate.domain.engine import DeadlineState
from escalate.escalations import services
from escalate.escalations.tests.factories import partnership_person, shipped_policy
from escalate.organisations.models import PartnershipRoleAssignment
from escalate.reporting.selectors import (
    RegisterFilters,
    overseen_partnership_ids,
    register,
    register_options,
)
from escalate.reporting.tests.conftest import TODAY, Partnerships, escalate_to, raise_between


def references(world: Partnerships, **filters: object) -> set[str]:
    rows = register(world.manager, filters=RegisterFilters(**filters), today=TODAY).items
    return {row.reference for row in rows}


def test_register_shows_only_the_partnerships_the_person_oversees(world: Partnerships) -> None:
    ours = raise_between(world.school, world.social_care, on=date(2026, 11, 2))
    theirs = raise_between(world.cscp_school, world.cscp_health, on=date(2026, 11, 2))

    assert references(world) == {ours.reference}
    assert theirs.reference not in references(world)


def test_manager_of_two_partnerships_sees_both(world: Partnerships) -> None:
    ours = raise_between(world.school, world.social_care, on=date(2026, 11, 2))
    theirs = raise_between(world.cscp_school, world.cscp_health, on=date(2026, 11, 2))
    PartnershipRoleAssignment.objects.create(
        person=world.manager, partnership=world.cscp_school.partnership, role="business_manager"
    )

    assert references(world) == {ours.reference, theirs.reference}
    assert references(world, partnership_id=world.cscp_school.partnership_id) == {theirs.reference}


def test_chair_sees_the_register_too(world: Partnerships) -> None:
    ours = raise_between(world.school, world.social_care, on=date(2026, 11, 2))
    chair = partnership_person(role="chair")

    rows = register(chair, filters=RegisterFilters(), today=TODAY).items

    assert [row.reference for row in rows] == [ours.reference]


@pytest.mark.parametrize("role", ["independent_scrutineer", "executive_member", "administrator"])
def test_other_partnership_roles_oversee_no_register(world: Partnerships, role: str) -> None:
    assert overseen_partnership_ids(partnership_person(role=role)) == []


def test_practitioner_oversees_no_register(world: Partnerships) -> None:
    raise_between(world.school, world.social_care, on=date(2026, 11, 2))

    assert overseen_partnership_ids(world.teacher) == []
    assert register(world.teacher, filters=RegisterFilters(), today=TODAY).items == []


def test_register_leaves_out_escalations_that_are_no_longer_open(world: Partnerships) -> None:
    open_one = raise_between(world.school, world.social_care, on=date(2026, 11, 2))
    withdrawn = raise_between(world.school, world.police, on=date(2026, 11, 2))
    services.withdraw_escalation(
        escalation=withdrawn, actor=withdrawn.raised_by, reason="Agreed by phone.", today=TODAY
    )

    assert references(world) == {open_one.reference}


def test_row_carries_stage_agencies_working_days_open_and_due_date(world: Partnerships) -> None:
    escalation = raise_between(world.school, world.social_care, on=date(2026, 11, 2))

    [row] = register(world.manager, filters=RegisterFilters(), today=TODAY).items

    assert row.reference == escalation.reference
    assert row.stage_number == 1
    assert row.stage_name
    assert (row.raising_agency, row.other_agency) == (
        "Northfield Primary (invented)",
        "Children's Services (invented)",
    )
    assert row.category == "Referral and thresholds"
    assert row.raised_on == date(2026, 11, 2)
    assert row.due_on == date(2026, 11, 3)  # NEL stage 1: by working day 2
    # 3 Nov to 23 Nov 2026: three full weeks of five working days.
    assert row.working_days_open == 15
    assert row.deadline_state is DeadlineState.OVERDUE
    assert row.is_overdue


def test_working_days_open_skip_bank_holidays(world: Partnerships) -> None:
    raise_between(world.school, world.social_care, on=date(2026, 12, 24))

    [row] = register(world.manager, filters=RegisterFilters(), today=date(2026, 12, 29)).items

    # Christmas Day, Boxing Day (substitute Monday 28th) and the weekend are not counted.
    assert row.working_days_open == 1


def test_overdue_rows_come_first(world: Partnerships) -> None:
    due_later = raise_between(world.school, world.social_care, on=TODAY)
    overdue = raise_between(world.school, world.police, on=date(2026, 11, 2))

    rows = register(world.manager, filters=RegisterFilters(), today=TODAY).items

    assert [row.reference for row in rows] == [overdue.reference, due_later.reference]
    assert [row.is_overdue for row in rows] == [True, False]


@pytest.fixture
def spread(world: Partnerships) -> dict[str, str]:
    """Four NEL escalations that differ in one way each."""
    early = raise_between(world.school, world.social_care, on=date(2026, 10, 5))
    police = raise_between(world.police, world.school, on=TODAY)
    sharing = raise_between(
        world.social_care, world.school, on=date(2026, 11, 20), category="information_sharing"
    )
    stage3 = escalate_to(
        raise_between(world.social_care, world.police, on=date(2026, 11, 16)), 3, on=TODAY
    )
    return {
        "early": early.reference,
        "police": police.reference,
        "sharing": sharing.reference,
        "stage3": stage3.reference,
    }


def test_filter_by_stage(world: Partnerships, spread: dict[str, str]) -> None:
    assert references(world, stage_number=3) == {spread["stage3"]}


def test_filter_by_agency_matches_either_side(world: Partnerships, spread: dict[str, str]) -> None:
    assert references(world, agency_id=world.police.pk) == {spread["police"], spread["stage3"]}


def test_filter_by_category(world: Partnerships, spread: dict[str, str]) -> None:
    assert references(world, category="information_sharing") == {spread["sharing"]}


def test_filter_overdue_only(world: Partnerships, spread: dict[str, str]) -> None:
    # Raised on 20 Nov (Fri): stage 1 due by working day 2, Mon 23 Nov: due today, not overdue.
    assert references(world, overdue_only=True) == {spread["early"]}


def test_filter_by_raise_dates(world: Partnerships, spread: dict[str, str]) -> None:
    assert references(world, raised_from=date(2026, 11, 16), raised_to=date(2026, 11, 20)) == {
        spread["sharing"],
        spread["stage3"],
    }


def test_filter_by_partnership(world: Partnerships, spread: dict[str, str]) -> None:
    cscp = shipped_policy("cscp").partnership
    assert references(world, partnership_id=cscp.pk) == set()
    assert len(references(world, partnership_id=world.school.partnership_id)) == 4


def test_options_come_from_the_overseen_partnerships_procedures(world: Partnerships) -> None:
    options = register_options(overseen_partnership_ids(world.manager))

    assert options.stage_numbers == [1, 2, 3, 4, 5]
    assert ("information_sharing", "Information sharing") in options.categories
    assert set(options.agencies) == {world.school, world.social_care, world.police}
    assert list(options.partnerships) == [world.school.partnership]
