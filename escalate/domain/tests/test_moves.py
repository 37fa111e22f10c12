"""moves_for() and its helpers: who may make which move, for the five shipped procedures.

No database: plain facts in, a decision out (docs/domain.md decisions 7 to 13).

The people; an id reads as agency then rung (1 practitioner .. 5 assistant director):
  the school (agency 1) raises it: 11 the teacher who raised it, 12 line manager,
    13 safeguarding lead, 14 head of service, 15 assistant director; 16 a teaching assistant
    nobody named; 17 the SENCO, named on the case but not the raiser; 18 the school's board
    member (panel role).
  children's social care (agency 2) is challenged: 21 the social worker (named), 22 to 25
    likewise; 26 a family support worker nobody named; 28 its board member (panel role).
  health (agency 3) joins on the challenged side in the three-agency cases: 31 the health
    visitor (named once health is a party), 32 to 35; 36 its board member (panel role).
  the police (agency 4) are never a party: 41 to 45; 46 its board member (panel role).
  the partnership: 91 business manager, 92 chair, 93 executive member, 94 independent
    scrutineer, 95 an independent panel member who belongs to no agency.

Where a test is about stage 1 with one's own supervisor (Devon, Greenwich) or about the
final meeting's chair (Worcestershire, Greenwich), it reads what the shipped file says, or
builds the variant with ``dataclasses.replace``, so it holds with or without those keys. The
section "intended shipped values" at the end asserts the keys themselves.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from escalate.domain.engine import Status, TransitionRefused
from escalate.domain.moves import (
    NOT_IN_PARTNERSHIP,
    ActionFacts,
    Actor,
    Appointee,
    AppointeeRole,
    Candidate,
    Case,
    ChecklistSlot,
    Implementation,
    Move,
    Party,
    Proposal,
    ResolutionStep,
    Side,
    WaitingOn,
    check_appointee,
    check_checklist_answer,
    checklist_slots,
    confirm_resolution,
    decision_refusal,
    ensure,
    known_answers,
    moves_among,
    moves_for,
    outstanding_items,
    panel_shortfall,
    propose_resolution,
    reopen_target,
    waiting_agencies,
    waiting_on,
    why_not,
)
from escalate.domain.policy import (
    LADDER_ORDER,
    SYSTEM_KNOWN_ITEMS,
    Agreement,
    ChecklistItem,
    FinalStageKind,
    FinalStageRule,
    LadderRole,
    MeetingChair,
    PartnershipRole,
    PolicyRules,
    Sides,
    StageAuthority,
)
from escalate.domain.tests.test_deadlines import shipped_rules

POLICIES = ("cscp", "devon-preschool", "greenwich", "nel", "worcestershire")
PARTNERSHIP, OTHER_PARTNERSHIP = 1, 2
SCHOOL, CARE, HEALTH, POLICE = 1, 2, 3, 4
RAISED_ON = date(2026, 3, 2)

TEACHER, SCHOOL_LM, SCHOOL_DSL, SCHOOL_HOS, SCHOOL_AD = 11, 12, 13, 14, 15
TEACHING_ASSISTANT, SENCO, SCHOOL_BOARD_MEMBER = 16, 17, 18
WORKER, CARE_LM, CARE_DSL, CARE_HOS, CARE_AD = 21, 22, 23, 24, 25
SUPPORT_WORKER, CARE_BOARD_MEMBER = 26, 28
HEALTH_VISITOR, HEALTH_LM, HEALTH_BOARD_MEMBER = 31, 32, 36
OFFICER, POLICE_LM, POLICE_BOARD_MEMBER = 41, 42, 46
BM, CHAIR, EXEC, SCRUTINEER, INDEPENDENT = 91, 92, 93, 94, 95

PR = PartnershipRole


def _directory() -> dict[int, Actor]:
    people: dict[int, Actor] = {}
    for agency in (SCHOOL, CARE, HEALTH, POLICE):
        for index, rung in enumerate(LADDER_ORDER):
            person_id = agency * 10 + index + 1
            people[person_id] = Actor(person_id, True, agency, rung)
    extra = [
        Actor(TEACHING_ASSISTANT, True, SCHOOL, LadderRole.PRACTITIONER),
        Actor(SENCO, True, SCHOOL, LadderRole.PRACTITIONER),
        Actor(SUPPORT_WORKER, True, CARE, LadderRole.PRACTITIONER),
        Actor(BM, True, None, None, frozenset({PR.BUSINESS_MANAGER})),
        Actor(CHAIR, True, None, None, frozenset({PR.CHAIR})),
        Actor(EXEC, True, None, None, frozenset({PR.EXECUTIVE_MEMBER})),
        Actor(SCRUTINEER, True, None, None, frozenset({PR.INDEPENDENT_SCRUTINEER})),
        Actor(INDEPENDENT, True, None, None, frozenset({PR.PANEL_MEMBER})),
    ]
    for agency, person_id in (
        (SCHOOL, SCHOOL_BOARD_MEMBER),
        (CARE, CARE_BOARD_MEMBER),
        (HEALTH, HEALTH_BOARD_MEMBER),
        (POLICE, POLICE_BOARD_MEMBER),
    ):
        extra.append(
            Actor(
                person_id, True, agency, LadderRole.ASSISTANT_DIRECTOR, frozenset({PR.PANEL_MEMBER})
            )
        )
    people.update({actor.person_id: actor for actor in extra})
    return people


PEOPLE = _directory()
EVERYONE = tuple(sorted(PEOPLE))


def person(person_id: int) -> Actor:
    return PEOPLE[person_id]


def inactive(person_id: int) -> Actor:
    return replace(PEOPLE[person_id], is_active=False)


def rung_holder(agency: int, rung: LadderRole) -> int:
    """The person on ``rung`` in ``agency``; at the bottom, its named practitioner."""
    return agency * 10 + LADDER_ORDER.index(rung) + 1


def candidate(
    person_id: int, *, partnership_id: int | None = PARTNERSHIP, is_active: bool = True
) -> Candidate:
    actor = PEOPLE[person_id]
    return Candidate(
        person_id=person_id,
        is_active=is_active,
        partnership_id=partnership_id,
        agency_id=actor.agency_id,
        partnership_roles=actor.partnership_roles,
    )


TWO_AGENCIES = (Party(SCHOOL, Side.RAISING), Party(CARE, Side.CHALLENGED))
THREE_AGENCIES = (*TWO_AGENCIES, Party(HEALTH, Side.CHALLENGED))
NAMED = frozenset({TEACHER, SENCO, WORKER})
FORM_SENT_AT_EVERY_STAGE = frozenset(range(1, 10))


def case(
    stage: int = 1,
    status: Status = Status.OPEN,
    *,
    parties: tuple[Party, ...] = TWO_AGENCIES,
    proposal: Proposal | None = None,
    appointees: tuple[Appointee, ...] = (),
    panel_reason: str = "",
    actions: tuple[ActionFacts, ...] = (),
    answered: frozenset[tuple[ChecklistItem, int | None]] = frozenset(),
    practice_issue_stages: frozenset[int] = FORM_SENT_AT_EVERY_STAGE,
) -> Case:
    """A case at ``stage``; its Escalation Notification Form is up to date unless a test says
    otherwise (``practice_issue_stages``), so the other rules' tables read plainly."""
    health_named = {HEALTH_VISITOR} if any(p.agency_id == HEALTH for p in parties) else set()
    return Case(
        partnership_id=PARTNERSHIP,
        status=status,
        stage_number=stage,
        raised_on=RAISED_ON,
        raised_by_id=TEACHER,
        parties=parties,
        named_person_ids=NAMED | health_named,
        proposal=proposal,
        appointees=appointees,
        panel_reason=panel_reason,
        actions=actions,
        answered=answered,
        practice_issue_stages=practice_issue_stages,
    )


def panel(*person_ids: int) -> tuple[Appointee, ...]:
    return tuple(
        Appointee(pid, PEOPLE[pid].agency_id, AppointeeRole.PANEL_MEMBER) for pid in person_ids
    )


def meeting_chair(person_id: int) -> tuple[Appointee, ...]:
    return (Appointee(person_id, PEOPLE[person_id].agency_id, AppointeeRole.MEETING_CHAIR),)


def proposed_by(agency: int, *also: int) -> Proposal:
    return Proposal(agency_id=agency, agreed_by=frozenset({agency, *also}))


CONFIRMED_DONE = ActionFacts(
    1, understanding_confirmed=True, implementation=Implementation.IMPLEMENTED
)
CONFIRMED_PENDING = ActionFacts(2, understanding_confirmed=True)
UNCONFIRMED = ActionFacts(3, understanding_confirmed=False)
NOT_DONE = ActionFacts(
    4, understanding_confirmed=True, implementation=Implementation.NOT_IMPLEMENTED
)


def stage_numbers(policy: str) -> list[int]:
    """From the table of rungs below, so collecting the tests reads no file."""
    return list(range(1, len(RUNGS[policy]) + 1))


def final_number(policy: str) -> int:
    return shipped_rules(policy).final_stage.number


def final_rule(rules: PolicyRules) -> FinalStageRule:
    final = rules.final_stage.final
    assert final is not None
    return final


def with_authority(rules: PolicyRules, number: int, authority: StageAuthority) -> PolicyRules:
    stages = tuple(
        replace(stage, authority=authority) if stage.number == number else stage
        for stage in rules.stages
    )
    return replace(rules, stages=stages)


def with_final(rules: PolicyRules, final: FinalStageRule) -> PolicyRules:
    return replace(rules, stages=(*rules.stages[:-1], replace(rules.final_stage, final=final)))


def with_meeting_chair(policy: str, chair: MeetingChair) -> PolicyRules:
    """The policy as shipped, with its final meeting chaired the way its source says."""
    rules = shipped_rules(policy)
    return with_final(rules, replace(final_rule(rules), meeting_chair=chair))


OWN_SUPERVISOR = StageAuthority(
    involves=Sides.RAISING,
    escalate=Sides.RAISING,
    resolve=Sides.RAISING,
    agreement=Agreement.RECORDING_SIDE,
)
"""Stage 1 in Devon and Greenwich: the worker and their own supervisor (decision 13)."""

