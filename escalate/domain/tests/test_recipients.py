"""Who hears what, for each of the five shipped procedures, and when reminders fall due.

Two agencies with a whole ladder each: the school (11 practitioner, 12 line manager,
13 safeguarding lead, 14 head of service, 15 assistant director) raises, and children's
social care (21 to 25 likewise) is challenged. Some cases add the police (31 to 35) on
the challenged side, or a health visiting team (41 to 45) on the raising side. The
partnership: 91 business manager, 92 chair, 93 executive member, 94 independent
scrutineer. The teacher (11) raises it with the social worker (21).

Devon's and Greenwich's stage 1 involves the raising side only (a talk with one's own
supervisor, docs/domain.md decision 13); every other stage of the shipped procedures involves
both sides.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from escalate.domain.policy import (
    LADDER_ORDER,
    Agreement,
    LadderRole,
    Nation,
    PartnershipRole,
    PolicyRules,
    Sides,
    StageAuthority,
)
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
    proposal_recipients,
    recipients_for,
    reminder_window,
)
from escalate.domain.tests.test_deadlines import bank_holiday_calendar, shipped_rules

BM, CHAIR, EXEC, SCRUTINEER = 91, 92, 93, 94
TEACHER, SCHOOL_LM, SCHOOL_DSL, SCHOOL_HOS, SCHOOL_AD = 11, 12, 13, 14, 15
WORKER, CARE_LM, CARE_DSL, CARE_HOS, CARE_AD = 21, 22, 23, 24, 25
OFFICER, POLICE_LM, POLICE_DSL, POLICE_HOS, POLICE_AD = 31, 32, 33, 34, 35
HEALTH_VISITOR, HEALTH_LM = 41, 42
SCHOOL, CARE, POLICE, HEALTH = 1, 2, 3, 4

LMS = {SCHOOL_LM, CARE_LM}
DSLS = {SCHOOL_DSL, CARE_DSL}
HOSS = {SCHOOL_HOS, CARE_HOS}
ADS = {SCHOOL_AD, CARE_AD}


def side(
    agency_id: int,
    first: int,
    *,
    on: Sides = Sides.RAISING,
    party: bool = True,
    named: frozenset[int] = frozenset(),
) -> Side:
    rungs = [Rung(first + index, role) for index, role in enumerate(LADDER_ORDER)]
    return Side(
        agency_id=agency_id,
        party=rungs[0] if party else None,
        managers=tuple(rungs[1:]) if party else (),
        by_rung={rung.role: (rung.person_id,) for rung in rungs[1:] if rung.role},
        on=on,
        named=named,
    )


SCHOOL_SIDE = side(SCHOOL, TEACHER)
CARE_SIDE = side(CARE, WORKER, on=Sides.CHALLENGED)
POLICE_SIDE = side(POLICE, OFFICER, on=Sides.CHALLENGED)
HEALTH_SIDE = side(HEALTH, HEALTH_VISITOR)
ROLES = {
    PartnershipRole.BUSINESS_MANAGER: (BM,),
    PartnershipRole.CHAIR: (CHAIR,),
    PartnershipRole.EXECUTIVE_MEMBER: (EXEC,),
    PartnershipRole.INDEPENDENT_SCRUTINEER: (SCRUTINEER,),
}
PARTIES = Parties(sides=(SCHOOL_SIDE, CARE_SIDE), partnership=ROLES)
THREE_AGENCIES = Parties(sides=(SCHOOL_SIDE, CARE_SIDE, POLICE_SIDE), partnership=ROLES)


def with_sides(*sides: Side, parties: Parties = PARTIES) -> Parties:
    return replace(parties, sides=sides)


CLIMB = object()
"""The usual history: every stage from 1 up to the current one, one after another."""


def who(
    occasion: Occasion,
    policy: str,
    stage: int,
    *,
    parties: Parties = PARTIES,
    actor: int | None = TEACHER,
    immediate_risk: bool = False,
    so_far: object = CLIMB,
) -> set[int]:
    found = recipients_for(
        occasion,
        shipped_rules(policy),
        stage_number=stage,
        parties=parties,
        actor_id=actor,
        immediate_risk=immediate_risk,
        stages_so_far=_history(occasion, stage, so_far),
    )
    return {recipient.person_id for recipient in found}


def _history(occasion: Occasion, stage: int, so_far: object) -> tuple[int, ...]:
    if so_far is not CLIMB:
        assert isinstance(so_far, tuple)
        return so_far
    return () if occasion is Occasion.RAISED else tuple(range(1, stage + 1))


def reasons(found: tuple[Recipient, ...]) -> dict[int, set[Reason]]:
    return {recipient.person_id: set(recipient.reasons) for recipient in found}


def test_devon_and_greenwich_start_with_the_raising_side_alone() -> None:
    """The shipped files these cases count on (docs/domain.md decision 13)."""
    for policy in ("devon-preschool", "greenwich"):
        rules = shipped_rules(policy)
        assert rules.stage(1).authority.involves is Sides.RAISING, policy
        assert all(s.authority.involves is Sides.BOTH for s in rules.stages[1:]), policy


# --- each procedure, stage by stage --------------------------------------------------


CASES = [
    # (policy, occasion, stage, expected people) - expected counted from the policy files.
    # A stage move tells its own rung and whoever the policy names, and gives feedback to
    # every party so far (decision 12): the named practitioners (the raiser acted), and the
    # rung of every earlier stage. The final stage's agencies act through the rung before.
    # North East Lincolnshire: a rung per stage, then the chair and business manager.
    ("nel", Occasion.RAISED, 1, {WORKER} | LMS),
    ("nel", Occasion.STAGE_ENTERED, 2, {WORKER} | LMS),
    ("nel", Occasion.STAGE_ENTERED, 3, HOSS | {WORKER} | LMS),
    ("nel", Occasion.STAGE_ENTERED, 4, ADS | HOSS | {WORKER} | LMS),
    ("nel", Occasion.STAGE_ENTERED, 5, {BM, CHAIR} | ADS | HOSS | {WORKER} | LMS),
    ("nel", Occasion.OUTCOME, 2, {TEACHER, WORKER} | LMS),
    # Devon: stage 1 is the raiser and their own supervisor; the other agency first hears
    # at stage 2. The board manager from stage 3, told the outcome of stage 4; chair at 5.
    ("devon-preschool", Occasion.RAISED, 1, {SCHOOL_LM}),
    ("devon-preschool", Occasion.OUTCOME, 1, {TEACHER}),
    ("devon-preschool", Occasion.STAGE_ENTERED, 2, {WORKER}),
    ("devon-preschool", Occasion.STAGE_ENTERED, 3, LMS | {BM, WORKER}),
    ("devon-preschool", Occasion.STAGE_ENTERED, 4, DSLS | LMS | {WORKER}),
    ("devon-preschool", Occasion.OUTCOME, 4, {TEACHER, WORKER, BM} | DSLS | LMS),
    ("devon-preschool", Occasion.STAGE_ENTERED, 5, {CHAIR, BM, WORKER} | DSLS | LMS),
    # Worcestershire: board members of each agency and the board manager at stage 4.
    ("worcestershire", Occasion.RAISED, 1, {WORKER} | LMS),
    ("worcestershire", Occasion.STAGE_ENTERED, 2, {WORKER} | LMS),
    ("worcestershire", Occasion.STAGE_ENTERED, 3, HOSS | {WORKER} | LMS),
    ("worcestershire", Occasion.STAGE_ENTERED, 4, ADS | {BM} | HOSS | {WORKER} | LMS),
    # CSCP: the Escalation Notification Form to the partnership from stage 3 (the
    # business manager); the executive and the independent scrutineer at stage 5.
    ("cscp", Occasion.STAGE_ENTERED, 2, {WORKER} | LMS),
    ("cscp", Occasion.STAGE_ENTERED, 3, DSLS | {BM, WORKER} | LMS),
    ("cscp", Occasion.STAGE_ENTERED, 4, HOSS | {BM} | DSLS | {WORKER} | LMS),
    ("cscp", Occasion.STAGE_ENTERED, 5, {EXEC, BM, SCRUTINEER} | HOSS | DSLS | {WORKER} | LMS),
    ("cscp", Occasion.OUTCOME, 3, {TEACHER, WORKER} | DSLS | LMS),
    ("cscp", Occasion.OUTCOME, 4, {TEACHER, WORKER, BM} | HOSS | DSLS | LMS),
    # Greenwich: own line manager first; six stages; the chair at the last, with the
    # business manager; the final outcome goes to the MAC group (business manager) and
    # policy gaps to the chair.
    ("greenwich", Occasion.RAISED, 1, {SCHOOL_LM}),
    ("greenwich", Occasion.STAGE_ENTERED, 2, {WORKER}),
    ("greenwich", Occasion.STAGE_ENTERED, 3, LMS | {WORKER}),
    ("greenwich", Occasion.STAGE_ENTERED, 4, DSLS | LMS | {WORKER}),
    ("greenwich", Occasion.STAGE_ENTERED, 5, ADS | DSLS | LMS | {WORKER}),
    ("greenwich", Occasion.STAGE_ENTERED, 6, {CHAIR, BM} | ADS | DSLS | LMS | {WORKER}),
    ("greenwich", Occasion.OUTCOME, 6, {TEACHER, WORKER, CHAIR, BM} | ADS | DSLS | LMS),
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
        shipped_rules("nel"),
        stage_number=1,
        parties=PARTIES,
        actor_id=TEACHER,
        immediate_risk=True,
    )

    assert found[0] == Recipient(SCHOOL_DSL, (Reason.SAFEGUARDING_LEAD,))
    assert CARE_DSL not in reasons(found)  # the raiser's own agency's lead, not the other's


def test_a_route_that_starts_above_stage_1_tells_that_stages_people() -> None:
    # Greenwich's refused-conference route enters at stage 4: the safeguarding leads act.
    assert who(Occasion.RAISED, "greenwich", 4) == {WORKER} | LMS | DSLS
    # Devon allows an immediate-risk start at stage 3: the board manager hears at once.
    assert BM in who(Occasion.RAISED, "devon-preschool", 3, immediate_risk=True)


def test_the_actor_is_not_told_what_they_did_but_gets_the_written_outcome() -> None:
    assert SCHOOL_LM not in who(Occasion.STAGE_ENTERED, "nel", 2, actor=SCHOOL_LM)
    assert TEACHER in who(Occasion.STAGE_ENTERED, "nel", 2, actor=SCHOOL_LM)
    assert TEACHER in who(Occasion.OUTCOME, "nel", 1, actor=TEACHER)


def test_every_party_hears_the_outcome_including_those_named_on_the_record() -> None:
    parties = replace(PARTIES, involved=frozenset({77, 78}))

    assert who(Occasion.OUTCOME, "nel", 2, parties=parties) == {TEACHER, WORKER, 77, 78} | LMS


# --- which sides a stage involves (docs/domain.md decision 13) ------------------------------


ACTORS = {Occasion.REOPENED: SCHOOL_LM, Occasion.DUE_TODAY: None, Occasion.OVERDUE: None}
"""Who causes each occasion in these cases: nobody, for a reminder."""

RAISING_ONLY_CASES = [
    # (policy, occasion, stage, stages so far, immediate risk, expected)
    ("devon-preschool", Occasion.RAISED, 1, (), False, {SCHOOL_LM}),
    ("devon-preschool", Occasion.RAISED, 1, (), True, {SCHOOL_DSL, SCHOOL_LM}),
    ("greenwich", Occasion.RAISED, 1, (), True, {SCHOOL_DSL, SCHOOL_LM}),
    ("greenwich", Occasion.OUTCOME, 1, (1,), False, {TEACHER}),
    ("greenwich", Occasion.DUE_TODAY, 1, (1,), False, {TEACHER}),
    ("greenwich", Occasion.OVERDUE, 1, (1,), False, {TEACHER, SCHOOL_LM}),
    ("devon-preschool", Occasion.REOPENED, 1, (1, 1), False, {TEACHER}),
]


@pytest.mark.parametrize(
    ("policy", "occasion", "stage", "so_far", "immediate_risk", "expected"),
    RAISING_ONLY_CASES,
    ids=[
        f"{policy}-{occasion.value}{'-immediate-risk' if risk else ''}"
        for policy, occasion, _, _, risk, _ in RAISING_ONLY_CASES
    ],
)
def test_a_stage_involving_the_raising_side_only_never_reaches_the_other_agency(
    policy: str,
    occasion: Occasion,
    stage: int,
    so_far: tuple[int, ...],
    immediate_risk: bool,
    expected: set[int],
) -> None:
    found = who(
        occasion,
        policy,
        stage,
        actor=ACTORS.get(occasion, TEACHER),
        so_far=so_far,
        immediate_risk=immediate_risk,
    )

    assert found == expected
    assert not found & {WORKER, CARE_LM, CARE_DSL, CARE_HOS, CARE_AD}


def test_someone_of_the_other_agency_on_the_record_still_hears_nothing_at_stage_1() -> None:
    # A manager of the challenged agency recorded a contact before it was involved.
    parties = with_sides(SCHOOL_SIDE, replace(CARE_SIDE, named=frozenset({CARE_LM})))

    assert who(Occasion.OUTCOME, "devon-preschool", 1, parties=parties) == {TEACHER}
    assert CARE_LM in who(Occasion.STAGE_ENTERED, "devon-preschool", 2, parties=parties)


def test_the_challenged_side_hears_when_a_stage_first_involves_it_and_why() -> None:
    found = recipients_for(
        Occasion.STAGE_ENTERED,
        shipped_rules("greenwich"),
        stage_number=2,
        parties=PARTIES,
        actor_id=TEACHER,
        stages_so_far=(1, 2),
    )

    assert reasons(found) == {
        WORKER: {Reason.ACTS_AT_STAGE, Reason.NOW_INVOLVED, Reason.FEEDBACK},
    }


def test_without_a_counterpart_the_newly_involved_agencys_line_manager_hears() -> None:
    parties = with_sides(SCHOOL_SIDE, side(CARE, WORKER, on=Sides.CHALLENGED, party=False))

    assert who(Occasion.STAGE_ENTERED, "devon-preschool", 2, parties=parties) == {CARE_LM}


def test_a_side_involved_from_the_start_is_not_told_it_is_newly_involved() -> None:
    found = recipients_for(
        Occasion.STAGE_ENTERED,
        shipped_rules("nel"),
        stage_number=2,
        parties=PARTIES,
        actor_id=TEACHER,
        stages_so_far=(1, 2),
    )

    assert all(Reason.NOW_INVOLVED not in recipient.reasons for recipient in found)


# --- more than two agencies ----------------------------------------------------------


MANY_AGENCY_CASES = [
    # (policy, occasion, stage, parties, expected)
    (
        "nel",
        Occasion.RAISED,
        1,
        THREE_AGENCIES,
        {WORKER, OFFICER, SCHOOL_LM, CARE_LM, POLICE_LM},
    ),
    (
        "nel",
        Occasion.STAGE_ENTERED,
        3,
        THREE_AGENCIES,
        HOSS | {POLICE_HOS} | LMS | {POLICE_LM, WORKER, OFFICER},
    ),
    ("nel", Occasion.DUE_TODAY, 2, THREE_AGENCIES, LMS | {POLICE_LM}),
    (
        "nel",
        Occasion.OUTCOME,
        2,
        THREE_AGENCIES,
        {TEACHER, WORKER, OFFICER} | LMS | {POLICE_LM},
    ),
    (
        "worcestershire",
        Occasion.STAGE_ENTERED,
        4,
        THREE_AGENCIES,
        ADS | {POLICE_AD, BM} | HOSS | {POLICE_HOS} | LMS | {POLICE_LM, WORKER, OFFICER},
    ),
    # A second agency on the raising side takes part in the raising side's own stage 1.
    (
        "devon-preschool",
        Occasion.DUE_TODAY,
        1,
        with_sides(SCHOOL_SIDE, CARE_SIDE, HEALTH_SIDE),
        {TEACHER, HEALTH_VISITOR},
    ),
    (
        "devon-preschool",
        Occasion.OUTCOME,
        1,
        with_sides(SCHOOL_SIDE, CARE_SIDE, POLICE_SIDE, HEALTH_SIDE),
        {TEACHER, HEALTH_VISITOR},
    ),
    (
        "devon-preschool",
        Occasion.STAGE_ENTERED,
        2,
        with_sides(SCHOOL_SIDE, CARE_SIDE, POLICE_SIDE, HEALTH_SIDE),
        {WORKER, OFFICER, HEALTH_VISITOR},
    ),
]


@pytest.mark.parametrize(
    ("policy", "occasion", "stage", "parties", "expected"),
    MANY_AGENCY_CASES,
    ids=[
        f"{policy}-{occasion.value}-stage{stage}-{len(parties.sides)}-agencies"
        for policy, occasion, stage, parties, _ in MANY_AGENCY_CASES
    ],
)
def test_every_party_agency_hears_not_just_the_first_two(
    policy: str, occasion: Occasion, stage: int, parties: Parties, expected: set[int]
) -> None:
    assert who(occasion, policy, stage, parties=parties, actor=ACTORS.get(occasion, TEACHER)) == (
        expected
    )


def test_the_board_members_of_every_agency_are_informed() -> None:
    found = recipients_for(
        Occasion.STAGE_ENTERED,
        shipped_rules("worcestershire"),
        stage_number=4,
        parties=THREE_AGENCIES,
        stages_so_far=(4,),
    )

    board = {pk for pk, why in reasons(found).items() if Reason.BOARD_MEMBER in why}
    assert board == ADS | {POLICE_AD}


def test_the_raising_agency_comes_first_and_no_agency_is_on_both_sides() -> None:
    with pytest.raises(ValueError, match="raising agency's side comes first"):
        Parties(sides=(CARE_SIDE, SCHOOL_SIDE))
    with pytest.raises(ValueError, match="raising side or the challenged side"):
        side(9, 91, on=Sides.BOTH)
    assert THREE_AGENCIES.on(Sides.CHALLENGED) == (CARE_SIDE, POLICE_SIDE)


# --- feedback to all parties (docs/domain.md decision 12) ---------------------------------


FEEDBACK_CASES = [
    # (policy, occasion, stage, stages so far, actor, expected: who gets FEEDBACK)
    # Every earlier stage's rung, the named practitioners and the raiser.
    ("nel", Occasion.STAGE_ENTERED, 3, (1, 2, 3), SCHOOL_LM, {TEACHER, WORKER, CARE_LM}),
    # A route that started at stage 4: nobody acted on the lower rungs.
    ("greenwich", Occasion.STAGE_ENTERED, 5, (4, 5), SCHOOL_DSL, {TEACHER, WORKER, CARE_DSL}),
    # The final stage: the rung before it acts for the agencies, so it hears too.
    ("nel", Occasion.STAGE_ENTERED, 5, (5,), CHAIR, {TEACHER, WORKER} | ADS),
    # Reopened after a failed check-back: everyone who took part so far, again.
    # (The reopened stage's own rung acts at it again, and hears that way.)
    ("nel", Occasion.REOPENED, 2, (1, 2, 2), TEACHER, {WORKER}),
    ("nel", Occasion.REOPENED, 3, (1, 2, 3), TEACHER, {WORKER} | LMS),
    ("cscp", Occasion.REOPENED, 4, (1, 2, 3, 4, 4), TEACHER, {WORKER} | LMS | DSLS),
]


@pytest.mark.parametrize(
    ("policy", "occasion", "stage", "so_far", "actor", "expected"),
    FEEDBACK_CASES,
    ids=[
        f"{policy}-{occasion.value}-stage{stage}-after-{'-'.join(map(str, so_far))}"
        for policy, occasion, stage, so_far, _, _ in FEEDBACK_CASES
    ],
)
def test_a_stage_move_gives_feedback_to_every_party_so_far(
    policy: str,
    occasion: Occasion,
    stage: int,
    so_far: tuple[int, ...],
    actor: int,
    expected: set[int],
) -> None:
    found = recipients_for(
        occasion,
        shipped_rules(policy),
        stage_number=stage,
        parties=PARTIES,
        actor_id=actor,
        stages_so_far=so_far,
    )

    assert {pk for pk, why in reasons(found).items() if Reason.FEEDBACK in why} == expected


def test_those_who_took_part_and_the_panel_hear_every_stage_move() -> None:
    # The school's safeguarding lead recorded a contact; 77 sits on the panel.
    parties = replace(
        with_sides(replace(SCHOOL_SIDE, named=frozenset({SCHOOL_DSL})), CARE_SIDE),
        involved=frozenset({77}),
    )

    found = reasons(
        recipients_for(
            Occasion.STAGE_ENTERED,
            shipped_rules("nel"),
            stage_number=2,
            parties=parties,
            actor_id=TEACHER,
            stages_so_far=(1, 2),
        )
    )

    assert found[SCHOOL_DSL] == {Reason.FEEDBACK}
    assert found[77] == {Reason.FEEDBACK}
    assert found[SCHOOL_LM] == {Reason.ACTS_AT_STAGE}


def test_a_reopened_final_stage_tells_the_partnership_again() -> None:
    assert {BM, CHAIR} <= who(Occasion.REOPENED, "nel", 5, so_far=(1, 2, 3, 4, 5, 5), actor=TEACHER)


def test_an_inactive_raiser_is_not_written_to() -> None:
    gone = replace(SCHOOL_SIDE, party=Rung(TEACHER, LadderRole.PRACTITIONER, is_active=False))

    assert TEACHER not in who(
        Occasion.OUTCOME, "nel", 2, parties=with_sides(gone, CARE_SIDE), actor=SCHOOL_LM
    )


# --- a proposed resolution waits for the other agencies (docs/domain.md decision 8) ----------


PROPOSAL_CASES = [
    # (policy, stage, parties, agencies agreed, expected)
    ("nel", 2, PARTIES, {SCHOOL}, {CARE_LM}),
    ("nel", 2, PARTIES, {CARE}, {SCHOOL_LM}),
    ("nel", 2, THREE_AGENCIES, {SCHOOL}, {CARE_LM, POLICE_LM}),
    ("nel", 2, THREE_AGENCIES, {SCHOOL, CARE}, {POLICE_LM}),
    ("nel", 2, THREE_AGENCIES, {SCHOOL, CARE, POLICE}, set()),
    ("worcestershire", 1, PARTIES, {SCHOOL}, {WORKER}),
    # The final stage's agencies act through the rung before it (decision 7).
    ("cscp", 5, PARTIES, {CARE}, {SCHOOL_HOS}),
]


@pytest.mark.parametrize(
    ("policy", "stage", "parties", "agreed", "expected"),
    PROPOSAL_CASES,
    ids=[
        f"{policy}-stage{stage}-{len(parties.sides)}-agencies-agreed-by-{len(agreed)}"
        for policy, stage, parties, agreed, _ in PROPOSAL_CASES
    ],
)
def test_the_acting_rung_of_each_agency_yet_to_confirm_is_asked(
    policy: str, stage: int, parties: Parties, agreed: set[int], expected: set[int]
) -> None:
    found = proposal_recipients(
        shipped_rules(policy), stage_number=stage, parties=parties, agreed_by=agreed
    )

    assert {recipient.person_id for recipient in found} == expected
    assert all(recipient.reasons == (Reason.CONFIRMS_RESOLUTION,) for recipient in found)


def _one_sided_first_stage(rules: PolicyRules) -> PolicyRules:
    first = replace(
        rules.stages[0],
        authority=StageAuthority(
            involves=Sides.RAISING,
            escalate=Sides.RAISING,
            resolve=Sides.RAISING,
            agreement=Agreement.RECORDING_SIDE,
        ),
    )
    return replace(rules, stages=(first, *rules.stages[1:]))


def test_nobody_confirms_where_recording_the_resolution_ends_the_stage() -> None:
    rules = _one_sided_first_stage(shipped_rules("nel"))

    found = proposal_recipients(rules, stage_number=1, parties=PARTIES, agreed_by={SCHOOL})

    assert found == ()


def test_a_raising_only_stage_with_agreement_asks_only_the_raising_side() -> None:
    rules = _one_sided_first_stage(shipped_rules("nel"))
    rules = replace(
        rules,
        stages=(
            replace(
                rules.stages[0],
                authority=replace(rules.stages[0].authority, agreement=Agreement.EVERY_PARTY),
            ),
            *rules.stages[1:],
        ),
    )
    parties = with_sides(SCHOOL_SIDE, CARE_SIDE, HEALTH_SIDE)

    found = proposal_recipients(rules, stage_number=1, parties=parties, agreed_by={SCHOOL})

    assert [recipient.person_id for recipient in found] == [HEALTH_VISITOR]


# --- reaching people when the directory has gaps ------------------------------------


def test_without_a_counterpart_the_other_agencys_line_managers_hear() -> None:
    parties = with_sides(SCHOOL_SIDE, side(CARE, WORKER, on=Sides.CHALLENGED, party=False))

    assert who(Occasion.RAISED, "nel", 1, parties=parties) == LMS


def test_an_inactive_line_manager_is_skipped_for_the_next_rung_up() -> None:
    managers = (replace(SCHOOL_SIDE.managers[0], is_active=False), *SCHOOL_SIDE.managers[1:])
    parties = with_sides(replace(SCHOOL_SIDE, managers=managers), CARE_SIDE)

    assert who(Occasion.RAISED, "nel", 1, parties=parties) == {WORKER, SCHOOL_DSL, CARE_LM}


def test_a_line_that_skips_a_rung_reaches_the_first_person_above_it() -> None:
    # The teacher reports straight to the head of service.
    raising = Side(
        agency_id=SCHOOL,
        party=Rung(TEACHER, LadderRole.PRACTITIONER),
        managers=(Rung(SCHOOL_HOS, LadderRole.HEAD_OF_SERVICE),),
    )

    assert acting_rung_holders(raising, LadderRole.LINE_MANAGER) == (SCHOOL_HOS,)


def test_when_the_line_runs_out_everyone_on_that_rung_in_the_agency_hears() -> None:
    lonely = Side(
        agency_id=SCHOOL,
        party=Rung(TEACHER, LadderRole.PRACTITIONER),
        by_rung={LadderRole.LINE_MANAGER: (31, 32)},
    )

    assert acting_rung_holders(lonely, LadderRole.LINE_MANAGER) == (31, 32)
    assert next_rung_above(lonely, TEACHER) == (31, 32)
    assert acting_rung_holders(lonely, LadderRole.HEAD_OF_SERVICE) == ()


# --- reminders -----------------------------------------------------------------------


def test_reminders_go_to_whoever_acts_and_overdue_ones_to_the_next_rung_too() -> None:
    assert who(Occasion.DUE_SOON, "nel", 2, actor=None) == LMS
    assert who(Occasion.DUE_TODAY, "nel", 2, actor=None) == LMS
    assert who(Occasion.OVERDUE, "nel", 2, actor=None) == LMS | DSLS


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
    left = Rung(TEACHER, LadderRole.PRACTITIONER, is_active=False)
    gone = with_sides(replace(SCHOOL_SIDE, party=left), CARE_SIDE)

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
