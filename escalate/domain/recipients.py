"""Who must hear about an escalation, and when a reminder falls due, from the policy alone.

Pure: the caller gathers plain facts (each party agency's line of management, the
agencies' people per rung, the partnership's role holders, the stages entered so far)
and gets back people and the reasons they hear. Nothing here reads the database or
the clock.

The rules, in the words of the procedures (docs/domain.md decisions 7 to 13, STYLE.md
section 6). A stage's ``authority.involves`` says which sides take part at it; nobody
on a side that no stage so far has involved hears anything (decision 13: at Devon's
and Greenwich's stage 1 the worker talks to their own supervisor, and the other agency
is not yet told).

* Raising: on each side the first stage involves, its practitioner (the counterpart,
  on the challenged side) and the next rung above them (their line manager); plus
  whoever acts at, or is named by, the stage the escalation starts at (a route may
  start above stage 1).
* Immediate risk: the raiser's designated safeguarding lead, at once.
* Entering a stage, or returning to one when an escalation is reopened: the people on
  that stage's rung (``StageRule.ladder_role``) in every party agency on the sides it
  involves, and whoever its ``on_entry`` actions name (business manager, chair,
  executive, independent scrutineer, the board members for each agency; the
  Escalation Notification Form goes to the business manager); the business manager
  always hears at the final stage. And feedback to every party (decision 12): the
  raiser, the named practitioners, everyone who took part so far, and the acting rung
  (``PolicyRules.acting_rung``) of every earlier stage on the sides it involved.
* An outcome (resolved, withdrawn, final decision): the same parties, the raiser
  included, with the current stage's acting rung, plus whoever the stage's
  ``on_outcome`` actions name. This is the written confirmation the procedures
  require, so the person who recorded the outcome receives it too.
* A proposed resolution: the acting rung of each party agency on the stage's sides
  that has not yet agreed it (decision 8).
* Reminders: whoever must act at the stage on the sides it involves, before and on
  the due day; once it is overdue, them and the next rung above each of them.

Someone is reached by walking up a party's line of management (``Person.line_manager``)
to the first active person on or above the rung wanted. Only when that walk runs
out does a message go to everyone on that rung in the agency, and a practitioner
is only ever reached by name: without a named practitioner the agency's line
managers hear instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from escalate.domain.calendar import WorkingCalendar
from escalate.domain.policy import (
    LADDER_ORDER,
    Agreement,
    LadderRole,
    PartnershipRole,
    PolicyRules,
    Sides,
    StageAction,
    StageRule,
)


class Occasion(StrEnum):
    """What happened, or what falls due, that someone must hear about."""

    RAISED = "raised"
    STAGE_ENTERED = "stage_entered"
    REOPENED = "reopened"
    OUTCOME = "outcome"
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    ACTION_DUE_SOON = "action_due_soon"
    ACTION_DUE_TODAY = "action_due_today"
    CHECK_BACK = "check_back"


class Reason(StrEnum):
    """Why one person hears; shown to them in the message."""

    COUNTERPART = "counterpart"
    LINE_MANAGER = "line_manager"
    ACTS_AT_STAGE = "acts_at_stage"
    NEXT_RUNG = "next_rung"
    SAFEGUARDING_LEAD = "safeguarding_lead"
    PARTY = "party"
    BUSINESS_MANAGER = "business_manager"
    NOTIFICATION_FORM = "notification_form"
    OUTCOME_TO_BUSINESS_MANAGER = "outcome_to_business_manager"
    CHAIR = "chair"
    EXECUTIVE = "executive"
    INDEPENDENT_SCRUTINEER = "independent_scrutineer"
    BOARD_MEMBER = "board_member"
    BOARD_SUBGROUP = "board_subgroup"
    POLICY_GAPS = "policy_gaps"
    ACTION_OWNER = "action_owner"
    CHECKS_BACK = "checks_back"
    FEEDBACK = "feedback"
    NOW_INVOLVED = "now_involved"
    CONFIRMS_RESOLUTION = "confirms_resolution"
    APPOINTED = "appointed"
    SUCCESSOR = "successor"
    LEAVER_WORK = "leaver_work"


REASON_LABELS: dict[Reason, str] = {
    Reason.COUNTERPART: "You are the practitioner in the other agency.",
    Reason.LINE_MANAGER: "You are the next rung of the ladder above one of the practitioners.",
    Reason.ACTS_AT_STAGE: "You act for your agency at this stage.",
    Reason.NEXT_RUNG: "You are the next rung of the ladder above someone who must act.",
    Reason.SAFEGUARDING_LEAD: "You are the designated safeguarding lead in the raiser's agency, "
    "and a child or adult may be at immediate risk.",
    Reason.PARTY: "You are a party to this escalation: this is the written confirmation "
    "of its outcome.",
    Reason.BUSINESS_MANAGER: "The procedure asks that the partnership's business manager "
    "is notified at this stage.",
    Reason.NOTIFICATION_FORM: "The procedure sends the Escalation Notification Form to the "
    "partnership at this stage.",
    Reason.OUTCOME_TO_BUSINESS_MANAGER: "The procedure asks that the business manager is told "
    "the outcome of this stage.",
    Reason.CHAIR: "The procedure asks that the partnership's chair is notified.",
    Reason.EXECUTIVE: "The procedure asks that the partnership's executive is notified.",
    Reason.INDEPENDENT_SCRUTINEER: "The procedure asks that the independent scrutineer "
    "is notified.",
    Reason.BOARD_MEMBER: "You represent your agency on the board, and the procedure asks "
    "that the board members for each agency are informed.",
    Reason.BOARD_SUBGROUP: "The procedure asks that the issues are reported to the board's "
    "scrutiny subgroup.",
    Reason.POLICY_GAPS: "The procedure asks that any gaps in policy are brought to the chair.",
    Reason.ACTION_OWNER: "You own this agreed action.",
    Reason.CHECKS_BACK: "You raised the escalation, so you check back that the agreed "
    "actions were done.",
    Reason.FEEDBACK: "You are a party to this escalation (you raised it, are named on it, "
    "or your agency has acted on it so far), and the procedure gives every party feedback "
    "at every stage.",
    Reason.NOW_INVOLVED: "Your agency takes part from this stage: until now the agency that "
    "raised it was talking it through within its own line of management, as the procedure "
    "asks.",
    Reason.CONFIRMS_RESOLUTION: "You act for your agency at this stage, and the resolution "
    "is agreed only once your agency confirms it.",
    Reason.APPOINTED: "You have been appointed to the final stage of this escalation.",
    Reason.SUCCESSOR: "You were named to take over the open work of someone who has left.",
    Reason.LEAVER_WORK: "You are the partnership's business manager, and someone named on "
    "this escalation has left with nobody named to take their place.",
}

# Actions that name a partnership role, and why its holders hear.
_ACTION_ROLES: dict[StageAction, tuple[PartnershipRole, Reason]] = {
    StageAction.NOTIFY_BUSINESS_MANAGER: (
        PartnershipRole.BUSINESS_MANAGER,
        Reason.BUSINESS_MANAGER,
    ),
    StageAction.INFORM_BUSINESS_MANAGER_OF_OUTCOME: (
        PartnershipRole.BUSINESS_MANAGER,
        Reason.OUTCOME_TO_BUSINESS_MANAGER,
    ),
    StageAction.SEND_NOTIFICATION_FORM: (
        PartnershipRole.BUSINESS_MANAGER,
        Reason.NOTIFICATION_FORM,
    ),
    StageAction.UPDATE_NOTIFICATION_FORM: (
        PartnershipRole.BUSINESS_MANAGER,
        Reason.NOTIFICATION_FORM,
    ),
    StageAction.NOTIFY_CHAIR: (PartnershipRole.CHAIR, Reason.CHAIR),
    StageAction.NOTIFY_EXECUTIVE: (PartnershipRole.EXECUTIVE_MEMBER, Reason.EXECUTIVE),
    StageAction.NOTIFY_INDEPENDENT_SCRUTINEER: (
        PartnershipRole.INDEPENDENT_SCRUTINEER,
        Reason.INDEPENDENT_SCRUTINEER,
    ),
    # The business manager supports the board's subgroups and keeps the register.
    StageAction.REPORT_TO_BOARD_SUBGROUP: (
        PartnershipRole.BUSINESS_MANAGER,
        Reason.BOARD_SUBGROUP,
    ),
    StageAction.REPORT_POLICY_GAPS_TO_CHAIR: (PartnershipRole.CHAIR, Reason.POLICY_GAPS),
}

URGENT_OCCASIONS = frozenset({Occasion.OVERDUE})
"""Occasions never held back for a daily digest (immediate risk is urgent too)."""


@dataclass(frozen=True)
class Rung:
    """One person on a line of management."""

    person_id: int
    role: LadderRole | None
    is_active: bool = True


@dataclass(frozen=True)
class Side:
    """One party agency in the disagreement, as far as reaching its people goes."""

    agency_id: int
    party: Rung | None
    """The agency's named practitioner: the raiser for the raising agency, the counterpart
    for the challenged one (None when nobody was named)."""
    managers: tuple[Rung, ...] = ()
    """The party's line manager, then theirs, and so on up."""
    by_rung: Mapping[LadderRole, tuple[int, ...]] = field(default_factory=dict)
    """The agency's active people on each rung, for when the walk up runs out."""
    on: Sides = Sides.RAISING
    """Which side of the disagreement the agency is on: ``RAISING`` or ``CHALLENGED``."""
    named: frozenset[int] = frozenset()
    """The agency's other people on the record so far: those who recorded a contact, made a
    move or own an agreed action, and a named practitioner who is not ``party``."""

    def __post_init__(self) -> None:
        if self.on is Sides.BOTH:
            raise ValueError("An agency is on the raising side or the challenged side.")

    @property
    def chain(self) -> tuple[Rung, ...]:
        return ((self.party,) if self.party else ()) + self.managers


