"""The complete stage machine: every move, who may make it now, and what it leaves behind.

Pure: the caller gathers plain facts (the case, the person acting, the procedure) and gets
back a decision, or ``TransitionRefused`` carrying a sentence for that person. One function,
``moves_for``, answers which moves a person may make now and why not the others; the pages,
the API, the documents and the services all ask it, so no door can forget a rule.

The rules come from docs/domain.md decisions 7 to 13 and the policy's ``StageAuthority``:

* a stage belongs to its rung (``PolicyRules.acting_rung``) in each party agency on the
  sides the stage involves, and to those above that rung in the same agency (7);
* a resolution is recorded by one agency and confirmed by every other party agency's
  acting rung, unless the stage involves one side only (8);
* only the raiser or their managers may withdraw (9);
* the final stage's appointments are made by the roles the policy names, from the roles it
  names, never by oneself; an uninvolved or independent chair comes from no party agency (10);
* the lead agency is the raising agency unless the parties record another (11);
* where the procedure asks for the Escalation Notification Form at a stage, the case does not
  leave that stage upward, nor close, until the form is sent or updated there (decision 0013).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from escalate.domain.access import PARTNERSHIP_OVERSIGHT
from escalate.domain.engine import Status, TransitionRefused
from escalate.domain.policy import (
    LADDER_ORDER,
    PER_AGENCY_ITEMS,
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
    StageAction,
    StageRule,
)


class Move(StrEnum):
    RECORD_CONTACT = "record_contact"
    ESCALATE = "escalate"
    PROPOSE_RESOLUTION = "propose_resolution"
    CONFIRM_RESOLUTION = "confirm_resolution"
    WITHDRAW = "withdraw"
    ADD_AGENCY = "add_agency"
    SET_LEAD_AGENCY = "set_lead_agency"
    CONFIRM_UNDERSTANDING = "confirm_understanding"
    CHECK_BACK = "check_back"
    ANSWER_CHECKLIST = "answer_checklist"
    APPOINT_PANEL_MEMBER = "appoint_panel_member"
    REMOVE_PANEL_MEMBER = "remove_panel_member"
    APPOINT_CHAIR = "appoint_chair"
    EXPLAIN_PANEL = "explain_panel"
    ADD_REPRESENTATION = "add_representation"
    RECORD_DECISION = "record_decision"
    CLOSE = "close"
    REOPEN = "reopen"
    RECORD_PRACTICE_ISSUE = "record_practice_issue"


class Side(StrEnum):
    RAISING = "raising"
    CHALLENGED = "challenged"

    @property
    def as_sides(self) -> Sides:
        return Sides(self.value)


class AppointeeRole(StrEnum):
    PANEL_MEMBER = "panel_member"
    MEETING_CHAIR = "meeting_chair"


class Implementation(StrEnum):
    PENDING = "pending"
    IMPLEMENTED = "implemented"
    NOT_IMPLEMENTED = "not_implemented"


class WaitingOn(StrEnum):
    """Whose move it is now, for the lists people work from."""

    PARTIES = "parties"
    """The acting rung of the agencies the stage involves."""
    CONFIRMATION = "confirmation"
    """The agencies that have not yet confirmed a proposed resolution."""
    APPOINTMENT = "appointment"
    """Whoever appoints the final stage's panel or chair."""
    DECISION = "decision"
    """The chair, the executive, the panel or the meeting's chair."""
    CHECK_BACK = "check_back"
    """The raising side: check back the agreed actions, finish the checklist, close."""
    NOBODY = "nobody"


@dataclass(frozen=True)
class Party:
    agency_id: int
    side: Side
    is_lead: bool = False


@dataclass(frozen=True)
class Appointee:
    person_id: int
    agency_id: int | None
    role: AppointeeRole


@dataclass(frozen=True)
class Proposal:
    """A resolution recorded by one agency, waiting for the others to confirm it."""

    agency_id: int
    agreed_by: frozenset[int]
    """Agencies that agree, the proposing one included."""


@dataclass(frozen=True)
class ActionFacts:
    action_id: int
    understanding_confirmed: bool
    implementation: Implementation = Implementation.PENDING


@dataclass(frozen=True)
class Case:
    partnership_id: int
    status: Status
    stage_number: int
    raised_on: date
    raised_by_id: int
    parties: tuple[Party, ...]
    named_person_ids: frozenset[int] = frozenset()
    """The raiser, the named practitioners and others who took part."""
    immediate_risk: bool = False
    proposal: Proposal | None = None
    appointees: tuple[Appointee, ...] = ()
    panel_reason: str = ""
    """Why the agencies in the disagreement are not all on the panel, where they are not."""
    actions: tuple[ActionFacts, ...] = ()
    answered: frozenset[tuple[ChecklistItem, int | None]] = frozenset()
    """Checklist items done or explained: (item, agency) for per-agency items, else (item, None)."""
    practice_issue_stages: frozenset[int] = frozenset()
    """The stages at which the Escalation Notification Form was sent or updated (a practice
    issue recorded); read only for procedures that have the form."""

    @property
    def party_agency_ids(self) -> frozenset[int]:
        return frozenset(party.agency_id for party in self.parties)

    def side_of(self, agency_id: int | None) -> Side | None:
        return next((p.side for p in self.parties if p.agency_id == agency_id), None)

    def agencies_on(self, sides: Sides) -> tuple[int, ...]:
        return tuple(p.agency_id for p in self.parties if sides.includes(p.side))

    @property
    def lead_agency_id(self) -> int | None:
        lead = next((p.agency_id for p in self.parties if p.is_lead), None)
        return lead if lead is not None else next(iter(self.agencies_on(Sides.RAISING)), None)

    def appointed(self, role: AppointeeRole) -> tuple[Appointee, ...]:
        return tuple(a for a in self.appointees if a.role is role)


