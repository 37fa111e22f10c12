"""The learning loop's services and figures: the form holds its stage, board actions, good
practice (decision 13). Each service test checks the row, the refusal and the audit event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.domain.engine import TransitionRefused
from escalate.domain.moves import NOT_IN_PARTNERSHIP
from escalate.escalations import authority, services
from escalate.escalations.access import ActionForbidden
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    shipped_policy,
)
from escalate.reporting.models import BoardAction, GoodPractice, PracticeIssue
from escalate.reporting.selectors import LearningFigures, learning_figures
from escalate.reporting.services import (
    BOARD_ACTION_REFUSED,
    complete_board_action,
    create_board_action,
    record_good_practice,
    record_practice_issue,
)
from escalate.reporting.tests.conftest import (
    TODAY,
    Cscp,
    Partnerships,
    escalate_to,
    raise_between,
    send_form,
)

# --- the form holds its stage ------------------------------------------------------------------


def test_a_cscp_case_at_stage_3_is_not_escalated_before_the_form_is_sent(cscp: Cscp) -> None:
    with pytest.raises(TransitionRefused, match="send the Escalation Notification Form"):
        services.escalate_stage(
            escalation=cscp.escalation, actor=cscp.lead, reason="Not agreed.", today=TODAY
        )

    send_form(cscp)
    moved = services.escalate_stage(
        escalation=cscp.escalation, actor=cscp.lead, reason="Not agreed.", today=TODAY
    )

    assert moved.stage_number == 4


def test_sending_the_form_keeps_the_case_facts_lists_ask_about(cscp: Cscp) -> None:
    before = Escalation.objects.get(pk=cscp.escalation.pk).revision

    send_form(cscp)

    stored = Escalation.objects.get(pk=cscp.escalation.pk)
    assert stored.case_facts["practice_issue_stages"] == [3]
    assert stored.revision == before + 1
    assert authority.stored_case(stored) == authority.case_of(stored)


def test_a_procedure_without_the_form_reads_no_practice_issue_rows(
    world: Partnerships, django_assert_num_queries
) -> None:
    nel = escalate_to(raise_between(world.school, world.social_care, on=TODAY), 3, on=TODAY)
    nel = Escalation.objects.select_related("policy").get(pk=nel.pk)
    _ = nel.policy.rules

    with django_assert_num_queries(0):
        assert authority.practice_issue_stages_of(nel) == []


# --- board actions -----------------------------------------------------------------------------


def make_action(cscp: Cscp, issue: PracticeIssue, **overrides: object) -> BoardAction:
    details: dict[str, object] = {
        "practice_issue": issue,
        "actor": cscp.manager,
        "description": "Revise the threshold guidance on neglect.",
        "owner": cscp.chair,
        "due_on": TODAY + timedelta(days=30),
        "today": TODAY,
    }
    details.update(overrides)
    return create_board_action(**details)


@pytest.mark.parametrize("who", ["manager", "chair"])
def test_the_business_manager_or_chair_makes_a_board_action(cscp: Cscp, who: str) -> None:
    issue = send_form(cscp)
    actor = getattr(cscp, who)

    action = make_action(cscp, issue, actor=actor)

    assert action.status == BoardAction.Status.OPEN
    assert action.partnership_id == cscp.escalation.partnership_id
    assert (action.owner, action.created_by) == (cscp.chair, actor)
    event = AuditEvent.objects.get(event=events.BOARD_ACTION_CREATED)
    assert event.actor == actor
    assert event.partnership_id == cscp.escalation.partnership_id
    assert event.escalation_id is None  # the board's work is not part of the case record
    assert event.data["board_action"] == action.pk


@pytest.mark.parametrize("who", ["lead", "nel_manager", "scrutineer"])
def test_nobody_else_makes_a_board_action(cscp: Cscp, world: Partnerships, who: str) -> None:
    issue = send_form(cscp)
    actor = {
        "lead": cscp.lead,
        "nel_manager": world.manager,  # another partnership's business manager
        "scrutineer": partnership_person(
            role="independent_scrutineer", policy=shipped_policy("cscp")
        ),
    }[who]

    with pytest.raises(ActionForbidden, match=BOARD_ACTION_REFUSED):
        make_action(cscp, issue, actor=actor)

    assert not BoardAction.objects.exists()
    assert not AuditEvent.objects.filter(event=events.BOARD_ACTION_CREATED).exists()


def test_the_owner_must_be_someone_in_the_partnership(cscp: Cscp, world: Partnerships) -> None:
    issue = send_form(cscp)

    with pytest.raises(TransitionRefused, match=NOT_IN_PARTNERSHIP):
        make_action(cscp, issue, owner=world.teacher)  # a NEL teacher


def test_a_board_action_is_not_due_in_the_past(cscp: Cscp) -> None:
    issue = send_form(cscp)

    with pytest.raises(TransitionRefused, match="today or in the future"):
        make_action(cscp, issue, due_on=TODAY - timedelta(days=1))


def test_marking_a_board_action_done_records_its_outcome_once(cscp: Cscp) -> None:
    action = make_action(cscp, send_form(cscp))

    done = complete_board_action(
        board_action=action,
        actor=cscp.chair,
        outcome=BoardAction.Outcome.GUIDANCE,
        note="Guidance reissued to all agencies.",
    )

    assert (done.status, done.outcome, done.completed_by) == ("done", "guidance", cscp.chair)
    assert done.completed_at is not None
    event = AuditEvent.objects.get(event=events.BOARD_ACTION_COMPLETED)
    assert event.data == {"board_action": action.pk, "outcome": "guidance"}
    with pytest.raises(TransitionRefused, match="already done"):
        complete_board_action(board_action=action, actor=cscp.chair, outcome="training", note="")


def test_a_board_action_is_done_with_a_known_outcome_by_an_overseer(cscp: Cscp) -> None:
    action = make_action(cscp, send_form(cscp))

    with pytest.raises(TransitionRefused, match="Choose the outcome"):
        complete_board_action(board_action=action, actor=cscp.chair, outcome="shrug", note="")
    with pytest.raises(ActionForbidden):
        complete_board_action(board_action=action, actor=cscp.lead, outcome="training", note="")

    assert BoardAction.objects.get(pk=action.pk).status == BoardAction.Status.OPEN


# --- good practice -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["raiser", "lead", "manager"])
def test_those_involved_and_the_overseers_recognise_good_practice(cscp: Cscp, who: str) -> None:
    actor = {
        "raiser": cscp.escalation.raised_by,
        "lead": cscp.lead,
        "manager": cscp.manager,
    }[who]

    entry = record_good_practice(
        escalation=cscp.escalation, actor=actor, description="Health shared records the same day."
    )

    assert (entry.recorded_by, entry.partnership_id) == (actor, cscp.escalation.partnership_id)
    event = AuditEvent.objects.get(event=events.GOOD_PRACTICE_RECORDED)
    assert (event.actor, event.escalation_id, event.stage_number) == (actor, cscp.escalation.pk, 3)


def test_someone_who_only_reads_the_case_does_not_recognise_good_practice(cscp: Cscp) -> None:
    scrutineer = partnership_person(role="independent_scrutineer", policy=shipped_policy("cscp"))

    # refused by the stage machine where the scrutineer sees the case, else by access
    with pytest.raises((TransitionRefused, ActionForbidden)):
        record_good_practice(escalation=cscp.escalation, actor=scrutineer, description="Good.")

    assert not GoodPractice.objects.exists()


def test_good_practice_is_refused_to_an_unrelated_agency(cscp: Cscp) -> None:
    outsider = PersonFactory(agency=AgencyFactory(partnership=cscp.school.partnership))

    with pytest.raises(ActionForbidden):
        record_good_practice(escalation=cscp.escalation, actor=outsider, description="Good.")


# --- the figures ---------------------------------------------------------------------------------


def test_the_learning_figures_count_the_period(
    cscp: Cscp, world: Partnerships, django_assert_num_queries
) -> None:
    first = send_form(cscp)
    resolved_later = record_practice_issue(
        escalation=cscp.escalation, actor=cscp.lead, issue="Guidance agreed.", is_resolved=True
    )
    open_due = [TODAY, TODAY + timedelta(days=5)]
    make_action(cscp, first, due_on=open_due[0])
    make_action(cscp, resolved_later, due_on=open_due[1])
    done = make_action(cscp, resolved_later)
    complete_board_action(board_action=done, actor=cscp.manager, outcome="training", note="")
    record_good_practice(escalation=cscp.escalation, actor=cscp.lead, description="Joint visit.")
    # another partnership's rows are not counted
    nel = escalate_to(raise_between(world.school, world.social_care, on=TODAY), 3, on=TODAY)
    director = PersonFactory(agency=world.school, ladder_role="assistant_director")
    record_practice_issue(escalation=nel, actor=director, issue="Elsewhere.", is_resolved=False)
    today = timezone.localdate()
    partnership_ids = [cscp.escalation.partnership_id]

    with django_assert_num_queries(3):
        figures = learning_figures(partnership_ids, start=today, end=today + timedelta(days=1))

    assert figures == LearningFigures(
        escalations_with_practice_issues=1,
        practice_issues_resolved=1,  # by its latest update in the period
        practice_issues_not_resolved=0,
        board_actions_made=3,
        board_actions_open=2,
        board_actions_overdue=sum(due < today + timedelta(days=1) for due in open_due),
        board_actions_done=1,
        done_procedure_changed=0,
        done_training=1,
        done_guidance=0,
        done_no_change=0,
        good_practice=1,
    )
    assert figures.done_by_outcome["training"] == 1
    earlier = learning_figures(
        partnership_ids, start=today - timedelta(days=30), end=today - timedelta(days=1)
    )
    assert earlier == LearningFigures(*([0] * 12))