@dataclass(frozen=True)
class Parties:
    sides: tuple[Side, ...]
    """Every party agency: the raising agency first (its ``party`` is the raiser), then the
    others in the order they joined, on either side."""
    partnership: Mapping[PartnershipRole, tuple[int, ...]] = field(default_factory=dict)
    """Who holds each partnership role."""
    involved: frozenset[int] = frozenset()
    """Others named on the record who act for no party agency: panel members and the
    meeting's chair, partnership people who took part."""

    def __post_init__(self) -> None:
        if not self.sides or self.sides[0].on is not Sides.RAISING:
            raise ValueError("The raising agency's side comes first.")

    @property
    def raising(self) -> Side:
        """The raising agency, whose practitioner raised the escalation."""
        return self.sides[0]

    def on(self, sides: Sides) -> tuple[Side, ...]:
        """The party agencies on ``sides``."""
        return tuple(side for side in self.sides if sides.includes(side.on))


@dataclass(frozen=True)
class Recipient:
    person_id: int
    reasons: tuple[Reason, ...]


def recipients_for(
    occasion: Occasion,
    rules: PolicyRules,
    *,
    stage_number: int,
    parties: Parties,
    actor_id: int | None = None,
    immediate_risk: bool = False,
    stages_so_far: Iterable[int] = (),
) -> tuple[Recipient, ...]:
    """Who hears about ``occasion`` at stage ``stage_number``, each once, with every reason.

    ``stages_so_far`` lists every stage the escalation has been at, the current one
    included (a stage it was reopened at appears again); left empty, the escalation has
    been at its current stage only, as one just raised has. The actor, who caused the
    occasion, is left out, except from an outcome: that is the written confirmation
    every party receives.
    """
    history = _History.of(rules, stage_number, stages_so_far)
    found = _Found()
    if occasion is Occasion.RAISED:
        _raised(found, parties, history=history, immediate_risk=immediate_risk)
    elif occasion in {Occasion.STAGE_ENTERED, Occasion.REOPENED}:
        _entered(found, parties, history=history)
        _newly_involved(found, parties, history=history)
        _feedback(
            found,
            parties,
            history=history,
            reason=Reason.FEEDBACK,
            current_rung=history.stage.ladder_role is None,
        )
    elif occasion is Occasion.OUTCOME:
        _outcome(found, parties, history=history)
    elif occasion in _ACTION_OCCASIONS:
        raise ValueError("Reminders about an agreed action come from action_recipients().")
    else:
        _deadline(found, parties, stage=history.stage, overdue=occasion is Occasion.OVERDUE)
    skip = None if occasion is Occasion.OUTCOME else actor_id
    return found.recipients(skip=skip)