@dataclass(frozen=True)
class Actor:
    person_id: int
    is_active: bool
    agency_id: int | None
    ladder_role: LadderRole | None
    partnership_roles: frozenset[PartnershipRole] = field(default=frozenset())
    """Roles held in the escalation's partnership (never another partnership's)."""

    @property
    def rank(self) -> int:
        return LADDER_ORDER.index(self.ladder_role or LadderRole.PRACTITIONER)


@dataclass(frozen=True)
class Candidate:
    """Someone proposed for the final stage's panel or chair, or as an action owner."""

    person_id: int
    is_active: bool
    partnership_id: int | None
    agency_id: int | None
    partnership_roles: frozenset[PartnershipRole] = field(default=frozenset())


@dataclass(frozen=True)
class MoveOption:
    move: Move
    refusal: str
    """Why the person may not make this move now; empty when they may."""

    @property
    def allowed(self) -> bool:
        return not self.refusal


@dataclass(frozen=True)
class Moves:
    """Every move, each allowed or refused with its reason, for one person now."""

    options: tuple[MoveOption, ...]

    def allows(self, move: Move) -> bool:
        return not self.refusal(move)

    def refusal(self, move: Move) -> str:
        return next(option.refusal for option in self.options if option.move is move)

    @property
    def allowed(self) -> frozenset[Move]:
        return frozenset(option.move for option in self.options if option.allowed)


def moves_for(case: Case, actor: Actor, rules: PolicyRules) -> Moves:
    """Which moves ``actor`` may make now, and a sentence for each they may not."""
    return moves_among(Move, case, actor, rules)


def moves_among(among: Iterable[Move], case: Case, actor: Actor, rules: PolicyRules) -> Moves:
    """``moves_for``, asked only about ``among``: a list asks, row by row, whether the
    viewer may answer what the case waits on, not about every move."""
    return Moves(tuple(MoveOption(move, why_not(move, case, actor, rules)) for move in among))


def ensure(move: Move, case: Case, actor: Actor, rules: PolicyRules) -> None:
    """Raise ``TransitionRefused`` with the reason if ``actor`` may not make ``move`` now."""
    refusal = why_not(move, case, actor, rules)
    if refusal:
        raise TransitionRefused(refusal)


def why_not(move: Move, case: Case, actor: Actor, rules: PolicyRules) -> str:
    """The sentence refusing ``move`` to ``actor`` now, or "" when it is allowed."""
    if not actor.is_active:
        return "Your account is not active, so you cannot change escalations."
    return _GATES[move](case, actor, rules)


# --- standing: where the actor stands in this case ------------------------------------------

_RUNG_WORDS = {
    LadderRole.PRACTITIONER: "the practitioners",
    LadderRole.LINE_MANAGER: "the line managers",
    LadderRole.SAFEGUARDING_LEAD: "the named or designated safeguarding leads",
    LadderRole.HEAD_OF_SERVICE: "the heads of service",
    LadderRole.ASSISTANT_DIRECTOR: "the assistant directors",
}
_SIDE_WORDS = {
    Sides.RAISING: "the agency that raised it",
    Sides.CHALLENGED: "the agency whose decision is challenged",
    Sides.BOTH: "the agencies in the disagreement",
}
_STATUS_WORDS = {
    Status.OPEN: "open",
    Status.RESOLVED: "resolved",
    Status.WITHDRAWN: "withdrawn",
    Status.CLOSED: "closed",
}


def is_involved(case: Case, actor: Actor) -> bool:
    """Named on the case, an overseeing rung of a party agency, or appointed to it."""
    if actor.person_id in case.named_person_ids:
        return True
    if any(a.person_id == actor.person_id for a in case.appointees):
        return True
    return case.side_of(actor.agency_id) is not None and actor.rank > 0


def may_see_read_trail(case: Case, actor: Actor) -> bool:
    """Who has read a case is shown to those involved in it and to the partnership's
    overseers (business manager and chair), not to read-only viewers such as the
    independent scrutineer."""
    return is_involved(case, actor) or bool(actor.partnership_roles & PARTNERSHIP_OVERSIGHT)


ATTACH_REFUSED = (
    "Only the people named on this escalation, appointed to it, or who may act on it now "
    "can attach a file to it."
)


def attach_refusal(case: Case, actor: Actor, rules: PolicyRules) -> str:
    """Why ``actor`` may not attach a file (minutes, a letter, a note) now, or "" if they may.

    Anyone named on the escalation or appointed to it, and anyone the stage machine lets make
    a move on it now, while it is open or resolved and waiting for its check-back; not once
    it is closed or withdrawn (decision 0021). Not a ``Move``: attaching changes no stage."""
    if not actor.is_active:
        return "Your account is not active, so you cannot change escalations."
    if case.status not in {Status.OPEN, Status.RESOLVED}:
        return f"This escalation is {_STATUS_WORDS[case.status]}; files are no longer attached."
    if actor.person_id in case.named_person_ids:
        return ""
    if any(a.person_id == actor.person_id for a in case.appointees):
        return ""
    if any(not why_not(move, case, actor, rules) for move in Move):
        return ""
    return ATTACH_REFUSED


