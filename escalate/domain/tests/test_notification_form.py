"""The Escalation Notification Form holds the case at its stage, and who recognises good
practice (decision 0013). No database: plain facts in, a decision out.

The people and the ``case`` helper are those of ``test_moves``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from escalate.domain.engine import Status
from escalate.domain.moves import (
    Move,
    good_practice_refusal,
    has_notification_form,
    notification_form_action,
    notification_form_due,
    why_not,
)
from escalate.domain.policy import StageAction
from escalate.domain.tests.test_deadlines import shipped_rules
from escalate.domain.tests.test_moves import (
    BM,
    CARE_AD,
    CHAIR,
    OFFICER,
    POLICIES,
    SCHOOL_AD,
    SCHOOL_LM,
    SCRUTINEER,
    SENCO,
    TEACHER,
    TEACHING_ASSISTANT,
    WORKER,
    assert_readable,
    case,
    inactive,
    person,
)

NOTHING_SENT: frozenset[int] = frozenset()
SEND = "send the Escalation Notification Form to the partnership"
UPDATE = "update the Escalation Notification Form"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [(policy, policy == "cscp") for policy in POLICIES],
    ids=list(POLICIES),
)
def test_only_the_cscp_procedure_has_the_form(policy: str, expected: bool) -> None:
    assert has_notification_form(shipped_rules(policy)) is expected


@pytest.mark.parametrize(
    ("stage", "action"),
    [
        (1, None),
        (2, None),
        (3, StageAction.SEND_NOTIFICATION_FORM),
        (4, StageAction.UPDATE_NOTIFICATION_FORM),
        (5, StageAction.UPDATE_NOTIFICATION_FORM),
    ],
    ids=["stage1", "stage2", "stage3-send", "stage4-update", "stage5-update"],
)
def test_the_cscp_stages_ask_for_the_form_from_stage_3(
    stage: int, action: StageAction | None
) -> None:
    rules = shipped_rules("cscp")
    assert notification_form_action(rules, stage) is action
    assert notification_form_due(case(stage, practice_issue_stages=NOTHING_SENT), rules) is action


@pytest.mark.parametrize(
    ("stage", "words"), [(3, SEND), (4, UPDATE)], ids=["stage3-send", "stage4-update"]
)
def test_escalating_waits_for_the_form_at_its_stage(stage: int, words: str) -> None:
    rules = shipped_rules("cscp")
    director = person(SCHOOL_AD)

    refusal = why_not(
        Move.ESCALATE, case(stage, practice_issue_stages=NOTHING_SENT), director, rules
    )

    assert refusal == (
        f"At stage {stage} the procedure asks the lead agency to {words} before anyone can "
        "escalate it: use 'Report policy or practice issues to the partnership' on this "
        "escalation's page, then try again."
    )
    assert_readable(refusal)
    sent_here = case(stage, practice_issue_stages=frozenset({stage}))
    assert why_not(Move.ESCALATE, sent_here, director, rules) == ""


def test_a_form_sent_at_an_earlier_stage_does_not_count_for_the_next() -> None:
    rules = shipped_rules("cscp")
    sent_at_3 = case(4, practice_issue_stages=frozenset({3}))

    assert notification_form_due(sent_at_3, rules) is StageAction.UPDATE_NOTIFICATION_FORM
    assert UPDATE in why_not(Move.ESCALATE, sent_at_3, person(CARE_AD), rules)


def test_a_stage_without_the_form_escalates_without_it() -> None:
    rules = shipped_rules("cscp")
    assert (
        why_not(
            Move.ESCALATE, case(2, practice_issue_stages=NOTHING_SENT), person(SCHOOL_LM), rules
        )
        == ""
    )
    nel = shipped_rules("nel")
    assert (
        why_not(Move.ESCALATE, case(3, practice_issue_stages=NOTHING_SENT), person(SCHOOL_AD), nel)
        == ""
    )


def test_immediate_risk_is_escalated_without_waiting_for_the_form() -> None:
    rules = shipped_rules("cscp")
    urgent = replace(case(3, practice_issue_stages=NOTHING_SENT), immediate_risk=True)

    assert why_not(Move.ESCALATE, urgent, person(SCHOOL_AD), rules) == ""


def test_those_who_cannot_escalate_anyway_hear_why_not_about_their_rung() -> None:
    rules = shipped_rules("cscp")
    refusal = why_not(
        Move.ESCALATE, case(3, practice_issue_stages=NOTHING_SENT), person(TEACHER), rules
    )

    assert "belongs to" in refusal
    assert "Notification Form" not in refusal


def test_agreement_never_waits_for_the_form() -> None:
    rules = shipped_rules("cscp")
    unsent = case(3, practice_issue_stages=NOTHING_SENT)

    assert why_not(Move.PROPOSE_RESOLUTION, unsent, person(SCHOOL_AD), rules) == ""


def test_closing_waits_for_the_form_at_the_stage_it_was_resolved_at() -> None:
    rules = shipped_rules("cscp")
    resolved = case(3, Status.RESOLVED, practice_issue_stages=NOTHING_SENT)

    refusal = why_not(Move.CLOSE, resolved, person(TEACHER), rules)

    assert SEND in refusal and "close it" in refusal
    assert (
        why_not(
            Move.CLOSE,
            replace(resolved, practice_issue_stages=frozenset({3})),
            person(TEACHER),
            rules,
        )
        == ""
    )
    # and the lead agency may still send it once the case is resolved
    assert why_not(Move.RECORD_PRACTICE_ISSUE, resolved, person(SCHOOL_AD), rules) == ""


def test_a_closed_or_withdrawn_case_waits_for_nothing() -> None:
    rules = shipped_rules("cscp")
    for status in (Status.CLOSED, Status.WITHDRAWN):
        assert (
            notification_form_due(case(3, status, practice_issue_stages=NOTHING_SENT), rules)
            is None
        )


# --- recognising good practice ---------------------------------------------------------------

GOOD_PRACTICE = [
    (TEACHER, True),  # the raiser
    (SENCO, True),  # named on the case
    (WORKER, True),  # the named counterpart
    (SCHOOL_LM, True),  # an overseeing rung of a party agency
    (CARE_AD, True),
    (BM, True),  # the partnership's overseers
    (CHAIR, True),
    (TEACHING_ASSISTANT, False),  # in a party agency but neither named nor a manager
    (SCRUTINEER, False),  # sees cases, reads only
    (OFFICER, False),  # an agency that is not a party
]


@pytest.mark.parametrize(
    ("person_id", "allowed"), GOOD_PRACTICE, ids=[str(pid) for pid, _ in GOOD_PRACTICE]
)
def test_good_practice_is_recognised_by_those_involved_and_the_overseers(
    person_id: int, allowed: bool
) -> None:
    for status in (Status.OPEN, Status.CLOSED):
        refusal = good_practice_refusal(case(2, status), person(person_id))
        assert (refusal == "") is allowed, refusal
        if refusal:
            assert_readable(refusal)


def test_an_inactive_account_recognises_nothing() -> None:
    assert "not active" in good_practice_refusal(case(2), inactive(TEACHER))