def proposal_recipients(
    rules: PolicyRules,
    *,
    stage_number: int,
    parties: Parties,
    agreed_by: Iterable[int],
    actor_id: int | None = None,
) -> tuple[Recipient, ...]:
    """Who must confirm a proposed resolution: the acting rung of each party agency on the
    stage's sides that has not agreed it yet (docs/domain.md decision 8); nobody where
    recording it ends the stage (``Agreement.RECORDING_SIDE``).
    """
    stage = rules.stage(stage_number)
    if stage.authority.agreement is Agreement.RECORDING_SIDE:
        return ()
    agreed = frozenset(agreed_by)
    rung = rules.acting_rung(stage_number)
    found = _Found()
    for side in parties.on(stage.authority.involves):
        if side.agency_id not in agreed:
            found.add(acting_rung_holders(side, rung), Reason.CONFIRMS_RESOLUTION)
    return found.recipients(skip=actor_id)


def action_recipients(
    occasion: Occasion, *, owner: Rung, parties: Parties
) -> tuple[Recipient, ...]:
    """Reminders about an agreed action: its owner before and on the day it is due; once
    it is past due and not checked back, the raiser, who checks back (Worcestershire's
    "check back that agreed actions were completed"), or the next rung above them if
    they have left.
    """
    found = _Found()
    if occasion is Occasion.CHECK_BACK:
        raiser = parties.raising.party
        if raiser is not None and raiser.is_active:
            found.add((raiser.person_id,), Reason.CHECKS_BACK)
        elif raiser is not None:
            found.add(next_rung_above(parties.raising, raiser.person_id), Reason.CHECKS_BACK)
    elif occasion in _ACTION_OCCASIONS and owner.is_active:
        found.add((owner.person_id,), Reason.ACTION_OWNER)
    elif occasion not in _ACTION_OCCASIONS:
        raise ValueError(f"{occasion} is not a reminder about an agreed action.")
    return found.recipients(skip=None)