@dataclass(frozen=True)
class Author:
    """Who wrote an entry of the record (a contact, a decision), as the directory has them."""

    person_id: int
    agency_id: int | None
    line_manager_id: int | None = None


CORRECTION_REFUSED = (
    "Only the person who recorded this, their line manager, or a manager in their agency "
    "who is involved in this escalation can correct it."
)


def correction_refusal(case: Case, actor: Actor, author: Author) -> str:
    """Why ``actor`` may not correct an entry ``author`` wrote, or "" if they may.

    The author, their line manager, or a manager (any rung above practitioner) of the
    author's agency who is involved in the case; at any status, since a mistake found after
    closing still needs putting right. Not a ``Move``: a correction changes no stage, and
    the entry as first written stays in the record (decision 0025)."""
    if not actor.is_active:
        return "Your account is not active, so you cannot change escalations."
    if actor.person_id in {author.person_id, author.line_manager_id}:
        return ""
    same_agency = actor.agency_id is not None and actor.agency_id == author.agency_id
    if same_agency and actor.rank > 0 and is_involved(case, actor):
        return ""
    return CORRECTION_REFUSED


READ_TRAIL_REFUSED = (
    "Only the people involved in this escalation, and the partnership's business manager "
    "and chair, can see who has read it."
)


def _rung_refusal(case: Case, actor: Actor, rung: LadderRole, verb: str) -> str:
    """Refuse unless the actor is on ``rung`` or above; a practitioner must be named."""
    if actor.rank < LADDER_ORDER.index(rung):
        return (
            f"Stage {case.stage_number} belongs to {_RUNG_WORDS[rung]} of each agency, "
            f"or someone more senior, so you cannot {verb} it."
        )
    if actor.rank == 0 and actor.person_id not in case.named_person_ids:
        return f"Only the practitioners named on this escalation can {verb} it at this stage."
    return ""


def _acting_refusal(
    case: Case, actor: Actor, rules: PolicyRules, *, sides: Sides, verb: str
) -> str:
    """Refuse unless the actor acts at the current stage for a side in ``sides``."""
    side = case.side_of(actor.agency_id)
    if side is None:
        return f"Only the agencies in this disagreement can {verb} it."
    stage = rules.stage(case.stage_number)
    allowed = _narrow(sides, stage.authority.involves)
    if allowed is None or not allowed.includes(side):
        who = _SIDE_WORDS[allowed] if allowed else "nobody"
        return f"At stage {case.stage_number} only {who} can {verb} it."
    return _rung_refusal(case, actor, rules.acting_rung(case.stage_number), verb)


def _narrow(wanted: Sides, involved: Sides) -> Sides | None:
    if wanted is Sides.BOTH:
        return involved
    if involved is Sides.BOTH or involved is wanted:
        return wanted
    return None


def _raiser_or_managers_refusal(case: Case, actor: Actor, verb: str) -> str:
    """The raiser, or someone above the practitioners in a raising-side agency (decision 9)."""
    if actor.person_id == case.raised_by_id:
        return ""
    side = case.side_of(actor.agency_id)
    if side is not Side.RAISING:
        return (
            f"Only the raising side can {verb} an escalation: "
            "the agency whose decision is challenged cannot end the challenge."
            if verb == "withdraw"
            else f"Only the raising side can {verb} this escalation."
        )
    if actor.rank == 0:
        return f"Only the person who raised it or their managers can {verb} this escalation."
    return ""


def _status_refusal(case: Case, wanted: Status, what: str) -> str:
    if case.status is wanted:
        return ""
    return f"This escalation is {_STATUS_WORDS[case.status]}; {what}."


def _open(case: Case, what: str = "only an open one can change stage") -> str:
    return _status_refusal(case, Status.OPEN, what)


def _at_final(case: Case, rules: PolicyRules) -> bool:
    return case.stage_number == rules.final_stage.number


def _final_rule(rules: PolicyRules) -> FinalStageRule:
    final = rules.final_stage.final
    if final is None:  # the policy checker requires it; a rule without one has no final stage
        return FinalStageRule(decided_by=(FinalStageKind.CHAIR_DECISION,))
    return final


def _first(*refusals: str) -> str:
    return next((refusal for refusal in refusals if refusal), "")


# --- the gates, one per move -----------------------------------------------------------------


