from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from escalate.audit.events import PRACTICE_ISSUE_RECORDED
from escalate.audit.models import AuditEvent
from escalate.domain.engine import TransitionRefused
from escalate.domain.policy import StageAction
from escalate.escalations.access import ActionForbidden
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory, shipped_policy
from escalate.organisations.models import Person
from escalate.reporting.models import PracticeIssue
from escalate.reporting.services import first_practice_issue_stage, record_practice_issue
from escalate.reporting.tests.conftest import TODAY, Partnerships, escalate_to, raise_between


@pytest.fixture
def at_stage_3(world: Partnerships):
    return escalate_to(
        raise_between(world.school, world.social_care, on=date(2026, 11, 2)), 3, on=TODAY
    )


@pytest.fixture
def lead(world: Partnerships) -> Person:
    """The lead (raising) agency's director: its acting rung at every stage (decision 11)."""
    return PersonFactory(agency=world.school, ladder_role="assistant_director")


def test_each_update_is_a_new_row_so_the_history_is_kept(
    world: Partnerships, at_stage_3, lead: Person
) -> None:
    first = record_practice_issue(
        escalation=at_stage_3,
        actor=lead,
        issue="Threshold guidance does not cover repeated missed health appointments.",
        is_resolved=False,
    )
    at_stage_4 = escalate_to(at_stage_3, 4, on=date(2026, 11, 24))
    second = record_practice_issue(
        escalation=at_stage_4,
        actor=lead,
        issue="Guidance revised; awaiting partnership sign-off.",
        is_resolved=True,
    )

    rows = list(PracticeIssue.objects.filter(escalation=at_stage_3).order_by("pk"))
    assert rows == [first, second]
    assert [(row.stage_number, row.is_resolved) for row in rows] == [(3, False), (4, True)]
    assert rows[0].issue.startswith("Threshold guidance")
    assert rows[0].lead_agency == world.school
    assert rows[0].updated_by == lead


@pytest.mark.parametrize("rung", ["head_of_service", "assistant_director"])
def test_only_the_lead_agency_reports_the_issues(
    world: Partnerships, at_stage_3, rung: str
) -> None:
    other_agency = PersonFactory(agency=world.social_care, ladder_role=rung)

    with pytest.raises(TransitionRefused, match="The lead agency reports"):
        record_practice_issue(
            escalation=at_stage_3, actor=other_agency, issue="Our view.", is_resolved=False
        )
    assert not PracticeIssue.objects.exists()


def test_the_lead_agencys_practitioner_is_below_the_stage_that_reports(
    world: Partnerships, at_stage_3
) -> None:
    with pytest.raises(TransitionRefused, match="belongs to the heads of service"):
        record_practice_issue(
            escalation=at_stage_3, actor=at_stage_3.raised_by, issue="Gap.", is_resolved=False
        )


def test_first_update_from_the_partnership_leads_with_the_raising_agency(
    world: Partnerships, at_stage_3
) -> None:
    update = record_practice_issue(
        escalation=at_stage_3, actor=world.manager, issue="Gap in guidance.", is_resolved=False
    )

    assert update.lead_agency == world.school


def test_practice_issues_are_refused_before_stage_3(world: Partnerships, lead: Person) -> None:
    escalation = raise_between(world.school, world.social_care, on=date(2026, 11, 2))

    with pytest.raises(TransitionRefused, match="from stage 3; this escalation is at stage 1"):
        record_practice_issue(escalation=escalation, actor=lead, issue="Gap.", is_resolved=False)
    assert not PracticeIssue.objects.exists()


def test_blank_issue_is_refused(world: Partnerships, at_stage_3, lead: Person) -> None:
    with pytest.raises(TransitionRefused, match="Describe the policy or practice issue"):
        record_practice_issue(escalation=at_stage_3, actor=lead, issue="  \n ", is_resolved=False)


def test_someone_who_cannot_act_is_refused(world: Partnerships, at_stage_3) -> None:
    outsider = PersonFactory(agency=AgencyFactory(), ladder_role="head_of_service")

    with pytest.raises(ActionForbidden):
        record_practice_issue(
            escalation=at_stage_3, actor=outsider, issue="Gap.", is_resolved=False
        )
    assert not PracticeIssue.objects.exists()


def test_recording_writes_an_audit_event(world: Partnerships, at_stage_3, lead: Person) -> None:
    issue = record_practice_issue(
        escalation=at_stage_3, actor=lead, issue="Gap.", is_resolved=False
    )

    event = AuditEvent.objects.get(event=PRACTICE_ISSUE_RECORDED)
    assert event.actor == lead
    assert event.escalation_id == at_stage_3.pk
    assert event.stage_number == 3
    assert event.data == {
        "practice_issue": issue.pk,
        "is_resolved": False,
        "lead_agency": world.school.pk,
    }


def test_notification_stage_comes_from_the_procedure_where_it_says(db: None) -> None:
    rules = shipped_policy("cscp").rules
    assert first_practice_issue_stage(rules) == 3

    earlier = dataclasses.replace(
        rules,
        stages=(
            rules.stages[0],
            dataclasses.replace(rules.stages[1], on_entry=(StageAction.SEND_NOTIFICATION_FORM,)),
            *rules.stages[2:],
        ),
    )
    assert first_practice_issue_stage(earlier) == 2


def test_procedures_silent_on_the_form_start_at_stage_3(db: None) -> None:
    assert first_practice_issue_stage(shipped_policy("nel").rules) == 3