def acting_rung_holders(side: Side, rung: LadderRole) -> tuple[int, ...]:
    """Who acts for ``side`` on ``rung``: the first active person on or above it up the line.

    When the line runs out, everyone on that rung in the agency (never every
    practitioner: then the agency's line managers), or failing that the next rung up.
    """
    wanted = _rank(rung)
    for member in side.chain:
        if member.is_active and member.role is not None and _rank(member.role) >= wanted:
            return (member.person_id,)
    start = max(wanted, _rank(LadderRole.LINE_MANAGER))
    for role in LADDER_ORDER[start:]:
        people = side.by_rung.get(role, ())
        if people:
            return tuple(people)
    return ()


def next_rung_above(side: Side, person_id: int, role: LadderRole | None = None) -> tuple[int, ...]:
    """The next rung above ``person_id`` in their agency.

    The first active person above them on the line of management; when the line
    runs out, or ``person_id`` is not on it (reached through the agency's rung
    lists), everyone on the next rung above ``role`` (their own rung by default)
    that has anyone on it.
    """
    chain = side.chain
    ids = [member.person_id for member in chain]
    if person_id in ids:
        index = ids.index(person_id)
        for member in chain[index + 1 :]:
            if member.is_active:
                return (member.person_id,)
        role = chain[index].role or role
    if role is None:
        return ()
    for higher in LADDER_ORDER[_rank(role) + 1 :]:
        people = tuple(p for p in side.by_rung.get(higher, ()) if p != person_id)
        if people:
            return people
    return ()


@dataclass(frozen=True)
class ReminderWindow:
    """The due dates that call for a reminder today, on one partnership calendar.

    ``due_soon``: due after today and no later than ``soon_until``, the day
    ``working_days_before`` working days ahead; ``due_today``; ``overdue``:
    due before today. A reminder missed while no sweep ran is still sent while it
    is true; one overtaken (the due day passed) gives way to the later notice.
    """

    today: date
    soon_until: date

    def occasion_for(self, due_on: date) -> Occasion | None:
        """The stage reminder a due date calls for today, if any."""
        if due_on < self.today:
            return Occasion.OVERDUE
        if due_on == self.today:
            return Occasion.DUE_TODAY
        if due_on <= self.soon_until:
            return Occasion.DUE_SOON
        return None

    def action_occasion_for(self, due_on: date) -> Occasion | None:
        """The agreed-action reminder a due date calls for today, if any."""
        stage_occasion = self.occasion_for(due_on)
        return _ACTION_EQUIVALENT.get(stage_occasion) if stage_occasion else None