def _record_contact(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if case.status is not Status.OPEN:
        return "Contacts are recorded while an escalation is open."
    if _at_final(case, rules) and _holds(actor, _partnership_actors(rules)):
        return ""
    if not is_involved(case, actor):
        return "Only people involved in this escalation can record a contact."
    side = case.side_of(actor.agency_id)
    involved = rules.stage(case.stage_number).authority.involves
    if side is not None and not involved.includes(side) and actor.person_id != case.raised_by_id:
        return (
            f"At stage {case.stage_number} only {_SIDE_WORDS[involved]} is involved, "
            "so only its people record contacts."
        )
    return ""


def _escalate(case: Case, actor: Actor, rules: PolicyRules) -> str:
    return _first(
        _open(case),
        "This escalation is already at its final stage." if _at_final(case, rules) else "",
        _acting_refusal(
            case,
            actor,
            rules,
            sides=rules.stage(case.stage_number).authority.escalate,
            verb="escalate",
        ),
        notification_form_refusal(case, rules, Move.ESCALATE),
    )


def _propose(case: Case, actor: Actor, rules: PolicyRules) -> str:
    final_words = "At the final stage the outcome is the decision the partnership records."
    pending = "A resolution is already waiting for confirmation at this stage."
    return _first(
        _open(case, "only an open one can be resolved"),
        final_words if _at_final(case, rules) else "",
        pending if case.proposal is not None else "",
        _acting_refusal(
            case,
            actor,
            rules,
            sides=rules.stage(case.stage_number).authority.resolve,
            verb="resolve",
        ),
    )


def _confirm_resolution(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if refusal := _open(case, "only an open one can be resolved"):
        return refusal
    if case.proposal is None:
        return "No resolution is waiting for confirmation at this stage."
    if actor.agency_id in case.proposal.agreed_by:
        return "Your agency has already agreed this resolution; the other agencies confirm it."
    return _acting_refusal(case, actor, rules, sides=Sides.BOTH, verb="confirm a resolution of")


def _withdraw(case: Case, actor: Actor, rules: PolicyRules) -> str:
    return _first(
        _open(case, "only an open one can be withdrawn"),
        _raiser_or_managers_refusal(case, actor, "withdraw"),
    )


def _add_agency(case: Case, actor: Actor, rules: PolicyRules) -> str:
    return _first(
        _open(case, "agencies join while it is open"),
        _acting_refusal(case, actor, rules, sides=Sides.BOTH, verb="add an agency to"),
    )


def _set_lead(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if not rules.has_lead_agency:
        return "This procedure does not name a lead agency."
    return _first(
        _open(case, "the lead agency is chosen while it is open"),
        _acting_refusal(case, actor, rules, sides=Sides.BOTH, verb="choose the lead agency of"),
    )


def _confirm_understanding(case: Case, actor: Actor, rules: PolicyRules) -> str:
    return _first(
        _resolved_for_actions(case),
        ""
        if any(not a.understanding_confirmed for a in case.actions)
        else "Every agreed action's shared understanding is already confirmed.",
        _raiser_or_managers_refusal(case, actor, "check back"),
    )


def _check_back(case: Case, actor: Actor, rules: PolicyRules) -> str:
    waiting = any(
        a.understanding_confirmed and a.implementation is Implementation.PENDING
        for a in case.actions
    )
    return _first(
        _resolved_for_actions(case),
        "" if waiting else "No confirmed agreed action is waiting to be checked back.",
        _raiser_or_managers_refusal(case, actor, "check back"),
    )


def _resolved_for_actions(case: Case) -> str:
    if case.status is Status.RESOLVED:
        return "" if case.actions else "No actions were agreed."
    return (
        f"This escalation is {_STATUS_WORDS[case.status]}; agreed actions are confirmed "
        "and checked back once it is resolved and before it is closed."
    )


def _answer_checklist(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if refusal := _status_refusal(
        case, Status.RESOLVED, "the checklist is completed once it is resolved and before it closes"
    ):
        return refusal
    if refusal := _checklist_standing(case, actor, rules):
        return refusal
    if not answerable_items(case, actor, rules):
        return "Nothing on the checklist is left for your agency to answer."
    return ""


def _checklist_standing(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if case.side_of(actor.agency_id) is None:
        return "Only the agencies in this disagreement answer the checklist."
    return _rung_refusal(
        case, actor, rules.acting_rung(case.stage_number), "answer the checklist of"
    )


def _appointment_standing(case: Case, actor: Actor, rules: PolicyRules, *, verb: str) -> str:
    final = _final_rule(rules)
    return _first(
        _open(case, f"nobody can {verb} once it is no longer open"),
        "" if _at_final(case, rules) else f"You can {verb} only at the final stage.",
        ""
        if _holds(actor, final.appointed_by)
        else f"Only {_roles_words(final.appointed_by)} can {verb}.",
    )


def _appoint_member(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if not _final_rule(rules).has_panel:
        return "This procedure's final stage has no resolution panel."
    return _appointment_standing(case, actor, rules, verb="appoint panel members")


def _remove_member(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if refusal := _appoint_member(case, actor, rules):
        return refusal
    if not case.appointed(AppointeeRole.PANEL_MEMBER):
        return "Nobody is on the panel yet."
    return ""


def _appoint_chair(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if not _final_rule(rules).needs_appointed_chair:
        return "This procedure's final stage has no appointed chair."
    return _appointment_standing(case, actor, rules, verb="appoint the meeting's chair")


def _explain_panel(case: Case, actor: Actor, rules: PolicyRules) -> str:
    panel = _final_rule(rules).panel
    if panel is None or not panel.include_disputing_agencies:
        return "This procedure asks for no reason about the panel's make-up."
    return _appointment_standing(
        case, actor, rules, verb="record why the panel is made up as it is"
    )


def _add_representation(case: Case, actor: Actor, rules: PolicyRules) -> str:
    final = _final_rule(rules)
    return _first(
        _open(case, "written representations are made while it is open"),
        "" if _at_final(case, rules) else "Written representations are made at the final stage.",
        ""
        if final.written_representations
        else "This procedure asks for no written representations.",
        ""
        if case.side_of(actor.agency_id) is not None and is_involved(case, actor)
        else "Representations come from the people involved in the agencies in the disagreement.",
    )


def _record_decision(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if refusal := _first(
        _open(case, "the final decision is recorded while it is open"),
        "" if _at_final(case, rules) else "The decision is recorded at the final stage.",
    ):
        return refusal
    refusals = [
        decision_refusal(case, actor, rules, kind) for kind in _closest_kinds(case, actor, rules)
    ]
    return "" if "" in refusals else refusals[0]


def _closest_kinds(case: Case, actor: Actor, rules: PolicyRules) -> list[FinalStageKind]:
    """The ways of deciding, those the actor has a part in first, so a refusal names the
    condition that is missing rather than a role the actor never had."""
    kinds = list(_final_rule(rules).decided_by)
    appointed = {a.role for a in case.appointees if a.person_id == actor.person_id}

    def distance(kind: FinalStageKind) -> int:
        if kind in _DECIDING_ROLES:
            return 0 if _DECIDING_ROLES[kind] in actor.partnership_roles else 1
        if kind is FinalStageKind.RESOLUTION_PANEL:
            return 0 if AppointeeRole.PANEL_MEMBER in appointed else 1
        return 0 if AppointeeRole.MEETING_CHAIR in appointed else 1

    return sorted(kinds, key=distance)


def _close(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if refusal := _status_refusal(case, Status.RESOLVED, "only a resolved one can be closed"):
        return refusal
    if refusal := _closer_refusal(case, actor, rules):
        return refusal
    if refusal := notification_form_refusal(case, rules, Move.CLOSE):
        return refusal
    outstanding = outstanding_items(case, rules)
    if outstanding:
        return (
            f"{len(outstanding)} checklist item(s) are neither done nor explained; "
            "each must be done or explained before the escalation is closed."
        )
    return ""


def _closer_refusal(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if _at_final(case, rules) and _holds(actor, _final_rule(rules).appointed_by):
        return ""
    return _raiser_or_managers_refusal(case, actor, "close")


def _reopen(case: Case, actor: Actor, rules: PolicyRules) -> str:
    if refusal := _status_refusal(case, Status.RESOLVED, "only a resolved one can be reopened"):
        return refusal
    if not any(a.implementation is Implementation.NOT_IMPLEMENTED for a in case.actions):
        return (
            "An escalation is reopened after a failed check-back: "
            "no agreed action is recorded as not done."
        )
    return _raiser_or_managers_refusal(case, actor, "reopen")


def _record_practice_issue(case: Case, actor: Actor, rules: PolicyRules) -> str:
    """The lead agency's acting rung reports the issues to the partnership (decision 11); the
    business manager, who keeps the partnership's log, may too."""
    first = rules.first_practice_issue_stage
    if case.status not in {Status.OPEN, Status.RESOLVED}:
        return (
            f"This escalation is {_STATUS_WORDS[case.status]}; practice issues are reported "
            "while it is open or resolved."
        )
    if case.stage_number < first:
        return (
            f"Policy and practice issues are recorded from stage {first}; "
            f"this escalation is at stage {case.stage_number}."
        )
    if PartnershipRole.BUSINESS_MANAGER in actor.partnership_roles:
        return ""
    if actor.agency_id is None or actor.agency_id != case.lead_agency_id:
        return "The lead agency reports the policy and practice issues this escalation shows."
    return _rung_refusal(
        case, actor, rules.acting_rung(case.stage_number), "report the practice issues of"
    )


# --- the Escalation Notification Form (source 003; decision 0013) ----------------------------

NOTIFICATION_FORM_ACTIONS = (
    StageAction.SEND_NOTIFICATION_FORM,
    StageAction.UPDATE_NOTIFICATION_FORM,
)


def has_notification_form(rules: PolicyRules) -> bool:
    """Whether any stage of the procedure asks for the Escalation Notification Form."""
    return any(notification_form_action(rules, stage.number) for stage in rules.stages)


def notification_form_action(rules: PolicyRules, stage_number: int) -> StageAction | None:
    """Send or update, where stage ``stage_number`` asks for the form on entry or outcome."""
    stage = rules.stage(stage_number)
    asked = (*stage.on_entry, *stage.on_outcome)
    return next((action for action in NOTIFICATION_FORM_ACTIONS if action in asked), None)


def notification_form_due(case: Case, rules: PolicyRules) -> StageAction | None:
    """The form the current stage still waits for (send or update), or None: due where the
    stage asks for it and no practice issue has been recorded at this stage yet."""
    if case.status not in {Status.OPEN, Status.RESOLVED}:
        return None
    action = notification_form_action(rules, case.stage_number)
    if action is None or case.stage_number in case.practice_issue_stages:
        return None
    return action


NOTIFICATION_FORM_WORDS = {
    StageAction.SEND_NOTIFICATION_FORM: "send the Escalation Notification Form to the partnership",
    StageAction.UPDATE_NOTIFICATION_FORM: "update the Escalation Notification Form",
}


def moves_held_for_notification_form(case: Case, rules: PolicyRules) -> tuple[Move, ...]:
    """The moves the form due at this stage holds back: closing, and escalating while the
    case is open, except with immediate risk, which is escalated the same day (the form
    follows, it does not hold it)."""
    if notification_form_due(case, rules) is None:
        return ()
    if case.status is not Status.OPEN or case.immediate_risk:
        return (Move.CLOSE,)
    return (Move.ESCALATE, Move.CLOSE)


_HELD_WORDS = {Move.ESCALATE: "escalate it", Move.CLOSE: "close it"}


def notification_form_refusal(case: Case, rules: PolicyRules, move: Move) -> str:
    """The sentence holding ``move`` back until the form is sent or updated at this stage."""
    action = notification_form_due(case, rules)
    if action is None or move not in moves_held_for_notification_form(case, rules):
        return ""
    return (
        f"At stage {case.stage_number} the procedure asks the lead agency to "
        f"{NOTIFICATION_FORM_WORDS[action]} before anyone can {_HELD_WORDS[move]}: use "
        "'Report policy or practice issues to the partnership' on this escalation's page, "
        "then try again."
    )


# --- recognising good practice (decision 0013) -----------------------------------------------


def good_practice_refusal(case: Case, actor: Actor) -> str:
    """Why ``actor`` may not record good multi-agency practice seen in ``case``; "" when they
    may: the people involved in it and the partnership's business manager and chair."""
    if not actor.is_active:
        return "Your account is not active, so you cannot change escalations."
    if is_involved(case, actor) or _holds(actor, PARTNERSHIP_OVERSIGHT):
        return ""
    return (
        "Good practice is recognised by the people involved in this escalation and by the "
        "partnership's business manager and chair."
    )


_GATES = {
    Move.RECORD_CONTACT: _record_contact,
    Move.ESCALATE: _escalate,
    Move.PROPOSE_RESOLUTION: _propose,
    Move.CONFIRM_RESOLUTION: _confirm_resolution,
    Move.WITHDRAW: _withdraw,
    Move.ADD_AGENCY: _add_agency,
    Move.SET_LEAD_AGENCY: _set_lead,
    Move.CONFIRM_UNDERSTANDING: _confirm_understanding,
    Move.CHECK_BACK: _check_back,
    Move.ANSWER_CHECKLIST: _answer_checklist,
    Move.APPOINT_PANEL_MEMBER: _appoint_member,
    Move.REMOVE_PANEL_MEMBER: _remove_member,
    Move.APPOINT_CHAIR: _appoint_chair,
    Move.EXPLAIN_PANEL: _explain_panel,
    Move.ADD_REPRESENTATION: _add_representation,
    Move.RECORD_DECISION: _record_decision,
    Move.CLOSE: _close,
    Move.REOPEN: _reopen,
    Move.RECORD_PRACTICE_ISSUE: _record_practice_issue,
}


# --- partnership roles -----------------------------------------------------------------------

_ROLE_WORDS = {
    PartnershipRole.BUSINESS_MANAGER: "the business manager",
    PartnershipRole.CHAIR: "the chair",
    PartnershipRole.EXECUTIVE_MEMBER: "the executive",
    PartnershipRole.PANEL_MEMBER: "panel members",
    PartnershipRole.INDEPENDENT_SCRUTINEER: "the independent scrutineer",
    PartnershipRole.ADMINISTRATOR: "administrators",
    PartnershipRole.DATA_PROTECTION_OFFICER: "the data protection officer",
}


def _roles_words(roles: Iterable[PartnershipRole]) -> str:
    words = [_ROLE_WORDS[role] for role in roles]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _holds(actor: Actor, roles: Iterable[PartnershipRole]) -> bool:
    return bool(actor.partnership_roles & frozenset(roles))


def _partnership_actors(rules: PolicyRules) -> tuple[PartnershipRole, ...]:
    final = _final_rule(rules)
    return (*final.appointed_by, *_DECIDING_ROLES.values())


_DECIDING_ROLES = {
    FinalStageKind.CHAIR_DECISION: PartnershipRole.CHAIR,
    FinalStageKind.EXECUTIVE_DECISION: PartnershipRole.EXECUTIVE_MEMBER,
}


# --- the final stage -------------------------------------------------------------------------


def decision_refusal(case: Case, actor: Actor, rules: PolicyRules, kind: FinalStageKind) -> str:
    """Why ``actor`` may not record a final decision reached ``kind``'s way, or ""."""
    final = _final_rule(rules)
    if kind not in final.decided_by:
        return "This procedure's final stage is not decided that way."
    if kind in _DECIDING_ROLES:
        role = _DECIDING_ROLES[kind]
        return (
            ""
            if role in actor.partnership_roles
            else f"Only {_ROLE_WORDS[role]} can record this decision."
        )
    if kind is FinalStageKind.RESOLUTION_PANEL:
        if not any(
            a.person_id == actor.person_id for a in case.appointed(AppointeeRole.PANEL_MEMBER)
        ):
            return "Only a member of the appointed panel can record the panel's decision."
        return panel_shortfall(case, rules)
    chair = case.appointed(AppointeeRole.MEETING_CHAIR)
    if not chair:
        return "The meeting's chair has not been appointed yet."
    if chair[0].person_id != actor.person_id:
        return "Only the appointed chair of the meeting can record its decision."
    return ""


def panel_shortfall(case: Case, rules: PolicyRules) -> str:
    """Why the panel cannot decide yet, in words for the chair; "" when it can."""
    panel = _final_rule(rules).panel
    if panel is None:
        return ""
    members = case.appointed(AppointeeRole.PANEL_MEMBER)
    agencies = {m.agency_id for m in members if m.agency_id is not None}
    if len(agencies) < panel.min_agencies:
        return (
            f"The panel needs representatives of {panel.min_agencies} agencies; "
            f"it has {len(agencies)}."
        )
    missing = case.party_agency_ids - agencies
    if panel.include_disputing_agencies and missing and not case.panel_reason.strip():
        return (
            "The agencies in the disagreement sit on the panel where possible: "
            "appoint someone from each, or record why that is not possible."
        )
    return ""


def check_appointee(
    case: Case, actor: Actor, rules: PolicyRules, candidate: Candidate, role: AppointeeRole
) -> None:
    """Refuse an appointment the procedure does not allow (decision 10)."""
    move = Move.APPOINT_PANEL_MEMBER if role is AppointeeRole.PANEL_MEMBER else Move.APPOINT_CHAIR
    ensure(move, case, actor, rules)
    final = _final_rule(rules)
    if candidate.partnership_id != case.partnership_id or not candidate.is_active:
        raise TransitionRefused(NOT_IN_PARTNERSHIP)
    if candidate.person_id == actor.person_id:
        raise TransitionRefused("Nobody can appoint themselves: ask a colleague to appoint you.")
    if not candidate.partnership_roles & frozenset(final.appointees_from):
        raise TransitionRefused(
            f"Appoint someone who holds one of the partnership's roles for this: "
            f"{_roles_words(final.appointees_from)}."
        )
    if any(a.person_id == candidate.person_id and a.role is role for a in case.appointees):
        raise TransitionRefused("That person is already appointed.")
    if role is AppointeeRole.MEETING_CHAIR:
        _check_chair(case, final, candidate)


def _check_chair(case: Case, final: FinalStageRule, candidate: Candidate) -> None:
    if candidate.agency_id in case.party_agency_ids:
        raise TransitionRefused(
            "The meeting's chair must come from an agency that is not in the disagreement."
        )
    if final.meeting_chair is MeetingChair.UNINVOLVED_AGENCY and candidate.agency_id is None:
        raise TransitionRefused(
            "The meeting's chair must be a board member from an uninvolved agency."
        )


NOT_IN_PARTNERSHIP = "No such person in this partnership's directory."
"""One answer for a missing id and another partnership's id, so nothing leaks."""
NO_SUCH_AGENCY = "No such agency in this partnership's directory."


def check_candidate_in_partnership(partnership_id: int, candidate: Candidate | None) -> None:
    """An action owner, counterpart or practitioner must be someone active in the partnership."""
    if candidate is None or candidate.partnership_id != partnership_id or not candidate.is_active:
        raise TransitionRefused(NOT_IN_PARTNERSHIP)


# --- the checklist ---------------------------------------------------------------------------


def known_answers(case: Case, rules: PolicyRules) -> frozenset[ChecklistItem]:
    """The system-known checklist items that the record already answers."""
    stage = rules.stage(case.stage_number)
    if case.status not in {Status.RESOLVED, Status.CLOSED}:
        return frozenset()
    done: set[ChecklistItem] = {
        ChecklistItem.RECORD_OUTCOME,
        ChecklistItem.CONFIRM_IN_WRITING,
        ChecklistItem.FEEDBACK_TO_ALL_PARTIES,
    }
    if all(a.understanding_confirmed for a in case.actions):
        done.add(ChecklistItem.CHECK_BACK_UNDERSTANDING)
    if all(a.implementation is not Implementation.PENDING for a in case.actions):
        done.add(ChecklistItem.CHECK_BACK_IMPLEMENTED)
    return frozenset(done) & frozenset(stage.checklist)


@dataclass(frozen=True)
class ChecklistSlot:
    """One answer the checklist needs: an item, for one agency where it is per agency."""

    item: ChecklistItem
    agency_id: int | None


def checklist_slots(case: Case, rules: PolicyRules) -> tuple[ChecklistSlot, ...]:
    """Every answer the stage's checklist needs from people (system-known items excluded)."""
    slots: list[ChecklistSlot] = []
    for item in rules.stage(case.stage_number).checklist:
        if item in SYSTEM_KNOWN_ITEMS:
            continue
        if item in PER_AGENCY_ITEMS:
            slots.extend(ChecklistSlot(item, agency) for agency in _involved_agencies(case, rules))
        else:
            slots.append(ChecklistSlot(item, None))
    return tuple(slots)


def _involved_agencies(case: Case, rules: PolicyRules) -> tuple[int, ...]:
    return case.agencies_on(rules.stage(case.stage_number).authority.involves)


def outstanding_items(case: Case, rules: PolicyRules) -> tuple[ChecklistSlot, ...]:
    """What is left before closing: unanswered slots, and system items not yet true."""
    known = known_answers(case, rules)
    pending_known = tuple(
        ChecklistSlot(item, None)
        for item in rules.stage(case.stage_number).checklist
        if item in SYSTEM_KNOWN_ITEMS and item not in known
    )
    unanswered = tuple(
        slot
        for slot in checklist_slots(case, rules)
        if (slot.item, slot.agency_id) not in case.answered
    )
    return pending_known + unanswered


def answerable_items(case: Case, actor: Actor, rules: PolicyRules) -> tuple[ChecklistSlot, ...]:
    """The slots this actor may answer: shared ones, and their own agency's."""
    if case.side_of(actor.agency_id) is None:
        return ()
    return tuple(
        slot
        for slot in checklist_slots(case, rules)
        if slot.agency_id is None or slot.agency_id == actor.agency_id
    )


def check_checklist_answer(
    case: Case, actor: Actor, rules: PolicyRules, item: ChecklistItem
) -> ChecklistSlot:
    """The slot ``actor`` answers by ticking or explaining ``item``; refuses the rest."""
    if not actor.is_active:
        raise TransitionRefused(why_not(Move.ANSWER_CHECKLIST, case, actor, rules))
    ensure_status = _status_refusal(
        case, Status.RESOLVED, "the checklist is completed once it is resolved and before it closes"
    )
    if ensure_status:
        raise TransitionRefused(ensure_status)
    if item not in rules.stage(case.stage_number).checklist:
        raise TransitionRefused("That item is not on this stage's checklist.")
    if item in SYSTEM_KNOWN_ITEMS:
        raise TransitionRefused(
            "Escalate answers that item from the record itself; nobody ticks it."
        )
    if refusal := _checklist_standing(case, actor, rules):
        raise TransitionRefused(refusal)
    agency = actor.agency_id if item in PER_AGENCY_ITEMS else None
    slot = ChecklistSlot(item, agency)
    if slot not in checklist_slots(case, rules):
        raise TransitionRefused("Your agency does not answer that item at this stage.")
    return slot


# --- what the moves leave behind -------------------------------------------------------------


@dataclass(frozen=True)
class ResolutionStep:
    """What a proposal or a confirmation leaves: agreed by all (the stage ends) or not yet."""

    proposal: Proposal
    is_agreed: bool


def propose_resolution(case: Case, actor: Actor, rules: PolicyRules) -> ResolutionStep:
    ensure(Move.PROPOSE_RESOLUTION, case, actor, rules)
    assert actor.agency_id is not None  # the gate requires a party agency
    proposal = Proposal(agency_id=actor.agency_id, agreed_by=frozenset({actor.agency_id}))
    stage = rules.stage(case.stage_number)
    return ResolutionStep(proposal, _is_agreed(case, proposal, stage))


def confirm_resolution(case: Case, actor: Actor, rules: PolicyRules) -> ResolutionStep:
    ensure(Move.CONFIRM_RESOLUTION, case, actor, rules)
    assert case.proposal is not None and actor.agency_id is not None
    proposal = replace(case.proposal, agreed_by=case.proposal.agreed_by | {actor.agency_id})
    return ResolutionStep(proposal, _is_agreed(case, proposal, rules.stage(case.stage_number)))


def _is_agreed(case: Case, proposal: Proposal, stage: StageRule) -> bool:
    if stage.authority.agreement is Agreement.RECORDING_SIDE:
        return True
    needed = set(case.agencies_on(stage.authority.involves))
    return needed <= proposal.agreed_by


def reopen_target(case: Case, rules: PolicyRules, *, to_next_stage: bool) -> int:
    """The stage a reopened escalation returns to: the same one, or the next one up."""
    if not to_next_stage:
        return case.stage_number
    following = rules.next_after(case.stage_number)
    if following is None:
        raise TransitionRefused(
            "This escalation was resolved at the final stage: reopen it there instead."
        )
    return following.number


def waiting_on(case: Case, rules: PolicyRules) -> WaitingOn:
    """Whose move it is now; every list says so from this one answer."""
    if case.status in {Status.WITHDRAWN, Status.CLOSED}:
        return WaitingOn.NOBODY
    if case.status is Status.RESOLVED:
        return WaitingOn.CHECK_BACK
    if case.proposal is not None:
        return WaitingOn.CONFIRMATION
    if not _at_final(case, rules):
        return WaitingOn.PARTIES
    final = _final_rule(rules)
    if final.needs_appointed_chair and not case.appointed(AppointeeRole.MEETING_CHAIR):
        return WaitingOn.APPOINTMENT
    only_panel = final.decided_by == (FinalStageKind.RESOLUTION_PANEL,)
    if only_panel and panel_shortfall(case, rules):
        return WaitingOn.APPOINTMENT
    return WaitingOn.DECISION


def waiting_agencies(case: Case, rules: PolicyRules) -> tuple[int, ...]:
    """The party agencies whose acting rung the case waits on, where it waits on agencies."""
    state = waiting_on(case, rules)
    if state is WaitingOn.PARTIES:
        return _involved_agencies(case, rules)
    if state is WaitingOn.CONFIRMATION and case.proposal is not None:
        return tuple(a for a in _involved_agencies(case, rules) if a not in case.proposal.agreed_by)
    if state is WaitingOn.CHECK_BACK:
        return case.agencies_on(Sides.RAISING)
    return ()