MEETING_CHAIRS = {
    "worcestershire": MeetingChair.INDEPENDENT,
    "greenwich": MeetingChair.UNINVOLVED_AGENCY,
}


def assert_readable(sentence: str, context: object = "") -> None:
    """A refusal is one sentence a practitioner can read."""
    assert sentence, f"empty refusal: {context}"
    assert sentence[0].isupper() or sentence[0].isdigit(), f"{sentence!r}: {context}"
    assert sentence.endswith("."), f"{sentence!r}: {context}"
    assert "  " not in sentence, f"{sentence!r}: {context}"
    for leak in ("None", "{", "}", "Sides.", "LadderRole", "_"):
        assert leak not in sentence, f"{sentence!r} shows {leak!r}: {context}"


ROLE_WORDS = {
    PR.BUSINESS_MANAGER: "the business manager",
    PR.CHAIR: "the chair",
    PR.EXECUTIVE_MEMBER: "the executive",
    PR.PANEL_MEMBER: "panel members",
    PR.INDEPENDENT_SCRUTINEER: "the independent scrutineer",
    PR.ADMINISTRATOR: "administrators",
    PR.DATA_PROTECTION_OFFICER: "the data protection officer",
}


def roles_words(roles: tuple[PartnershipRole, ...]) -> str:
    """'the chair', 'the chair or the business manager', in the policy's order."""
    words = [ROLE_WORDS[role] for role in roles]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def only_appointers(rules: PolicyRules, verb: str) -> str:
    return f"Only {roles_words(final_rule(rules).appointed_by)} can {verb}."


# --- the rungs the tables below assume, checked against the files ----------------------------

P, LM, DSL, HOS, AD = (
    LadderRole.PRACTITIONER,
    LadderRole.LINE_MANAGER,
    LadderRole.SAFEGUARDING_LEAD,
    LadderRole.HEAD_OF_SERVICE,
    LadderRole.ASSISTANT_DIRECTOR,
)
RUNGS: dict[str, tuple[LadderRole | None, ...]] = {
    "nel": (P, LM, HOS, AD, None),
    "devon-preschool": (P, P, LM, DSL, None),
    "worcestershire": (P, LM, HOS, None),
    "cscp": (P, LM, DSL, HOS, None),
    "greenwich": (P, P, LM, DSL, AD, None),
}


@pytest.mark.parametrize("policy", POLICIES)
def test_each_stage_names_the_rung_the_tables_assume(policy: str) -> None:
    rules = shipped_rules(policy)
    assert tuple(stage.ladder_role for stage in rules.stages) == RUNGS[policy]
    assert rules.final_stage.final is not None
    # The final stage names no rung: the rung before acts for each agency (decision 7).
    assert rules.acting_rung(rules.final_stage.number) == RUNGS[policy][-2]


# --- the main table: who may escalate, resolve, withdraw, record a contact -------------------