def reminder_window(
    *, today: date, calendar: WorkingCalendar, working_days_before: int
) -> ReminderWindow:
    """The thresholds once per calendar, so a sweep can filter due dates in the database."""
    if working_days_before < 1:
        raise ValueError("Reminders come at least one working day before the due date.")
    return ReminderWindow(
        today=today, soon_until=calendar.add_working_days(today, working_days_before)
    )


# --- the rules, one function per occasion ------------------------------------------------


class _Found:
    """Recipients in the order found, each with every reason they hear."""

    def __init__(self) -> None:
        self._reasons: dict[int, list[Reason]] = {}

    def add(self, people: Iterable[int], reason: Reason) -> None:
        for person_id in people:
            reasons = self._reasons.setdefault(person_id, [])
            if reason not in reasons:
                reasons.append(reason)

    def recipients(self, *, skip: int | None) -> tuple[Recipient, ...]:
        return tuple(
            Recipient(person_id, tuple(reasons))
            for person_id, reasons in self._reasons.items()
            if person_id != skip
        )


@dataclass(frozen=True)
class _History:
    """The current stage and the other stages the escalation has been at, first entry first."""

    rules: PolicyRules
    stage: StageRule
    earlier: tuple[StageRule, ...]

    @classmethod
    def of(cls, rules: PolicyRules, stage_number: int, stages_so_far: Iterable[int]) -> _History:
        earlier: list[StageRule] = []
        for number in stages_so_far:
            if number != stage_number and all(s.number != number for s in earlier):
                earlier.append(rules.stage(number))
        return cls(rules=rules, stage=rules.stage(stage_number), earlier=tuple(earlier))

    def involves_now(self, side: Side) -> bool:
        return self.stage.authority.involves.includes(side.on)

    def involved_before(self, side: Side) -> bool:
        return any(stage.authority.involves.includes(side.on) for stage in self.earlier)

    def involved_so_far(self, side: Side) -> bool:
        return self.involves_now(side) or self.involved_before(side)

    def now(self, parties: Parties) -> tuple[Side, ...]:
        """The party agencies on the sides the current stage involves."""
        return parties.on(self.stage.authority.involves)


def _raised(found: _Found, parties: Parties, *, history: _History, immediate_risk: bool) -> None:
    if immediate_risk:
        found.add(
            acting_rung_holders(parties.raising, LadderRole.SAFEGUARDING_LEAD),
            Reason.SAFEGUARDING_LEAD,
        )
    for side in history.now(parties):
        if side is not parties.raising and side.party is not None and side.party.is_active:
            reason = Reason.COUNTERPART if side.on is Sides.CHALLENGED else Reason.FEEDBACK
            found.add((side.party.person_id,), reason)
    for side in history.now(parties):
        found.add(_line_managers(side), Reason.LINE_MANAGER)
    _entered(found, parties, history=history)


def _line_managers(side: Side) -> tuple[int, ...]:
    if side.party is not None:
        above = next_rung_above(side, side.party.person_id)
        if above:
            return above
    return acting_rung_holders(
        Side(agency_id=side.agency_id, party=None, by_rung=side.by_rung, on=side.on),
        LadderRole.LINE_MANAGER,
    )


def _entered(found: _Found, parties: Parties, *, history: _History) -> None:
    stage = history.stage
    if stage.ladder_role is not None:
        for side in history.now(parties):
            found.add(acting_rung_holders(side, stage.ladder_role), Reason.ACTS_AT_STAGE)
    _named_by(found, parties, stage.on_entry, sides=history.now(parties))
    if stage.number == history.rules.final_stage.number:
        found.add(_holders(parties, PartnershipRole.BUSINESS_MANAGER), Reason.BUSINESS_MANAGER)


def _feedback(
    found: _Found, parties: Parties, *, history: _History, reason: Reason, current_rung: bool
) -> None:
    """Every party (docs/domain.md decision 12), on the sides involved so far and no others.

    The raiser; each party agency's named practitioner and its people who took part; the
    acting rung of every earlier stage on the sides that stage involved, and with
    ``current_rung`` the current stage's too; the others named on the record.
    """
    rules = history.rules
    raiser = parties.raising.party
    if raiser is not None and raiser.is_active:
        found.add((raiser.person_id,), reason)
    for side in parties.sides:
        if not history.involved_so_far(side):
            continue
        if side.party is not None and side.party.is_active:
            found.add((side.party.person_id,), reason)
        found.add(sorted(side.named), reason)
        for earlier in history.earlier:
            if earlier.authority.involves.includes(side.on):
                found.add(acting_rung_holders(side, rules.acting_rung(earlier.number)), reason)
        if current_rung and history.involves_now(side):
            found.add(acting_rung_holders(side, rules.acting_rung(history.stage.number)), reason)
    found.add(sorted(parties.involved), reason)


