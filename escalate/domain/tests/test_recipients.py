"""Who hears what, for each of the five shipped procedures, and when reminders fall due.

Two agencies with a whole ladder each: the school (11 practitioner, 12 line manager,
13 safeguarding lead, 14 head of service, 15 assistant director) and children's
social care (21 to 25 likewise). The partnership: 91 business manager, 92 chair,
93 executive member, 94 independent scrutineer. The teacher (11) raises it with the
social worker (21).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from escalate.domain.policy import LADDER_ORDER, LadderRole, Nation, PartnershipRole
from escalate.domain.recipients import (
    Occasion,
    Parties,
    Reason,
    Recipient,
    Rung,
    Side,
    acting_rung_holders,
    action_recipients,
    next_rung_above,
    recipients_for,
    reminder_window,
)
from escalate.domain.tests.test_deadlines import bank_holiday_calendar, shipped_rules

BM, CHAIR, EXEC, SCRUTINEER = 91, 92, 93, 94
TEACHER, SCHOOL_LM, SCHOOL_DSL, SCHOOL_HOS, SCHOOL_AD = 11, 12, 13, 14, 15
WORKER, CARE_LM, CARE_DSL, CARE_HOS, CARE_AD = 21, 22, 23, 24, 25


def side(agency_id: int, first: int, *, party: bool = True) -> Side:
    rungs = [Rung(first + index, role) for index, role in enumerate(LADDER_ORDER)]
    return Side(
        agency_id=agency_id,
        party=rungs[0] if party else None,
        managers=tuple(rungs[1:]) if party else (),
        by_rung={rung.role: (rung.person_id,) for rung in rungs[1:] if rung.role},
    )


PARTIES = Parties(
    raising=side(1, TEACHER),
    other=side(2, WORKER),
    partnership={
        PartnershipRole.BUSINESS_MANAGER: (BM,),
        PartnershipRole.CHAIR: (CHAIR,),
        PartnershipRole.EXECUTIVE_MEMBER: (EXEC,),
        PartnershipRole.INDEPENDENT_SCRUTINEER: (SCRUTINEER,),
    },
)


def who(
    occasion: Occasion,
    policy: str,
    stage: int,
    *,
    parties: Parties = PARTIES,
    actor: int | None = TEACHER,
    immediate_risk: bool = False,
) -> set[int]:
    found = recipients_for(
        occasion,
        shipped_rules(policy),
        stage_number=stage,
        parties=parties,
        actor_id=actor,
        immediate_risk=immediate_risk,
    )
    return {recipient.person_id for recipient in found}


def reasons(found: tuple[Recipient, ...]) -> dict[int, set[Reason]]:
    return {recipient.person_id: set(recipient.reasons) for recipient in found}


# --- each procedure, stage by stage --------------------------------------------------


CASES = [
    # (policy, occasion, stage, expected people) - expected counted from the policy files.
    # North East Lincolnshire: a rung per stage, then the chair and business manager.
    ("nel", Occasion.RAISED, 1, {WORKER, SCHOOL_LM, CARE_LM}),
    ("nel", Occasion.STAGE_ENTERED, 2, {SCHOOL_LM, CARE_LM}),
    ("nel", Occasion.STAGE_ENTERED, 3, {SCHOOL_HOS, CARE_HOS}),
    ("nel", Occasion.STAGE_ENTERED, 4, {SCHOOL_AD, CARE_AD}),
    ("nel", Occasion.STAGE_ENTERED, 5, {BM, CHAIR}),
    # Devon: the board manager from stage 3, told the outcome of stage 4; chair at 5.
    ("devon-preschool", Occasion.RAISED, 1, {WORKER, SCHOOL_LM, CARE_LM}),
    ("devon-preschool", Occasion.STAGE_ENTERED, 2, {WORKER}),
    ("devon-preschool", Occasion.STAGE_ENTERED, 3, {SCHOOL_LM, CARE_LM, BM}),
    ("devon-preschool", Occasion.STAGE_ENTERED, 4, {SCHOOL_DSL, CARE_DSL}),
    (
        "devon-preschool",
        Occasion.OUTCOME,
        4,
        {TEACHER, WORKER, SCHOOL_DSL, CARE_DSL, BM},
    ),
    ("devon-preschool", Occasion.STAGE_ENTERED, 5, {CHAIR, BM}),
    # Worcestershire: board members of each agency and the board manager at stage 4.
    ("worcestershire", Occasion.RAISED, 1, {WORKER, SCHOOL_LM, CARE_LM}),
    ("worcestershire", Occasion.STAGE_ENTERED, 2, {SCHOOL_LM, CARE_LM}),
    ("worcestershire", Occasion.STAGE_ENTERED, 3, {SCHOOL_HOS, CARE_HOS}),
    ("worcestershire", Occasion.STAGE_ENTERED, 4, {SCHOOL_AD, CARE_AD, BM}),
    # CSCP: the Escalation Notification Form to the partnership from stage 3 (the
    # business manager); the executive and the independent scrutineer at stage 5.
    ("cscp", Occasion.STAGE_ENTERED, 2, {SCHOOL_LM, CARE_LM}),
    ("cscp", Occasion.STAGE_ENTERED, 3, {SCHOOL_DSL, CARE_DSL, BM}),
    ("cscp", Occasion.STAGE_ENTERED, 4, {SCHOOL_HOS, CARE_HOS, BM}),
    ("cscp", Occasion.STAGE_ENTERED, 5, {EXEC, BM, SCRUTINEER}),
    ("cscp", Occasion.OUTCOME, 3, {TEACHER, WORKER, SCHOOL_DSL, CARE_DSL}),
    ("cscp", Occasion.OUTCOME, 4, {TEACHER, WORKER, SCHOOL_HOS, CARE_HOS, BM}),
    # Greenwich: six stages; the chair at the last, with the business manager; the
    # final outcome goes to the MAC group (business manager) and policy gaps to the chair.
    ("greenwich", Occasion.RAISED, 1, {WORKER, SCHOOL_LM, CARE_LM}),
    ("greenwich", Occasion.STAGE_ENTERED, 3, {SCHOOL_LM, CARE_LM}),
    ("greenwich", Occasion.STAGE_ENTERED, 4, {SCHOOL_DSL, CARE_DSL}),
    ("greenwich", Occasion.STAGE_ENTERED, 5, {SCHOOL_AD, CARE_AD}),
    ("greenwich", Occasion.STAGE_ENTERED, 6, {CHAIR, BM}),
    ("greenwich", Occasion.OUTCOME, 6, {TEACHER, WORKER, CHAIR, BM}),
]


@pytest.mark.parametrize(
    ("policy", "occasion", "stage", "expected"),
    CASES,
    ids=[f"{policy}-{occasion.value}-stage{stage}" for policy, occasion, stage, _ in CASES],
)
def test_the_policy_decides_who_hears(
    policy: str, occasion: Occasion, stage: int, expected: set[int]
) -> None:
    assert who(occasion, policy, stage) == expected


def test_the_final_stage_always_reaches_the_chair_or_the_business_manager() -> None:
    for policy in ("nel", "devon-preschool", "worcestershire", "cscp", "greenwich"):
        final = shipped_rules(policy).final_stage.number
        assert who(Occasion.STAGE_ENTERED, policy, final) & {CHAIR, BM}, policy


def test_raising_tells_the_counterpart_and_both_line_managers_why() -> None:
    found = recipients_for(
        Occasion.RAISED, shipped_rules("nel"), stage_number=1, parties=PARTIES, actor_id=TEACHER
    )

    assert reasons(found) == {
        WORKER: {Reason.COUNTERPART, Reason.ACTS_AT_STAGE},
        SCHOOL_LM: {Reason.LINE_MANAGER},
        CARE_LM: {Reason.LINE_MANAGER},
    }


def test_immediate_risk_tells_the_raisers_designated_safeguarding_lead_first() -> None:
    found = recipients_for(
        Occasion.RAISED,
        shipped_rules("greenwich"),
        stage_number=1,
        parties=PARTIES,
        actor_id=TEACHER,
        immediate_risk=True,
    )

    assert found[0] == Recipient(SCHOOL_DSL, (Reason.SAFEGUARDING_LEAD,))
    assert CARE_DSL not in reasons(found)  # the raiser's own agency's lead, not the other's


def test_a_route_that_starts_above_stage_1_tells_that_stages_people() -> None:
    # Greenwich's refused-conference route enters at stage 4: the safeguarding leads act.
    assert who(Occasion.RAISED, "greenwich", 4) == {WORKER, SCHOOL_LM, CARE_LM} | {
        SCHOOL_DSL,
        CARE_DSL,
    }
    # Devon allows an immediate-risk start at stage 3: the board manager hears at once.
    assert BM in who(Occasion.RAISED, "devon-preschool", 3, immediate_risk=True)


def test_the_actor_is_not_told_what_they_did_but_gets_the_written_outcome() -> None:
    assert SCHOOL_LM not in who(Occasion.STAGE_ENTERED, "nel", 2, actor=SCHOOL_LM)
    assert TEACHER in who(Occasion.OUTCOME, "nel", 1, actor=TEACHER)


def test_every_party_hears_the_outcome_including_those_named_on_the_record() -> None:
    parties = replace(PARTIES, involved=frozenset({77, 78}))

    assert who(Occasion.OUTCOME, "nel", 2, parties=parties) == {
        TEACHER,
        WORKER,
        SCHOOL_LM,
        CARE_LM,
        77,
        78,
    }


# --- reaching people when the directory has gaps ------------------------------------


def test_without_a_counterpart_the_other_agencys_line_managers_hear() -> None:
    parties = replace(PARTIES, other=side(2, WORKER, party=False))

    assert who(Occasion.RAISED, "nel", 1, parties=parties) == {SCHOOL_LM, CARE_LM}


def test_an_inactive_line_manager_is_skipped_for_the_next_rung_up() -> None:
    raising = side(1, TEACHER)
    managers = (replace(raising.managers[0], is_active=False), *raising.managers[1:])
    parties = replace(PARTIES, raising=replace(raising, managers=managers))

    assert who(Occasion.RAISED, "nel", 1, parties=parties) == {WORKER, SCHOOL_DSL, CARE_LM}


def test_a_line_that_skips_a_rung_reaches_the_first_person_above_it() -> None:
    # The teacher reports straight to the head of service.
    raising = Side(
        agency_id=1,
        party=Rung(TEACHER, LadderRole.PRACTITIONER),
        managers=(Rung(SCHOOL_HOS, LadderRole.HEAD_OF_SERVICE),),
    )

    assert acting_rung_holders(raising, LadderRole.LINE_MANAGER) == (SCHOOL_HOS,)


def test_when_the_line_runs_out_everyone_on_that_rung_in_the_agency_hears() -> None:
    lonely = Side(
        agency_id=1,
        party=Rung(TEACHER, LadderRole.PRACTITIONER),
        by_rung={LadderRole.LINE_MANAGER: (31, 32)},
    )

    assert acting_rung_holders(lonely, LadderRole.LINE_MANAGER) == (31, 32)
    assert next_rung_above(lonely, TEACHER) == (31, 32)
    assert acting_rung_holders(lonely, LadderRole.HEAD_OF_SERVICE) == ()


# --- reminders -----------------------------------------------------------------------


def test_reminders_go_to_whoever_acts_and_overdue_ones_to_the_next_rung_too() -> None:
    assert who(Occasion.DUE_SOON, "nel", 2, actor=None) == {SCHOOL_LM, CARE_LM}
    assert who(Occasion.DUE_TODAY, "nel", 2, actor=None) == {SCHOOL_LM, CARE_LM}
    assert who(Occasion.OVERDUE, "nel", 2, actor=None) == {
        SCHOOL_LM,
        CARE_LM,
        SCHOOL_DSL,
        CARE_DSL,
    }


def test_an_overdue_partnership_stage_goes_to_the_chair_and_business_manager() -> None:
    assert who(Occasion.DUE_TODAY, "cscp", 5, actor=None) == {EXEC, SCRUTINEER}
    assert who(Occasion.OVERDUE, "nel", 5, actor=None) == {BM, CHAIR}


def test_agreed_action_reminders_go_to_the_owner_then_the_raiser_checks_back() -> None:
    owner = Rung(CARE_LM, LadderRole.LINE_MANAGER)

    due = action_recipients(Occasion.ACTION_DUE_SOON, owner=owner, parties=PARTIES)
    check = action_recipients(Occasion.CHECK_BACK, owner=owner, parties=PARTIES)

    assert due == (Recipient(CARE_LM, (Reason.ACTION_OWNER,)),)
    assert check == (Recipient(TEACHER, (Reason.CHECKS_BACK,)),)


def test_a_raiser_who_left_is_replaced_by_the_next_rung_for_the_check_back() -> None:
    raising = side(1, TEACHER)
    left = Rung(TEACHER, LadderRole.PRACTITIONER, is_active=False)
    gone = replace(PARTIES, raising=replace(raising, party=left))

    found = action_recipients(Occasion.CHECK_BACK, owner=Rung(CARE_LM, None), parties=gone)

    assert [recipient.person_id for recipient in found] == [SCHOOL_LM]


# Christmas 2026, England and Wales: Fri 25 Dec Christmas Day, Mon 28 Dec the
# substitute for Boxing Day (Sat 26). A stage due on Tue 29 Dec: one working day
# before it is Thu 24 Dec.
DUE = date(2026, 12, 29)
WINDOW_CASES = [
    (date(2026, 12, 23), None),
    (date(2026, 12, 24), Occasion.DUE_SOON),
    (date(2026, 12, 25), Occasion.DUE_SOON),  # the sweep missed Thursday: caught up
    (date(2026, 12, 28), Occasion.DUE_SOON),
    (date(2026, 12, 29), Occasion.DUE_TODAY),
    (date(2026, 12, 30), Occasion.OVERDUE),
]


@pytest.mark.parametrize(
    ("today", "expected"), WINDOW_CASES, ids=[f"{today:%a-%d-%b}" for today, _ in WINDOW_CASES]
)
def test_reminders_count_working_days_across_the_christmas_bank_holidays(
    today: date, expected: Occasion | None
) -> None:
    window = reminder_window(
        today=today,
        calendar=bank_holiday_calendar(Nation.ENGLAND_AND_WALES),
        working_days_before=1,
    )

    assert window.occasion_for(DUE) == expected


def test_two_working_days_before_christmas_is_the_wednesday() -> None:
    calendar = bank_holiday_calendar(Nation.ENGLAND_AND_WALES)

    tuesday = reminder_window(today=date(2026, 12, 22), calendar=calendar, working_days_before=2)
    wednesday = reminder_window(today=date(2026, 12, 23), calendar=calendar, working_days_before=2)

    assert tuesday.occasion_for(DUE) is None
    assert wednesday.soon_until == DUE
    assert wednesday.action_occasion_for(DUE) is Occasion.ACTION_DUE_SOON


def test_a_reminder_needs_at_least_one_working_day() -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        reminder_window(
            today=DUE,
            calendar=bank_holiday_calendar(Nation.ENGLAND_AND_WALES),
            working_days_before=0,
        )