CODES = {
    "E": Move.ESCALATE,
    "P": Move.PROPOSE_RESOLUTION,
    "W": Move.WITHDRAW,
    "C": Move.RECORD_CONTACT,
}
COLUMNS = {
    "raiser": TEACHER,
    "raising_colleague": SENCO,
    "counterpart": WORKER,
    "raising_lm": SCHOOL_LM,
    "challenged_lm": CARE_LM,
    "raising_hos": SCHOOL_HOS,
    "challenged_ad": CARE_AD,
    "unnamed": TEACHING_ASSISTANT,
    "chair": CHAIR,
    "outsider": OFFICER,
}
# "*": records contacts, escalates and resolves only where the stage's authority involves the
# challenged side (Devon's and Greenwich's stage 1 is the raiser with their own supervisor).
# The chair records contacts only at the final stage, where the partnership acts.
# fmt: off
ALLOWED = [
    # policy, stage, then: raiser, colleague, counterpart, raising_lm, challenged_lm,
    # raising_hos, challenged_ad, unnamed, chair, outsider
    ("nel", 1,           "EPWC", "EPC",    "EPC",      "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("nel", 2,           "WC",   "C",      "C",        "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("nel", 3,           "WC",   "C",      "C",        "WC",   "C",   "EPWC", "EPC", "", "",  ""),
    ("nel", 4,           "WC",   "C",      "C",        "WC",   "C",   "WC",   "EPC", "", "",  ""),
    ("nel", 5,           "WC",   "C",      "C",        "WC",   "C",   "WC",   "C",   "", "C", ""),
    ("devon-preschool", 1, "EPWC", "EPC",  "*" ,       "EPWC", "*" ,  "EPWC", "*" ,  "", "",  ""),
    ("devon-preschool", 2, "EPWC", "EPC",  "EPC",      "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("devon-preschool", 3, "WC",   "C",    "C",        "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("devon-preschool", 4, "WC",   "C",    "C",        "WC",   "C",   "EPWC", "EPC", "", "",  ""),
    ("devon-preschool", 5, "WC",   "C",    "C",        "WC",   "C",   "WC",   "C",   "", "C", ""),
    ("worcestershire", 1, "EPWC", "EPC",   "EPC",      "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("worcestershire", 2, "WC",   "C",     "C",        "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("worcestershire", 3, "WC",   "C",     "C",        "WC",   "C",   "EPWC", "EPC", "", "",  ""),
    ("worcestershire", 4, "WC",   "C",     "C",        "WC",   "C",   "WC",   "C",   "", "C", ""),
    ("cscp", 1,          "EPWC", "EPC",    "EPC",      "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("cscp", 2,          "WC",   "C",      "C",        "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("cscp", 3,          "WC",   "C",      "C",        "WC",   "C",   "EPWC", "EPC", "", "",  ""),
    ("cscp", 4,          "WC",   "C",      "C",        "WC",   "C",   "EPWC", "EPC", "", "",  ""),
    ("cscp", 5,          "WC",   "C",      "C",        "WC",   "C",   "WC",   "C",   "", "C", ""),
    ("greenwich", 1,     "EPWC", "EPC",    "*" ,       "EPWC", "*" ,  "EPWC", "*" ,  "", "",  ""),
    ("greenwich", 2,     "EPWC", "EPC",    "EPC",      "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("greenwich", 3,     "WC",   "C",      "C",        "EPWC", "EPC", "EPWC", "EPC", "", "",  ""),
    ("greenwich", 4,     "WC",   "C",      "C",        "WC",   "C",   "EPWC", "EPC", "", "",  ""),
    ("greenwich", 5,     "WC",   "C",      "C",        "WC",   "C",   "WC",   "EPC", "", "",  ""),
    ("greenwich", 6,     "WC",   "C",      "C",        "WC",   "C",   "WC",   "C",   "", "C", ""),
]
# fmt: on
ALLOWED_CASES = [
    (policy, stage, column, code)
    for policy, stage, *codes in ALLOWED
    for column, code in zip(COLUMNS, codes, strict=True)
]


def _expand(code: str, rules: PolicyRules, stage: int) -> set[Move]:
    moves = {CODES[letter] for letter in code.rstrip("*")}
    if code.endswith("*"):
        authority = rules.stage(stage).authority
        lets = authority.involves.includes(Side.CHALLENGED)
        if lets:
            moves.add(Move.RECORD_CONTACT)
        if lets and authority.escalate.includes(Side.CHALLENGED):
            moves.add(Move.ESCALATE)
        if lets and authority.resolve.includes(Side.CHALLENGED):
            moves.add(Move.PROPOSE_RESOLUTION)
    return moves


def test_the_table_covers_every_stage_of_every_policy() -> None:
    covered = {(policy, stage) for policy, stage, *_ in ALLOWED}
    assert covered == {(policy, n) for policy in POLICIES for n in stage_numbers(policy)}


@pytest.mark.parametrize(
    ("policy", "stage", "column", "code"),
    ALLOWED_CASES,
    ids=[f"{policy}-stage{stage}-{column}" for policy, stage, column, _ in ALLOWED_CASES],
)
def test_who_may_escalate_resolve_withdraw_and_record_a_contact(
    policy: str, stage: int, column: str, code: str
) -> None:
    rules = shipped_rules(policy)
    found = moves_for(case(stage), person(COLUMNS[column]), rules)
    assert found.allowed & set(CODES.values()) == _expand(code, rules, stage)


@pytest.mark.parametrize("column", sorted(COLUMNS))
def test_asking_about_some_moves_answers_as_asking_about_all(column: str) -> None:
    rules = shipped_rules("nel")
    asked = [Move.ESCALATE, Move.PROPOSE_RESOLUTION, Move.WITHDRAW]
    everything = moves_for(case(1), person(COLUMNS[column]), rules)

    some = moves_among(asked, case(1), person(COLUMNS[column]), rules)

    assert some.allowed == everything.allowed & set(asked)
    assert [some.refusal(move) for move in asked] == [everything.refusal(m) for m in asked]


# --- decision 7: a stage belongs to its rung, and those above it, in each party agency --------

NON_FINAL = [(policy, number) for policy in POLICIES for number in stage_numbers(policy)[:-1]]


@pytest.mark.parametrize(
    ("policy", "stage"), NON_FINAL, ids=[f"{policy}-stage{stage}" for policy, stage in NON_FINAL]
)
def test_each_stage_belongs_to_its_rung_and_everyone_above_it(policy: str, stage: int) -> None:
    rules = shipped_rules(policy)
    rung = rules.acting_rung(stage)
    authority = rules.stage(stage).authority
    for agency, side in ((SCHOOL, Side.RAISING), (CARE, Side.CHALLENGED)):
        for rank, role in enumerate(LADDER_ORDER):
            actor = person(rung_holder(agency, role))
            for move, sides in (
                (Move.ESCALATE, authority.escalate),
                (Move.PROPOSE_RESOLUTION, authority.resolve),
            ):
                side_may = sides.includes(side) and authority.involves.includes(side)
                expected = side_may and rank >= LADDER_ORDER.index(rung)
                refusal = why_not(move, case(stage), actor, rules)
                assert (refusal == "") is expected, (move, role, side, refusal)
                if refusal:
                    assert_readable(refusal, (move, role, side))


BELOW_THE_RUNG = [
    (
        "nel",
        3,
        TEACHER,
        Move.ESCALATE,
        "Stage 3 belongs to the heads of service of each agency, or someone more senior, "
        "so you cannot escalate it.",
    ),
    (
        "nel",
        3,
        CARE_LM,
        Move.PROPOSE_RESOLUTION,
        "Stage 3 belongs to the heads of service of each agency, or someone more senior, "
        "so you cannot resolve it.",
    ),
    (
        "greenwich",
        5,
        SCHOOL_HOS,
        Move.ESCALATE,
        "Stage 5 belongs to the assistant directors of each agency, or someone more senior, "
        "so you cannot escalate it.",
    ),
    (
        "cscp",
        3,
        SCHOOL_LM,
        Move.ESCALATE,
        "Stage 3 belongs to the named or designated safeguarding leads of each agency, "
        "or someone more senior, so you cannot escalate it.",
    ),
    (
        "nel",
        1,
        TEACHING_ASSISTANT,
        Move.ESCALATE,
        "Only the practitioners named on this escalation can escalate it at this stage.",
    ),
    (
        "worcestershire",
        1,
        SUPPORT_WORKER,
        Move.PROPOSE_RESOLUTION,
        "Only the practitioners named on this escalation can resolve it at this stage.",
    ),
    ("nel", 1, OFFICER, Move.ESCALATE, "Only the agencies in this disagreement can escalate it."),
    ("nel", 2, CHAIR, Move.ESCALATE, "Only the agencies in this disagreement can escalate it."),
    ("nel", 5, CARE_AD, Move.ESCALATE, "This escalation is already at its final stage."),
    (
        "devon-preschool",
        5,
        SCHOOL_AD,
        Move.PROPOSE_RESOLUTION,
        "At the final stage the outcome is the decision the partnership records.",
    ),
]


@pytest.mark.parametrize(
    ("policy", "stage", "person_id", "move", "sentence"),
    BELOW_THE_RUNG,
    ids=[f"{p}-stage{s}-{who}-{m.value}" for p, s, who, m, _ in BELOW_THE_RUNG],
)
def test_a_refusal_says_whose_stage_it_is(
    policy: str, stage: int, person_id: int, move: Move, sentence: str
) -> None:
    assert why_not(move, case(stage), person(person_id), shipped_rules(policy)) == sentence
    with pytest.raises(TransitionRefused, match="^" + re.escape(sentence)):
        ensure(move, case(stage), person(person_id), shipped_rules(policy))


@pytest.mark.parametrize("policy", POLICIES)
def test_someone_above_the_rung_of_a_party_agency_may_act_at_every_stage_before_the_last(
    policy: str,
) -> None:
    rules = shipped_rules(policy)
    for stage in rules.stages[:-1]:
        for director in (SCHOOL_AD, CARE_AD):
            side = Side.RAISING if director == SCHOOL_AD else Side.CHALLENGED
            if not stage.authority.involves.includes(side):
                continue
            assert Move.ESCALATE in moves_for(case(stage.number), person(director), rules).allowed


def test_a_stage_for_the_raising_side_only_is_closed_to_the_challenged_side() -> None:
    rules = with_authority(shipped_rules("nel"), 1, OWN_SUPERVISOR)
    assert why_not(Move.ESCALATE, case(1), person(WORKER), rules) == (
        "At stage 1 only the agency that raised it can escalate it."
    )
    assert why_not(Move.PROPOSE_RESOLUTION, case(1), person(CARE_AD), rules) == (
        "At stage 1 only the agency that raised it can resolve it."
    )
    assert why_not(Move.ADD_AGENCY, case(1), person(CARE_LM), rules) == (
        "At stage 1 only the agency that raised it can add an agency to it."
    )
    assert why_not(Move.ESCALATE, case(1), person(TEACHER), rules) == ""
    assert why_not(Move.ESCALATE, case(1), person(SCHOOL_LM), rules) == ""


@pytest.mark.parametrize("policy", ["devon-preschool", "greenwich"])
def test_stage_1_with_ones_own_supervisor_follows_the_files_authority(policy: str) -> None:
    rules = shipped_rules(policy)
    authority = rules.stage(1).authority
    challenged_may = authority.involves.includes(Side.CHALLENGED) and authority.escalate.includes(
        Side.CHALLENGED
    )
    assert (why_not(Move.ESCALATE, case(1), person(WORKER), rules) == "") is challenged_may
    assert why_not(Move.ESCALATE, case(1), person(TEACHER), rules) == ""
    step = propose_resolution(case(1), person(TEACHER), rules)
    assert step.is_agreed is (authority.agreement is Agreement.RECORDING_SIDE)


# --- decision 9: withdrawal belongs to the raising side -------------------------------------

EVERY_STAGE = [(policy, number) for policy in POLICIES for number in stage_numbers(policy)]
EVERY_STAGE_IDS = [f"{policy}-stage{stage}" for policy, stage in EVERY_STAGE]
CHALLENGED_SIDE = (WORKER, CARE_LM, CARE_DSL, CARE_HOS, CARE_AD, SUPPORT_WORKER)


@pytest.mark.parametrize(("policy", "stage"), EVERY_STAGE, ids=EVERY_STAGE_IDS)
def test_only_the_raiser_or_their_managers_may_withdraw(policy: str, stage: int) -> None:
    rules = shipped_rules(policy)
    for raising in (TEACHER, SCHOOL_LM, SCHOOL_DSL, SCHOOL_HOS, SCHOOL_AD):
        assert why_not(Move.WITHDRAW, case(stage), person(raising), rules) == "", raising
    for colleague in (SENCO, TEACHING_ASSISTANT):
        assert why_not(Move.WITHDRAW, case(stage), person(colleague), rules) == (
            "Only the person who raised it or their managers can withdraw this escalation."
        )
    for challenged in CHALLENGED_SIDE:
        refusal = why_not(Move.WITHDRAW, case(stage), person(challenged), rules)
        assert "the agency whose decision is challenged cannot end the challenge" in refusal
        assert_readable(refusal, challenged)
    for partnership in (BM, CHAIR, EXEC):
        assert not moves_for(case(stage), person(partnership), rules).allows(Move.WITHDRAW)


@pytest.mark.parametrize("policy", POLICIES)
def test_the_executive_records_no_contact_before_the_final_stage(policy: str) -> None:
    refusal = why_not(Move.RECORD_CONTACT, case(2), person(EXEC), shipped_rules(policy))
    assert refusal == "Only people involved in this escalation can record a contact."


def test_withdrawing_needs_an_open_escalation() -> None:
    rules = shipped_rules("nel")
    assert why_not(Move.WITHDRAW, case(2, Status.RESOLVED), person(TEACHER), rules) == (
        "This escalation is resolved; only an open one can be withdrawn."
    )


# --- decision 8: resolution is agreement ----------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "stage"), NON_FINAL, ids=[f"{policy}-stage{stage}" for policy, stage in NON_FINAL]
)
def test_one_side_proposes_and_the_other_sides_rung_confirms(policy: str, stage: int) -> None:
    rules = shipped_rules(policy)
    rung = rules.acting_rung(stage)
    proposer, confirmer = rung_holder(SCHOOL, rung), rung_holder(CARE, rung)
    step = propose_resolution(case(stage), person(proposer), rules)
    assert step.proposal == proposed_by(SCHOOL)
    if rules.stage(stage).authority.agreement is Agreement.RECORDING_SIDE:
        assert step.is_agreed
        return
    assert not step.is_agreed
    pending = case(stage, proposal=step.proposal)
    assert waiting_on(pending, rules) is WaitingOn.CONFIRMATION
    assert waiting_agencies(pending, rules) == (CARE,)
    assert why_not(Move.CONFIRM_RESOLUTION, pending, person(SCHOOL_AD), rules) == (
        "Your agency has already agreed this resolution; the other agencies confirm it."
    )
    assert why_not(Move.PROPOSE_RESOLUTION, pending, person(confirmer), rules) == (
        "A resolution is already waiting for confirmation at this stage."
    )
    confirmed = confirm_resolution(pending, person(confirmer), rules)
    assert confirmed == ResolutionStep(proposed_by(SCHOOL, CARE), is_agreed=True)


def test_below_the_rung_the_other_agency_cannot_confirm() -> None:
    pending = case(3, proposal=proposed_by(SCHOOL))
    assert why_not(Move.CONFIRM_RESOLUTION, pending, person(CARE_LM), shipped_rules("nel")) == (
        "Stage 3 belongs to the heads of service of each agency, or someone more senior, "
        "so you cannot confirm a resolution of it."
    )
    assert why_not(Move.CONFIRM_RESOLUTION, pending, person(OFFICER), shipped_rules("nel")) == (
        "Only the agencies in this disagreement can confirm a resolution of it."
    )


def test_the_challenged_side_may_propose_and_the_raiser_confirms() -> None:
    rules = shipped_rules("worcestershire")
    step = propose_resolution(case(1), person(WORKER), rules)
    assert step == ResolutionStep(proposed_by(CARE), is_agreed=False)
    assert confirm_resolution(case(1, proposal=step.proposal), person(TEACHER), rules).is_agreed


def test_with_three_party_agencies_two_confirmations_are_needed() -> None:
    rules = shipped_rules("nel")
    opened = case(2, parties=THREE_AGENCIES)
    proposed = propose_resolution(opened, person(SCHOOL_LM), rules)
    assert not proposed.is_agreed
    first = confirm_resolution(replace(opened, proposal=proposed.proposal), person(CARE_LM), rules)
    assert first == ResolutionStep(proposed_by(SCHOOL, CARE), is_agreed=False)
    halfway = replace(opened, proposal=first.proposal)
    assert waiting_agencies(halfway, rules) == (HEALTH,)
    assert why_not(Move.CONFIRM_RESOLUTION, halfway, person(CARE_HOS), rules) != ""
    second = confirm_resolution(halfway, person(HEALTH_LM), rules)
    assert second == ResolutionStep(proposed_by(SCHOOL, CARE, HEALTH), is_agreed=True)


def test_recording_side_agreement_ends_the_stage_at_once() -> None:
    rules = with_authority(shipped_rules("greenwich"), 1, OWN_SUPERVISOR)
    step = propose_resolution(case(1), person(TEACHER), rules)
    assert step == ResolutionStep(proposed_by(SCHOOL), is_agreed=True)
    assert waiting_agencies(case(1), rules) == (SCHOOL,)


CONFIRM_REFUSALS = [
    ("no proposal", case(2), CARE_LM, "No resolution is waiting for confirmation at this stage."),
    (
        "resolved",
        case(2, Status.RESOLVED, proposal=proposed_by(SCHOOL)),
        CARE_LM,
        "This escalation is resolved; only an open one can be resolved.",
    ),
    (
        "own agency",
        case(2, proposal=proposed_by(CARE)),
        CARE_HOS,
        "Your agency has already agreed this resolution; the other agencies confirm it.",
    ),
]


@pytest.mark.parametrize(
    ("label", "subject", "person_id", "sentence"),
    CONFIRM_REFUSALS,
    ids=[label for label, *_ in CONFIRM_REFUSALS],
)
def test_confirming_is_refused_without_a_proposal_from_another_agency(
    label: str, subject: Case, person_id: int, sentence: str
) -> None:
    rules = shipped_rules("nel")
    assert why_not(Move.CONFIRM_RESOLUTION, subject, person(person_id), rules) == sentence
    with pytest.raises(TransitionRefused):
        confirm_resolution(subject, person(person_id), rules)


def test_a_refused_proposal_raises_the_sentence() -> None:
    with pytest.raises(TransitionRefused, match="heads of service"):
        propose_resolution(case(3), person(TEACHER), shipped_rules("nel"))


# --- decision 10: the final stage -----------------------------------------------------------


def test_devon_and_nel_finals_allow_a_panel() -> None:
    with_panel = [p for p in POLICIES if final_rule(shipped_rules(p)).has_panel]
    assert with_panel == ["devon-preschool", "nel"]


@pytest.mark.parametrize("policy", POLICIES)
def test_only_the_appointers_may_appoint_panel_members_at_the_final_stage(policy: str) -> None:
    rules = shipped_rules(policy)
    final = final_rule(rules)
    at_final = case(final_number(policy))
    for who in EVERYONE:
        refusal = why_not(Move.APPOINT_PANEL_MEMBER, at_final, person(who), rules)
        may = final.has_panel and bool(person(who).partnership_roles & set(final.appointed_by))
        assert (refusal == "") is may, (who, refusal)
        if refusal:
            assert_readable(refusal, who)
    if final.has_panel:
        assert why_not(Move.APPOINT_PANEL_MEMBER, case(2), person(BM), rules) == (
            "You can appoint panel members only at the final stage."
        )
        assert why_not(Move.APPOINT_PANEL_MEMBER, at_final, person(TEACHER), rules) == (
            only_appointers(rules, "appoint panel members")
        )
    else:
        assert why_not(Move.APPOINT_PANEL_MEMBER, at_final, person(BM), rules) == (
            "This procedure's final stage has no resolution panel."
        )


APPOINTMENTS: list[tuple[str, Candidate, tuple[Appointee, ...], str | None]] = [
    # (label, candidate, appointed already, the refusal; None: allowed if the candidate holds
    # one of the roles the policy appoints from, else refused for that)
    ("a police board member", candidate(POLICE_BOARD_MEMBER), (), None),
    ("a board member of a party agency", candidate(CARE_BOARD_MEMBER), (), None),
    ("an independent member with no agency", candidate(INDEPENDENT), (), None),
    ("the chair", candidate(CHAIR), (), None),
    ("the executive", candidate(EXEC), (), None),
    ("someone without a board or panel role", candidate(POLICE_LM), (), None),
    ("the scrutineer", candidate(SCRUTINEER), (), None),
    (
        "themselves",
        candidate(BM),
        (),
        "Nobody can appoint themselves: ask a colleague to appoint you.",
    ),
    (
        "someone from another partnership",
        candidate(POLICE_BOARD_MEMBER, partnership_id=OTHER_PARTNERSHIP),
        (),
        NOT_IN_PARTNERSHIP,
    ),
    (
        "someone in no partnership",
        candidate(POLICE_BOARD_MEMBER, partnership_id=None),
        (),
        NOT_IN_PARTNERSHIP,
    ),
    (
        "an inactive account",
        candidate(POLICE_BOARD_MEMBER, is_active=False),
        (),
        NOT_IN_PARTNERSHIP,
    ),
    (
        "someone already on the panel",
        candidate(POLICE_BOARD_MEMBER),
        panel(POLICE_BOARD_MEMBER),
        "That person is already appointed.",
    ),
]


@pytest.mark.parametrize("policy", ["devon-preschool", "nel"])
@pytest.mark.parametrize(
    ("label", "proposed", "already", "refusal"),
    APPOINTMENTS,
    ids=[label.replace(" ", "_") for label, *_ in APPOINTMENTS],
)
def test_who_may_be_appointed_to_the_panel(
    policy: str,
    label: str,
    proposed: Candidate,
    already: tuple[Appointee, ...],
    refusal: str | None,
) -> None:
    subject = case(final_number(policy), appointees=already)
    rules = shipped_rules(policy)
    if refusal is None:
        appointable = final_rule(rules).appointees_from
        refusal = (
            ""
            if proposed.partnership_roles & set(appointable)
            else "Appoint someone who holds one of the partnership's roles for this: "
            f"{roles_words(appointable)}."
        )
    if not refusal:
        check_appointee(subject, person(BM), rules, proposed, AppointeeRole.PANEL_MEMBER)
        return
    with pytest.raises(TransitionRefused) as refused:
        check_appointee(subject, person(BM), rules, proposed, AppointeeRole.PANEL_MEMBER)
    assert str(refused.value) == refusal


def test_someone_without_a_board_or_panel_role_is_never_appointable() -> None:
    for policy in POLICIES:
        appointable = set(final_rule(shipped_rules(policy)).appointees_from)
        assert not appointable & {PR.INDEPENDENT_SCRUTINEER, PR.ADMINISTRATOR}, policy
        assert PR.PANEL_MEMBER in appointable, policy


def test_the_chair_cannot_appoint_themselves_either() -> None:
    with pytest.raises(TransitionRefused, match="Nobody can appoint themselves"):
        check_appointee(
            case(5),
            person(CHAIR),
            shipped_rules("devon-preschool"),
            candidate(CHAIR),
            AppointeeRole.PANEL_MEMBER,
        )


def test_appointing_is_refused_to_someone_who_may_not_appoint() -> None:
    rules = shipped_rules("devon-preschool")
    with pytest.raises(TransitionRefused) as refused:
        check_appointee(
            case(5),
            person(EXEC),
            rules,
            candidate(POLICE_BOARD_MEMBER),
            AppointeeRole.PANEL_MEMBER,
        )
    assert str(refused.value) == only_appointers(rules, "appoint panel members")


@pytest.mark.parametrize("policy", ["worcestershire", "greenwich"])
def test_the_meeting_chair_is_appointed_by_the_roles_the_policy_names(policy: str) -> None:
    rules = with_meeting_chair(policy, MEETING_CHAIRS[policy])
    appointers = set(final_rule(rules).appointed_by)
    at_final = case(final_number(policy))
    for who in (BM, CHAIR, EXEC, TEACHER, CARE_AD, POLICE_BOARD_MEMBER):
        may = bool(person(who).partnership_roles & appointers)
        refusal = why_not(Move.APPOINT_CHAIR, at_final, person(who), rules)
        assert (refusal == "") is may, (who, refusal)
    assert why_not(Move.APPOINT_CHAIR, case(2), person(BM), rules) == (
        "You can appoint the meeting's chair only at the final stage."
    )


@pytest.mark.parametrize("policy", ["cscp", "devon-preschool", "nel"])
def test_a_final_stage_without_a_meeting_has_no_chair_to_appoint(policy: str) -> None:
    rules = shipped_rules(policy)
    assert why_not(Move.APPOINT_CHAIR, case(final_number(policy)), person(BM), rules) == (
        "This procedure's final stage has no appointed chair."
    )


CHAIR_CANDIDATES = [
    # (policy, candidate, refusal or "" when allowed)
    ("worcestershire", POLICE_BOARD_MEMBER, ""),
    ("worcestershire", INDEPENDENT, ""),
    (
        "worcestershire",
        CARE_BOARD_MEMBER,
        "The meeting's chair must come from an agency that is not in the disagreement.",
    ),
    (
        "worcestershire",
        SCHOOL_BOARD_MEMBER,
        "The meeting's chair must come from an agency that is not in the disagreement.",
    ),
    ("greenwich", POLICE_BOARD_MEMBER, ""),
    ("greenwich", HEALTH_BOARD_MEMBER, ""),
    (
        "greenwich",
        INDEPENDENT,
        "The meeting's chair must be a board member from an uninvolved agency.",
    ),
    (
        "greenwich",
        CARE_BOARD_MEMBER,
        "The meeting's chair must come from an agency that is not in the disagreement.",
    ),
    ("greenwich", BM, "Nobody can appoint themselves: ask a colleague to appoint you."),
]


@pytest.mark.parametrize(
    ("policy", "person_id", "refusal"),
    CHAIR_CANDIDATES,
    ids=[f"{policy}-{pid}" for policy, pid, _ in CHAIR_CANDIDATES],
)
def test_who_may_chair_the_final_meeting(policy: str, person_id: int, refusal: str) -> None:
    rules = with_meeting_chair(policy, MEETING_CHAIRS[policy])
    subject = case(final_number(policy))
    proposed = candidate(person_id)
    if not refusal:
        check_appointee(subject, person(BM), rules, proposed, AppointeeRole.MEETING_CHAIR)
        return
    with pytest.raises(TransitionRefused) as refused:
        check_appointee(subject, person(BM), rules, proposed, AppointeeRole.MEETING_CHAIR)
    assert str(refused.value) == refusal


def test_a_chair_from_a_third_party_agency_is_refused() -> None:
    rules = with_meeting_chair("greenwich", MeetingChair.UNINVOLVED_AGENCY)
    with pytest.raises(TransitionRefused, match="not in the disagreement"):
        check_appointee(
            case(6, parties=THREE_AGENCIES),
            person(BM),
            rules,
            candidate(HEALTH_BOARD_MEMBER),
            AppointeeRole.MEETING_CHAIR,
        )


def test_another_meeting_chair_may_replace_the_first_but_not_be_reappointed() -> None:
    rules = with_meeting_chair("greenwich", MeetingChair.UNINVOLVED_AGENCY)
    chaired = case(6, appointees=meeting_chair(POLICE_BOARD_MEMBER))
    # The service ends the first appointment when it records the second.
    check_appointee(
        chaired, person(BM), rules, candidate(HEALTH_BOARD_MEMBER), AppointeeRole.MEETING_CHAIR
    )
    with pytest.raises(TransitionRefused, match=r"^That person is already appointed\.$"):
        check_appointee(
            chaired, person(BM), rules, candidate(POLICE_BOARD_MEMBER), AppointeeRole.MEETING_CHAIR
        )


SHORTFALLS = [
    ("nobody yet", (), "", "The panel needs representatives of 3 agencies; it has 0."),
    (
        "the two parties only",
        panel(SCHOOL_BOARD_MEMBER, CARE_BOARD_MEMBER),
        "",
        "The panel needs representatives of 3 agencies; it has 2.",
    ),
    (
        "two agencies and a member of none",
        panel(SCHOOL_BOARD_MEMBER, CARE_BOARD_MEMBER, INDEPENDENT),
        "",
        "The panel needs representatives of 3 agencies; it has 2.",
    ),
    (
        "three agencies without the challenged one",
        panel(SCHOOL_BOARD_MEMBER, HEALTH_BOARD_MEMBER, POLICE_BOARD_MEMBER),
        "",
        "The agencies in the disagreement sit on the panel where possible: "
        "appoint someone from each, or record why that is not possible.",
    ),
    (
        "a blank reason",
        panel(SCHOOL_BOARD_MEMBER, HEALTH_BOARD_MEMBER, POLICE_BOARD_MEMBER),
        "   ",
        "The agencies in the disagreement sit on the panel where possible: "
        "appoint someone from each, or record why that is not possible.",
    ),
    (
        "three agencies without the challenged one, with a reason",
        panel(SCHOOL_BOARD_MEMBER, HEALTH_BOARD_MEMBER, POLICE_BOARD_MEMBER),
        "Social care's board member is on leave until May.",
        "",
    ),
    (
        "both parties and the police",
        panel(SCHOOL_BOARD_MEMBER, CARE_BOARD_MEMBER, POLICE_BOARD_MEMBER),
        "",
        "",
    ),
]


@pytest.mark.parametrize(
    ("label", "members", "reason", "shortfall"),
    SHORTFALLS,
    ids=[label.replace(" ", "_") for label, *_ in SHORTFALLS],
)
def test_devons_panel_needs_three_agencies_including_the_parties(
    label: str, members: tuple[Appointee, ...], reason: str, shortfall: str
) -> None:
    rules = shipped_rules("devon-preschool")
    subject = case(5, appointees=members, panel_reason=reason)
    assert panel_shortfall(subject, rules) == shortfall
    panellist = next((m.person_id for m in members), None)
    if panellist is not None:
        may_decide = why_not(Move.RECORD_DECISION, subject, person(panellist), rules) == ""
        assert may_decide is (shortfall == "")


def test_a_panel_with_no_composition_rule_has_no_shortfall() -> None:
    assert panel_shortfall(case(5), shipped_rules("nel")) == ""


def test_the_reason_for_the_panels_make_up_is_for_devons_appointers_only() -> None:
    devon, nel = shipped_rules("devon-preschool"), shipped_rules("nel")
    assert why_not(Move.EXPLAIN_PANEL, case(5), person(BM), devon) == ""
    assert why_not(Move.EXPLAIN_PANEL, case(5), person(CHAIR), devon) == ""
    assert why_not(Move.EXPLAIN_PANEL, case(5), person(TEACHER), devon) == (
        only_appointers(devon, "record why the panel is made up as it is")
    )
    assert why_not(Move.EXPLAIN_PANEL, case(5), person(BM), nel) == (
        "This procedure asks for no reason about the panel's make-up."
    )


def test_a_panel_member_is_removed_only_once_someone_is_on_the_panel() -> None:
    rules = shipped_rules("devon-preschool")
    assert why_not(Move.REMOVE_PANEL_MEMBER, case(5), person(BM), rules) == (
        "Nobody is on the panel yet."
    )
    seated = case(5, appointees=panel(POLICE_BOARD_MEMBER))
    assert why_not(Move.REMOVE_PANEL_MEMBER, seated, person(BM), rules) == ""
    assert why_not(Move.REMOVE_PANEL_MEMBER, seated, person(TEACHER), rules) != ""


FULL_DEVON_PANEL = panel(SCHOOL_BOARD_MEMBER, CARE_BOARD_MEMBER, POLICE_BOARD_MEMBER)
DECISIONS = [
    # (policy as built, appointees, person, refusal or "" when allowed)
    ("devon-preschool", (), CHAIR, ""),
    ("devon-preschool", (), BM, "Only the chair can record this decision."),
    ("devon-preschool", (), EXEC, "Only the chair can record this decision."),
    ("devon-preschool", FULL_DEVON_PANEL, POLICE_BOARD_MEMBER, ""),
    ("devon-preschool", FULL_DEVON_PANEL, HEALTH_BOARD_MEMBER, "Only the chair can record"),
    ("nel", (), CHAIR, ""),
    ("nel", panel(POLICE_BOARD_MEMBER), POLICE_BOARD_MEMBER, ""),
    ("nel", (), POLICE_BOARD_MEMBER, "Only the chair can record this decision."),
    ("nel", (), BM, "Only the chair can record this decision."),
    ("cscp", (), EXEC, ""),
    ("cscp", (), CHAIR, "Only the executive can record this decision."),
    ("cscp", (), BM, "Only the executive can record this decision."),
    ("worcestershire", meeting_chair(INDEPENDENT), INDEPENDENT, ""),
    (
        "worcestershire",
        meeting_chair(INDEPENDENT),
        POLICE_BOARD_MEMBER,
        "Only the appointed chair of the meeting can record its decision.",
    ),
    (
        "worcestershire",
        meeting_chair(INDEPENDENT),
        CHAIR,
        "Only the appointed chair of the meeting can record its decision.",
    ),
    ("worcestershire", (), CHAIR, "The meeting's chair has not been appointed yet."),
    ("greenwich", meeting_chair(POLICE_BOARD_MEMBER), POLICE_BOARD_MEMBER, ""),
    (
        "greenwich",
        meeting_chair(POLICE_BOARD_MEMBER),
        CHAIR,
        "Only the appointed chair of the meeting can record its decision.",
    ),
    ("greenwich", (), BM, "The meeting's chair has not been appointed yet."),
]


@pytest.mark.parametrize(
    ("policy", "appointees", "person_id", "refusal"),
    DECISIONS,
    ids=[f"{p}-{len(a)}appointed-{who}" for p, a, who, _ in DECISIONS],
)
def test_who_records_the_final_decision(
    policy: str, appointees: tuple[Appointee, ...], person_id: int, refusal: str
) -> None:
    rules = shipped_rules(policy)
    if policy in MEETING_CHAIRS:
        rules = with_meeting_chair(policy, MEETING_CHAIRS[policy])
    subject = case(final_number(policy), appointees=appointees)
    found = why_not(Move.RECORD_DECISION, subject, person(person_id), rules)
    assert found.startswith(refusal) if refusal else found == ""
    if refusal:
        assert_readable(found)


def test_a_panel_member_is_told_why_the_panel_cannot_decide_yet() -> None:
    rules = shipped_rules("devon-preschool")
    short = case(5, appointees=panel(SCHOOL_BOARD_MEMBER, CARE_BOARD_MEMBER))
    assert why_not(Move.RECORD_DECISION, short, person(CARE_BOARD_MEMBER), rules) == (
        panel_shortfall(short, rules)
    )


def test_the_decision_is_recorded_only_at_the_final_stage() -> None:
    assert why_not(Move.RECORD_DECISION, case(4), person(CHAIR), shipped_rules("nel")) == (
        "The decision is recorded at the final stage."
    )


NOT_THAT_WAY = "This procedure's final stage is not decided that way."
DECISION_KINDS = [
    ("cscp", FinalStageKind.CHAIR_DECISION, CHAIR, NOT_THAT_WAY),
    ("nel", FinalStageKind.EXECUTIVE_DECISION, EXEC, NOT_THAT_WAY),
    ("nel", FinalStageKind.CHAIR_DECISION, CHAIR, ""),
    (
        "nel",
        FinalStageKind.RESOLUTION_PANEL,
        CHAIR,
        "Only a member of the appointed panel can record the panel's decision.",
    ),
    ("cscp", FinalStageKind.EXECUTIVE_DECISION, EXEC, ""),
]


@pytest.mark.parametrize(
    ("policy", "kind", "person_id", "refusal"),
    DECISION_KINDS,
    ids=[f"{p}-{k.value}-{who}" for p, k, who, _ in DECISION_KINDS],
)
def test_decision_refusal_names_the_way_the_final_stage_is_decided(
    policy: str, kind: FinalStageKind, person_id: int, refusal: str
) -> None:
    subject = case(final_number(policy))
    assert decision_refusal(subject, person(person_id), shipped_rules(policy), kind) == refusal


def test_representations_come_from_the_people_involved_at_the_final_stage() -> None:
    rules = shipped_rules("nel")
    for who in (TEACHER, WORKER, SCHOOL_LM, CARE_AD):
        assert why_not(Move.ADD_REPRESENTATION, case(5), person(who), rules) == "", who
    for who in (TEACHING_ASSISTANT, OFFICER, CHAIR):
        assert why_not(Move.ADD_REPRESENTATION, case(5), person(who), rules) == (
            "Representations come from the people involved in the agencies in the disagreement."
        )
    assert why_not(Move.ADD_REPRESENTATION, case(4), person(TEACHER), rules) == (
        "Written representations are made at the final stage."
    )
    quiet = with_final(rules, replace(final_rule(rules), written_representations=False))
    assert why_not(Move.ADD_REPRESENTATION, case(5), person(TEACHER), quiet) == (
        "This procedure asks for no written representations."
    )


# --- the checklist --------------------------------------------------------------------------


def worcestershire_resolved(
    stage: int = 1,
    *,
    parties: tuple[Party, ...] = TWO_AGENCIES,
    actions: tuple[ActionFacts, ...] = (CONFIRMED_DONE,),
    answered: frozenset[tuple[ChecklistItem, int | None]] = frozenset(),
) -> Case:
    return case(stage, Status.RESOLVED, parties=parties, actions=actions, answered=answered)


def test_worcestershires_stage_1_checklist_is_partly_per_agency() -> None:
    rules = shipped_rules("worcestershire")
    slots = checklist_slots(worcestershire_resolved(), rules)
    assert slots == (
        ChecklistSlot(ChecklistItem.RECORD_ON_SUBJECT_FILE, SCHOOL),
        ChecklistSlot(ChecklistItem.RECORD_ON_SUBJECT_FILE, CARE),
        ChecklistSlot(ChecklistItem.LOG_PER_AGENCY_PROCEDURE, SCHOOL),
        ChecklistSlot(ChecklistItem.LOG_PER_AGENCY_PROCEDURE, CARE),
    )
    three = checklist_slots(worcestershire_resolved(parties=THREE_AGENCIES), rules)
    assert ChecklistSlot(ChecklistItem.RECORD_ON_SUBJECT_FILE, HEALTH) in three


@pytest.mark.parametrize("item", sorted(SYSTEM_KNOWN_ITEMS))
def test_nobody_ticks_what_the_record_itself_answers(item: ChecklistItem) -> None:
    rules = shipped_rules("worcestershire")
    stage = next(s.number for s in rules.stages if item in s.checklist)
    with pytest.raises(
        TransitionRefused,
        match=r"^Escalate answers that item from the record itself; nobody ticks it\.$",
    ):
        check_checklist_answer(worcestershire_resolved(stage), person(TEACHER), rules, item)


ON_FILE, LOGGED = ChecklistItem.RECORD_ON_SUBJECT_FILE, ChecklistItem.LOG_PER_AGENCY_PROCEDURE
NOT_A_PARTY_CHECKLIST = "Only the agencies in this disagreement answer the checklist."
CHECKLIST_ANSWERS: list[tuple[int, ChecklistItem, ChecklistSlot | str]] = [
    # (person, item, the slot they answer, or the refusal)
    (TEACHER, ON_FILE, ChecklistSlot(ON_FILE, SCHOOL)),
    (WORKER, ON_FILE, ChecklistSlot(ON_FILE, CARE)),
    (CARE_HOS, LOGGED, ChecklistSlot(LOGGED, CARE)),
    (OFFICER, ON_FILE, NOT_A_PARTY_CHECKLIST),
    (CHAIR, ON_FILE, NOT_A_PARTY_CHECKLIST),
    (
        SUPPORT_WORKER,
        ON_FILE,
        "Only the practitioners named on this escalation can answer the checklist of it "
        "at this stage.",
    ),
    (TEACHER, ChecklistItem.DEBRIEF, "That item is not on this stage's checklist."),
]


@pytest.mark.parametrize(
    ("person_id", "item", "expected"),
    CHECKLIST_ANSWERS,
    ids=[f"{who}-{item.value}" for who, item, _ in CHECKLIST_ANSWERS],
)
def test_each_agency_answers_its_own_checklist_items(
    person_id: int, item: ChecklistItem, expected: ChecklistSlot | str
) -> None:
    rules = shipped_rules("worcestershire")
    subject = worcestershire_resolved()
    if isinstance(expected, ChecklistSlot):
        assert check_checklist_answer(subject, person(person_id), rules, item) == expected
        return
    with pytest.raises(TransitionRefused) as refused:
        check_checklist_answer(subject, person(person_id), rules, item)
    assert str(refused.value) == expected


def test_one_agency_cannot_answer_for_another() -> None:
    rules = shipped_rules("worcestershire")
    subject = worcestershire_resolved(parties=THREE_AGENCIES)
    for who, agency in ((TEACHER, SCHOOL), (WORKER, CARE), (HEALTH_LM, HEALTH)):
        slot = check_checklist_answer(
            subject, person(who), rules, ChecklistItem.RECORD_ON_SUBJECT_FILE
        )
        assert slot.agency_id == agency


def test_a_shared_item_is_answered_once_for_everyone() -> None:
    rules = shipped_rules("worcestershire")
    subject = worcestershire_resolved(2)
    for who in (SCHOOL_LM, CARE_LM):
        slot = check_checklist_answer(subject, person(who), rules, ChecklistItem.SET_REVIEW_DATE)
        assert slot == ChecklistSlot(ChecklistItem.SET_REVIEW_DATE, None)


def test_the_checklist_waits_until_the_escalation_is_resolved() -> None:
    rules = shipped_rules("worcestershire")
    with pytest.raises(TransitionRefused, match=r"^This escalation is open; the checklist"):
        check_checklist_answer(
            case(1), person(TEACHER), rules, ChecklistItem.RECORD_ON_SUBJECT_FILE
        )
    assert why_not(Move.ANSWER_CHECKLIST, case(1), person(TEACHER), rules) == (
        "This escalation is open; the checklist is completed once it is resolved "
        "and before it closes."
    )


def test_at_a_stage_for_the_raising_side_only_the_other_agency_answers_nothing() -> None:
    rules = with_authority(shipped_rules("worcestershire"), 1, OWN_SUPERVISOR)
    subject = worcestershire_resolved()
    assert checklist_slots(subject, rules) == (
        ChecklistSlot(ON_FILE, SCHOOL),
        ChecklistSlot(LOGGED, SCHOOL),
    )
    with pytest.raises(TransitionRefused) as refused:
        check_checklist_answer(subject, person(WORKER), rules, ON_FILE)
    assert str(refused.value) == "Your agency does not answer that item at this stage."
    assert why_not(Move.ANSWER_CHECKLIST, subject, person(WORKER), rules) == (
        "Nothing on the checklist is left for your agency to answer."
    )
    assert why_not(Move.ANSWER_CHECKLIST, subject, person(TEACHER), rules) == ""


def test_a_checklist_of_system_items_only_leaves_nothing_to_answer() -> None:
    rules = shipped_rules("cscp")  # stage 1: only items the record itself answers
    subject = case(1, Status.RESOLVED)
    assert why_not(Move.ANSWER_CHECKLIST, subject, person(TEACHER), rules) == (
        "Nothing on the checklist is left for your agency to answer."
    )


KNOWN = [
    ("open", case(1), frozenset()),
    (
        "resolved with nothing agreed",
        worcestershire_resolved(actions=()),
        {ChecklistItem.CHECK_BACK_UNDERSTANDING, ChecklistItem.CHECK_BACK_IMPLEMENTED},
    ),
    (
        "an action confirmed and done",
        worcestershire_resolved(actions=(CONFIRMED_DONE,)),
        {ChecklistItem.CHECK_BACK_UNDERSTANDING, ChecklistItem.CHECK_BACK_IMPLEMENTED},
    ),
    (
        "an action not yet checked back",
        worcestershire_resolved(actions=(CONFIRMED_DONE, CONFIRMED_PENDING)),
        {ChecklistItem.CHECK_BACK_UNDERSTANDING},
    ),
    (
        "an action whose understanding is not confirmed",
        worcestershire_resolved(actions=(UNCONFIRMED,)),
        frozenset(),
    ),
    (
        "an action not done, checked back",
        worcestershire_resolved(actions=(NOT_DONE,)),
        {ChecklistItem.CHECK_BACK_UNDERSTANDING, ChecklistItem.CHECK_BACK_IMPLEMENTED},
    ),
]


@pytest.mark.parametrize(
    ("label", "subject", "expected"), KNOWN, ids=[label.replace(" ", "_") for label, *_ in KNOWN]
)
def test_known_answers_come_from_the_record(
    label: str, subject: Case, expected: frozenset[ChecklistItem]
) -> None:
    assert known_answers(subject, shipped_rules("worcestershire")) == expected


def test_outstanding_items_list_the_unanswered_slots_and_untrue_system_items() -> None:
    rules = shipped_rules("worcestershire")
    subject = worcestershire_resolved(
        actions=(CONFIRMED_PENDING,),
        answered=frozenset(
            {
                (ChecklistItem.RECORD_ON_SUBJECT_FILE, SCHOOL),
                (ChecklistItem.RECORD_ON_SUBJECT_FILE, CARE),
                (ChecklistItem.LOG_PER_AGENCY_PROCEDURE, SCHOOL),
            }
        ),
    )
    assert outstanding_items(subject, rules) == (
        ChecklistSlot(ChecklistItem.CHECK_BACK_IMPLEMENTED, None),
        ChecklistSlot(ChecklistItem.LOG_PER_AGENCY_PROCEDURE, CARE),
    )
    assert why_not(Move.CLOSE, subject, person(TEACHER), rules) == (
        "2 checklist item(s) are neither done nor explained; "
        "each must be done or explained before the escalation is closed."
    )


def test_an_inactive_account_cannot_answer_the_checklist() -> None:
    with pytest.raises(TransitionRefused, match="not active"):
        check_checklist_answer(
            worcestershire_resolved(),
            inactive(TEACHER),
            shipped_rules("worcestershire"),
            ChecklistItem.RECORD_ON_SUBJECT_FILE,
        )


# --- closing --------------------------------------------------------------------------------


def answered_all(subject: Case, rules: PolicyRules) -> Case:
    slots = checklist_slots(subject, rules)
    return replace(subject, answered=frozenset((s.item, s.agency_id) for s in slots))


@pytest.mark.parametrize(("policy", "stage"), EVERY_STAGE, ids=EVERY_STAGE_IDS)
def test_closing_waits_for_the_checklist_and_the_check_backs(policy: str, stage: int) -> None:
    rules = shipped_rules(policy)
    done = answered_all(case(stage, Status.RESOLVED, actions=(CONFIRMED_DONE,)), rules)
    assert outstanding_items(done, rules) == ()
    assert why_not(Move.CLOSE, done, person(TEACHER), rules) == ""
    assert why_not(Move.CLOSE, done, person(SCHOOL_LM), rules) == ""
    assert why_not(Move.CLOSE, done, person(WORKER), rules) == (
        "Only the raising side can close this escalation."
    )
    assert why_not(Move.CLOSE, done, person(SENCO), rules) == (
        "Only the person who raised it or their managers can close this escalation."
    )
    at_final = stage == rules.final_stage.number
    appointers = final_rule(rules).appointed_by
    assert (why_not(Move.CLOSE, done, person(BM), rules) == "") is (
        at_final and PR.BUSINESS_MANAGER in appointers
    )
    if checklist_slots(done, rules):
        missing = replace(done, answered=frozenset(list(done.answered)[1:]))
        assert why_not(Move.CLOSE, missing, person(TEACHER), rules).startswith(
            "1 checklist item(s) are neither done nor explained"
        )
    if ChecklistItem.CHECK_BACK_IMPLEMENTED in rules.stage(stage).checklist:
        pending = replace(done, actions=(CONFIRMED_PENDING,))
        assert why_not(Move.CLOSE, pending, person(TEACHER), rules) != ""
    assert why_not(Move.CLOSE, case(stage), person(TEACHER), rules) == (
        "This escalation is open; only a resolved one can be closed."
    )


# --- check-backs and reopening --------------------------------------------------------------

RAISING_SIDE = "Only the raising side can {} this escalation."
RAISER_OR_MANAGERS = "Only the person who raised it or their managers can {} this escalation."
NOTHING_TO_REOPEN = (
    "An escalation is reopened after a failed check-back: no agreed action is recorded as not done."
)
NOTHING_TO_CHECK = "No confirmed agreed action is waiting to be checked back."
UNDERSTOOD = Move.CONFIRM_UNDERSTANDING
CHECK_BACKS = [
    # (move, actions, person, refusal or "" when allowed)
    (UNDERSTOOD, (UNCONFIRMED,), TEACHER, ""),
    (UNDERSTOOD, (UNCONFIRMED,), SCHOOL_HOS, ""),
    (UNDERSTOOD, (UNCONFIRMED,), WORKER, RAISING_SIDE.format("check back")),
    (UNDERSTOOD, (UNCONFIRMED,), SENCO, RAISER_OR_MANAGERS.format("check back")),
    (
        UNDERSTOOD,
        (CONFIRMED_PENDING,),
        TEACHER,
        "Every agreed action's shared understanding is already confirmed.",
    ),
    (UNDERSTOOD, (), TEACHER, "No actions were agreed."),
    (Move.CHECK_BACK, (CONFIRMED_PENDING,), TEACHER, ""),
    (Move.CHECK_BACK, (CONFIRMED_PENDING,), SCHOOL_LM, ""),
    (Move.CHECK_BACK, (CONFIRMED_PENDING,), CARE_AD, RAISING_SIDE.format("check back")),
    (Move.CHECK_BACK, (UNCONFIRMED,), TEACHER, NOTHING_TO_CHECK),
    (Move.CHECK_BACK, (CONFIRMED_DONE,), TEACHER, NOTHING_TO_CHECK),
    (Move.REOPEN, (NOT_DONE,), TEACHER, ""),
    (Move.REOPEN, (NOT_DONE,), SCHOOL_LM, ""),
    (Move.REOPEN, (NOT_DONE,), WORKER, RAISING_SIDE.format("reopen")),
    (Move.REOPEN, (NOT_DONE,), CARE_HOS, RAISING_SIDE.format("reopen")),
    (Move.REOPEN, (NOT_DONE,), TEACHING_ASSISTANT, RAISER_OR_MANAGERS.format("reopen")),
    (Move.REOPEN, (CONFIRMED_DONE,), TEACHER, NOTHING_TO_REOPEN),
    (Move.REOPEN, (CONFIRMED_PENDING,), TEACHER, NOTHING_TO_REOPEN),
]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    ("move", "actions", "person_id", "refusal"),
    CHECK_BACKS,
    ids=[f"{m.value}-{len(a)}:{a[0].action_id if a else 0}-{who}" for m, a, who, _ in CHECK_BACKS],
)
def test_the_raising_side_checks_back_and_reopens(
    policy: str, move: Move, actions: tuple[ActionFacts, ...], person_id: int, refusal: str
) -> None:
    subject = case(2, Status.RESOLVED, actions=actions)
    assert why_not(move, subject, person(person_id), shipped_rules(policy)) == refusal


def test_check_backs_and_reopening_wait_for_a_resolution() -> None:
    rules = shipped_rules("nel")
    subject = case(2, actions=(NOT_DONE, UNCONFIRMED))
    assert why_not(Move.REOPEN, subject, person(TEACHER), rules) == (
        "This escalation is open; only a resolved one can be reopened."
    )
    assert why_not(Move.CONFIRM_UNDERSTANDING, subject, person(TEACHER), rules) == (
        "This escalation is open; agreed actions are confirmed and checked back "
        "once it is resolved and before it is closed."
    )


@pytest.mark.parametrize(("policy", "stage"), EVERY_STAGE, ids=EVERY_STAGE_IDS)
def test_a_reopened_escalation_returns_to_its_stage_or_the_next(policy: str, stage: int) -> None:
    rules = shipped_rules(policy)
    subject = case(stage, Status.RESOLVED, actions=(NOT_DONE,))
    assert reopen_target(subject, rules, to_next_stage=False) == stage
    if stage < rules.final_stage.number:
        assert reopen_target(subject, rules, to_next_stage=True) == stage + 1
        return
    with pytest.raises(
        TransitionRefused,
        match=r"^This escalation was resolved at the final stage: reopen it there instead\.$",
    ):
        reopen_target(subject, rules, to_next_stage=True)


# --- decisions 7 and 11: adding an agency, choosing the lead agency -------------------------


def test_only_cscp_names_a_lead_agency() -> None:
    for policy in POLICIES:
        rules = shipped_rules(policy)
        refusal = why_not(Move.SET_LEAD_AGENCY, case(1), person(TEACHER), rules)
        if policy == "cscp":
            assert refusal == ""
        else:
            assert refusal == "This procedure does not name a lead agency."


BELONGS = "Stage {} belongs to {} of each agency, or someone more senior, so you cannot {} it."
PARTIES_ONLY = "Only the agencies in this disagreement can {} it."
LEADS = "the named or designated safeguarding leads"
LEAD, JOIN = Move.SET_LEAD_AGENCY, Move.ADD_AGENCY
LEAD_AND_JOIN = [
    (LEAD, 3, SCHOOL_DSL, ""),
    (LEAD, 3, CARE_HOS, ""),
    (LEAD, 3, SCHOOL_LM, BELONGS.format(3, LEADS, "choose the lead agency of")),
    (LEAD, 3, OFFICER, PARTIES_ONLY.format("choose the lead agency of")),
    (JOIN, 2, CARE_LM, ""),
    (JOIN, 2, WORKER, BELONGS.format(2, "the line managers", "add an agency to")),
    (JOIN, 5, SCHOOL_HOS, ""),
    (JOIN, 5, CHAIR, PARTIES_ONLY.format("add an agency to")),
]


@pytest.mark.parametrize(
    ("move", "stage", "person_id", "refusal"),
    LEAD_AND_JOIN,
    ids=[f"{m.value}-stage{s}-{who}" for m, s, who, _ in LEAD_AND_JOIN],
)
def test_the_acting_rung_adds_agencies_and_chooses_the_lead(
    move: Move, stage: int, person_id: int, refusal: str
) -> None:
    assert why_not(move, case(stage), person(person_id), shipped_rules("cscp")) == refusal


def test_the_lead_agency_is_the_raising_agency_unless_recorded() -> None:
    assert case(3).lead_agency_id == SCHOOL
    chosen = case(3, parties=(Party(SCHOOL, Side.RAISING), Party(CARE, Side.CHALLENGED, True)))
    assert chosen.lead_agency_id == CARE


# --- finished escalations, inactive accounts ------------------------------------------------

FINISHED = [
    (policy, stage, status)
    for policy, stage in EVERY_STAGE
    for status in (Status.WITHDRAWN, Status.CLOSED)
]


@pytest.mark.parametrize(
    ("policy", "stage", "status"),
    FINISHED,
    ids=[f"{policy}-stage{stage}-{status.value}" for policy, stage, status in FINISHED],
)
def test_a_finished_escalation_allows_no_move_to_anyone(
    policy: str, stage: int, status: Status
) -> None:
    rules = shipped_rules(policy)
    appointees = panel(POLICE_BOARD_MEMBER) + meeting_chair(INDEPENDENT)
    for subject in (
        case(stage, status),
        case(stage, status, actions=(NOT_DONE, UNCONFIRMED), appointees=appointees),
        answered_all(case(stage, status, actions=(CONFIRMED_DONE,)), rules),
        case(stage, status, proposal=proposed_by(SCHOOL)),
    ):
        for who in EVERYONE:
            found = moves_for(subject, person(who), rules)
            assert found.allowed == frozenset(), (who, found.allowed)


@pytest.mark.parametrize(("policy", "stage"), EVERY_STAGE, ids=EVERY_STAGE_IDS)
def test_an_inactive_account_may_make_no_move(policy: str, stage: int) -> None:
    rules = shipped_rules(policy)
    sentence = "Your account is not active, so you cannot change escalations."
    subjects = (
        case(stage),
        case(stage, proposal=proposed_by(CARE)),
        case(stage, Status.RESOLVED, actions=(NOT_DONE, UNCONFIRMED, CONFIRMED_PENDING)),
    )
    for subject in subjects:
        for who in (TEACHER, SCHOOL_AD, WORKER, CARE_AD, BM, CHAIR, EXEC):
            found = moves_for(subject, inactive(who), rules)
            assert {option.refusal for option in found.options} == {sentence}, who
    with pytest.raises(TransitionRefused, match=sentence):
        propose_resolution(case(stage), inactive(TEACHER), rules)
    with pytest.raises(TransitionRefused, match=sentence):
        confirm_resolution(case(stage, proposal=proposed_by(CARE)), inactive(TEACHER), rules)


def test_an_inactive_appointer_cannot_appoint() -> None:
    with pytest.raises(TransitionRefused, match="not active"):
        check_appointee(
            case(5),
            inactive(BM),
            shipped_rules("devon-preschool"),
            candidate(POLICE_BOARD_MEMBER),
            AppointeeRole.PANEL_MEMBER,
        )


# --- whose move it is -----------------------------------------------------------------------

THREE_OPEN = case(2, parties=THREE_AGENCIES)
WAITING = [
    # (label, case, waiting on, agencies)
    ("open", case(2), WaitingOn.PARTIES, (SCHOOL, CARE)),
    ("open with three agencies", THREE_OPEN, WaitingOn.PARTIES, (SCHOOL, CARE, HEALTH)),
    ("proposed", case(2, proposal=proposed_by(SCHOOL)), WaitingOn.CONFIRMATION, (CARE,)),
    (
        "proposed by the challenged side",
        case(2, proposal=proposed_by(CARE)),
        WaitingOn.CONFIRMATION,
        (SCHOOL,),
    ),
    (
        "half confirmed",
        replace(THREE_OPEN, proposal=proposed_by(CARE, SCHOOL)),
        WaitingOn.CONFIRMATION,
        (HEALTH,),
    ),
    ("resolved", case(2, Status.RESOLVED), WaitingOn.CHECK_BACK, (SCHOOL,)),
    ("withdrawn", case(2, Status.WITHDRAWN), WaitingOn.NOBODY, ()),
    ("closed", case(2, Status.CLOSED), WaitingOn.NOBODY, ()),
]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    ("label", "subject", "state", "agencies"),
    WAITING,
    ids=[label.replace(" ", "_") for label, *_ in WAITING],
)
def test_whose_move_it_is_before_the_final_stage(
    policy: str, label: str, subject: Case, state: WaitingOn, agencies: tuple[int, ...]
) -> None:
    rules = shipped_rules(policy)
    assert waiting_on(subject, rules) is state
    assert waiting_agencies(subject, rules) == agencies


@pytest.mark.parametrize("policy", ["devon-preschool", "greenwich"])
def test_at_stage_1_the_case_waits_on_the_agencies_the_stage_involves(policy: str) -> None:
    rules = shipped_rules(policy)
    subject = case(1)
    assert waiting_on(subject, rules) is WaitingOn.PARTIES
    assert waiting_agencies(subject, rules) == subject.agencies_on(
        rules.stage(1).authority.involves
    )


@pytest.mark.parametrize("policy", POLICIES)
def test_at_the_final_stage_the_case_waits_on_an_appointment_or_the_decision(
    policy: str,
) -> None:
    rules = shipped_rules(policy)
    at_final = case(final_number(policy))
    expected = (
        WaitingOn.APPOINTMENT if final_rule(rules).needs_appointed_chair else WaitingOn.DECISION
    )
    assert waiting_on(at_final, rules) is expected
    assert waiting_agencies(at_final, rules) == ()


@pytest.mark.parametrize("policy", ["worcestershire", "greenwich"])
def test_a_meeting_waits_for_its_chair_then_for_its_decision(policy: str) -> None:
    rules = with_meeting_chair(policy, MEETING_CHAIRS[policy])
    number = final_number(policy)
    assert waiting_on(case(number), rules) is WaitingOn.APPOINTMENT
    chaired = case(number, appointees=meeting_chair(POLICE_BOARD_MEMBER))
    assert waiting_on(chaired, rules) is WaitingOn.DECISION


def test_a_panel_only_final_stage_waits_for_its_panel() -> None:
    rules = shipped_rules("devon-preschool")
    panel_only = with_final(
        rules, replace(final_rule(rules), decided_by=(FinalStageKind.RESOLUTION_PANEL,))
    )
    assert waiting_on(case(5), panel_only) is WaitingOn.APPOINTMENT
    assert waiting_on(case(5, appointees=FULL_DEVON_PANEL), panel_only) is WaitingOn.DECISION
    # Devon's chair may decide alone, so a short panel does not hold the case up.
    assert waiting_on(case(5), rules) is WaitingOn.DECISION


# --- every refusal is a sentence ------------------------------------------------------------


def _sweep_cases(stage: int, final: int) -> list[Case]:
    appointees = panel(POLICE_BOARD_MEMBER) + meeting_chair(INDEPENDENT)
    found = [
        case(stage),
        case(stage, parties=THREE_AGENCIES),
        case(stage, proposal=proposed_by(SCHOOL)),
        case(stage, proposal=proposed_by(CARE)),
        case(stage, Status.RESOLVED),
        case(stage, Status.RESOLVED, actions=(UNCONFIRMED,)),
        case(stage, Status.RESOLVED, actions=(CONFIRMED_PENDING,)),
        case(stage, Status.RESOLVED, actions=(NOT_DONE,)),
        case(stage, Status.WITHDRAWN),
        case(stage, Status.CLOSED),
    ]
    if stage == final:
        found.append(case(stage, appointees=appointees))
        found.append(case(stage, appointees=FULL_DEVON_PANEL))
    return found


@pytest.mark.parametrize(("policy", "stage"), EVERY_STAGE, ids=EVERY_STAGE_IDS)
def test_every_refusal_is_a_readable_sentence(policy: str, stage: int) -> None:
    variants = [shipped_rules(policy)]
    if policy in MEETING_CHAIRS:
        variants.append(with_meeting_chair(policy, MEETING_CHAIRS[policy]))
    if stage == 1:
        variants.append(with_authority(shipped_rules(policy), 1, OWN_SUPERVISOR))
    for rules in variants:
        for subject in _sweep_cases(stage, rules.final_stage.number):
            for actor in [person(who) for who in EVERYONE] + [inactive(TEACHER)]:
                found = moves_for(subject, actor, rules)
                assert [option.move for option in found.options] == list(Move)
                for option in found.options:
                    if not option.allowed:
                        assert_readable(option.refusal, (option.move, actor.person_id, subject))


# --- intended shipped values ----------------------------------------------------------------
# These pin the keys the policy files carry for Devon's and Greenwich's stage 1
# ([stages.authority]) and for the final meeting's chair (Worcestershire, Greenwich). The tests
# above derive from whatever the files say; these say what they must say. Against files
# without those keys (version 1) they fail, and only they do.


@pytest.mark.parametrize("policy", ["devon-preschool", "greenwich"])
def test_intended_stage_1_is_the_worker_with_their_own_supervisor(policy: str) -> None:
    rules = shipped_rules(policy)
    assert rules.stage(1).authority == OWN_SUPERVISOR
    assert why_not(Move.ESCALATE, case(1), person(WORKER), rules) == (
        "At stage 1 only the agency that raised it can escalate it."
    )
    assert propose_resolution(case(1), person(TEACHER), rules).is_agreed
    assert waiting_agencies(case(1), rules) == (SCHOOL,)
    assert rules.stage(2).authority.involves is Sides.BOTH


def test_intended_worcestershires_meeting_is_independently_chaired() -> None:
    rules = shipped_rules("worcestershire")
    final = final_rule(rules)
    assert final.meeting_chair is MeetingChair.INDEPENDENT
    assert final.appointed_by == (PR.BUSINESS_MANAGER,)
    assert why_not(Move.APPOINT_CHAIR, case(4), person(BM), rules) == ""
    assert why_not(Move.APPOINT_CHAIR, case(4), person(CHAIR), rules) == (
        "Only the business manager can appoint the meeting's chair."
    )
    assert waiting_on(case(4), rules) is WaitingOn.APPOINTMENT


def test_intended_greenwichs_meeting_is_chaired_from_an_uninvolved_agency() -> None:
    rules = shipped_rules("greenwich")
    assert final_rule(rules).meeting_chair is MeetingChair.UNINVOLVED_AGENCY
    assert waiting_on(case(6), rules) is WaitingOn.APPOINTMENT
    with pytest.raises(TransitionRefused, match="board member from an uninvolved agency"):
        check_appointee(
            case(6), person(BM), rules, candidate(INDEPENDENT), AppointeeRole.MEETING_CHAIR
        )
    check_appointee(
        case(6), person(BM), rules, candidate(POLICE_BOARD_MEMBER), AppointeeRole.MEETING_CHAIR
    )


@pytest.mark.parametrize("policy", POLICIES)
def test_intended_every_meeting_kind_of_final_stage_can_appoint_its_chair(policy: str) -> None:
    meetings = {
        FinalStageKind.INDEPENDENTLY_CHAIRED_MEETING,
        FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING,
    }
    final = final_rule(shipped_rules(policy))
    assert final.needs_appointed_chair is bool(meetings & set(final.decided_by))


# --- practice issues: the lead agency's acting rung reports them (decision 11) ---------------


def _practice_issue_refusal(policy: str, stage: int, who: int, **kwargs: Any) -> str:
    return why_not(
        Move.RECORD_PRACTICE_ISSUE, case(stage, **kwargs), person(who), shipped_rules(policy)
    )


@pytest.mark.parametrize("policy", POLICIES)
def test_the_lead_agencys_acting_rung_reports_practice_issues_from_the_notification_stage(
    policy: str,
) -> None:
    rules = shipped_rules(policy)
    first = rules.first_practice_issue_stage
    if first > rules.final_stage.number:
        pytest.skip("this procedure reports no practice issues")
    rung = rules.acting_rung(first)

    assert _practice_issue_refusal(policy, first, rung_holder(SCHOOL, rung)) == ""
    assert _practice_issue_refusal(policy, first, BM) == ""
    assert "lead agency reports" in _practice_issue_refusal(
        policy, first, rung_holder(CARE, LadderRole.ASSISTANT_DIRECTOR)
    )
    if first > 1:
        assert f"recorded from stage {first}" in _practice_issue_refusal(
            policy, first - 1, rung_holder(SCHOOL, LadderRole.ASSISTANT_DIRECTOR)
        )


def test_a_lead_agency_chosen_by_the_parties_reports_instead_of_the_raising_one() -> None:
    care_leads = (Party(SCHOOL, Side.RAISING), Party(CARE, Side.CHALLENGED, is_lead=True))
    stage = shipped_rules("cscp").first_practice_issue_stage

    assert _practice_issue_refusal("cscp", stage, CARE_AD, parties=care_leads) == ""
    assert "lead agency reports" in _practice_issue_refusal(
        "cscp", stage, SCHOOL_AD, parties=care_leads
    )


@pytest.mark.parametrize("status", [Status.WITHDRAWN, Status.CLOSED])
def test_no_practice_issue_is_reported_on_a_finished_escalation(status: Status) -> None:
    assert "practice issues are reported while it is open or resolved" in (
        _practice_issue_refusal("nel", 3, SCHOOL_AD, status=status)
    )