def _newly_involved(found: _Found, parties: Parties, *, history: _History) -> None:
    """A side the earlier stages left out (decision 13) hears why it hears only now."""
    if not history.earlier:
        return
    rung = history.rules.acting_rung(history.stage.number)
    for side in history.now(parties):
        if history.involved_before(side):
            continue
        if side.party is not None and side.party.is_active:
            found.add((side.party.person_id,), Reason.NOW_INVOLVED)
        found.add(acting_rung_holders(side, rung), Reason.NOW_INVOLVED)


def _named_by(
    found: _Found, parties: Parties, actions: tuple[StageAction, ...], *, sides: tuple[Side, ...]
) -> None:
    for action in actions:
        if action is StageAction.NOTIFY_BOARD_MEMBERS:
            found.add(_board_members(sides), Reason.BOARD_MEMBER)
        elif action in _ACTION_ROLES:
            role, reason = _ACTION_ROLES[action]
            found.add(_holders(parties, role), reason)


def _board_members(sides: Iterable[Side]) -> tuple[int, ...]:
    """Each agency's most senior rung: the top of the party's line, or its directors."""
    top = LadderRole.ASSISTANT_DIRECTOR
    members: list[int] = []
    for side in sides:
        members.extend(acting_rung_holders(side, top))
    return tuple(members)


def _outcome(found: _Found, parties: Parties, *, history: _History) -> None:
    stage = history.stage
    _feedback(found, parties, history=history, reason=Reason.PARTY, current_rung=True)
    if stage.ladder_role is None:  # a partnership stage: those it named took part
        _named_by(found, parties, stage.on_entry, sides=history.now(parties))
    _named_by(found, parties, stage.on_outcome, sides=history.now(parties))


def _deadline(found: _Found, parties: Parties, *, stage: StageRule, overdue: bool) -> None:
    if stage.ladder_role is None:
        actors = _partnership_actors(parties, stage)
        found.add(actors, Reason.ACTS_AT_STAGE)
        if overdue:
            found.add(_holders(parties, PartnershipRole.CHAIR), Reason.NEXT_RUNG)
            found.add(_holders(parties, PartnershipRole.BUSINESS_MANAGER), Reason.NEXT_RUNG)
        return
    for side in parties.on(stage.authority.involves):
        actors = acting_rung_holders(side, stage.ladder_role)
        found.add(actors, Reason.ACTS_AT_STAGE)
        if overdue:
            for actor in actors:
                found.add(next_rung_above(side, actor, stage.ladder_role), Reason.NEXT_RUNG)


def _partnership_actors(parties: Parties, stage: StageRule) -> tuple[int, ...]:
    named: list[int] = []
    for action in stage.on_entry:
        if action in _ACTION_ROLES and action not in _FORM_ACTIONS:
            named.extend(_holders(parties, _ACTION_ROLES[action][0]))
    return tuple(named) or _holders(parties, PartnershipRole.BUSINESS_MANAGER)


_ACTION_OCCASIONS = frozenset(
    {Occasion.ACTION_DUE_SOON, Occasion.ACTION_DUE_TODAY, Occasion.CHECK_BACK}
)
_ACTION_EQUIVALENT = {
    Occasion.DUE_SOON: Occasion.ACTION_DUE_SOON,
    Occasion.DUE_TODAY: Occasion.ACTION_DUE_TODAY,
    Occasion.OVERDUE: Occasion.CHECK_BACK,
}
_FORM_ACTIONS = frozenset(
    {StageAction.SEND_NOTIFICATION_FORM, StageAction.UPDATE_NOTIFICATION_FORM}
)


def _holders(parties: Parties, role: PartnershipRole) -> tuple[int, ...]:
    return tuple(parties.partnership.get(role, ()))


def _rank(role: LadderRole) -> int:
    return LADDER_ORDER.index(role)
