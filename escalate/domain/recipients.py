"""Who must hear about an escalation, and when a reminder falls due, from the policy alone.

Pure: the caller gathers plain facts (each party's line of management, the
agencies' people per rung, the partnership's role holders) and gets back people
and the reasons they hear. Nothing here reads the database or the clock.

The rules, in the words of the procedures (DOMAIN.md, STYLE.md section 6):

* Raising: the other agency's practitioner (the counterpart) and both line
  managers, that is the next rung above each party; plus whoever acts at, or is
  named by, the stage the escalation starts at (a route may start above stage 1).
* Immediate risk: the raiser's designated safeguarding lead, at once.
* Entering a stage: the people on that stage's rung of the ladder in both
  agencies (``StageRule.ladder_role``), and whoever the stage's ``on_entry``
  actions name (business manager, chair, executive, independent scrutineer, the
  board members for each agency; the Escalation Notification Form goes to the
  business manager). The business manager always hears at the final stage.
* An outcome (resolved, withdrawn, final decision): every party, the raiser
  included, plus whoever the stage's ``on_outcome`` actions name. This is the
  written confirmation the procedures require, so the person who recorded the
  outcome receives it too.
* Reminders: whoever must act at the stage, before and on the due day; once it is
  overdue, them and the next rung above each of them in their agency.

Someone is reached by walking up a party's line of management (``Person.line_manager``)
to the first active person on or above the rung wanted. Only when that walk runs
out does a message go to everyone on that rung in the agency, and a practitioner
is only ever reached by name: without a counterpart the other agency's line
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
    LadderRole,
    PartnershipRole,
    PolicyRules,
    StageAction,
    StageRule,
)


class Occasion(StrEnum):
    """What happened, or what falls due, that someone must hear about."""

    RAISED = "raised"
    STAGE_ENTERED = "stage_entered"
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
    """One agency in the disagreement, as far as reaching its people goes."""

    agency_id: int
    party: Rung | None
    """The raiser, or the counterpart (None when the raiser named nobody)."""
    managers: tuple[Rung, ...] = ()
    """The party's line manager, then theirs, and so on up."""
    by_rung: Mapping[LadderRole, tuple[int, ...]] = field(default_factory=dict)
    """The agency's active people on each rung, for when the walk up runs out."""

    @property
    def chain(self) -> tuple[Rung, ...]:
        return ((self.party,) if self.party else ()) + self.managers


@dataclass(frozen=True)
class Parties:
    raising: Side
    other: Side
    partnership: Mapping[PartnershipRole, tuple[int, ...]] = field(default_factory=dict)
    """Who holds each partnership role."""
    involved: frozenset[int] = frozenset()
    """Others named on the record: people who took part, panel members, action owners."""

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.raising, self.other)


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
) -> tuple[Recipient, ...]:
    """Who hears about ``occasion`` at stage ``stage_number``, each once, with every reason.

    The actor, who caused the occasion, is left out, except from an outcome:
    that is the written confirmation every party receives.
    """
    stage = rules.stage(stage_number)
    found = _Found()
    if occasion is Occasion.RAISED:
        _raised(found, parties, stage=stage, rules=rules, immediate_risk=immediate_risk)
    elif occasion is Occasion.STAGE_ENTERED:
        _entered(found, parties, stage=stage, rules=rules)
    elif occasion is Occasion.OUTCOME:
        _outcome(found, parties, stage=stage)
    elif occasion in _ACTION_OCCASIONS:
        raise ValueError("Reminders about an agreed action come from action_recipients().")
    else:
        _deadline(found, parties, stage=stage, overdue=occasion is Occasion.OVERDUE)
    skip = None if occasion is Occasion.OUTCOME else actor_id
    return found.recipients(skip=skip)


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


def _raised(
    found: _Found, parties: Parties, *, stage: StageRule, rules: PolicyRules, immediate_risk: bool
) -> None:
    if immediate_risk:
        found.add(
            acting_rung_holders(parties.raising, LadderRole.SAFEGUARDING_LEAD),
            Reason.SAFEGUARDING_LEAD,
        )
    counterpart = parties.other.party
    if counterpart is not None and counterpart.is_active:
        found.add((counterpart.person_id,), Reason.COUNTERPART)
    for side in parties.sides:
        found.add(_line_managers(side), Reason.LINE_MANAGER)
    _entered(found, parties, stage=stage, rules=rules)


def _line_managers(side: Side) -> tuple[int, ...]:
    if side.party is not None:
        above = next_rung_above(side, side.party.person_id)
        if above:
            return above
    return acting_rung_holders(
        Side(agency_id=side.agency_id, party=None, by_rung=side.by_rung), LadderRole.LINE_MANAGER
    )


def _entered(found: _Found, parties: Parties, *, stage: StageRule, rules: PolicyRules) -> None:
    if stage.ladder_role is not None:
        for side in parties.sides:
            found.add(acting_rung_holders(side, stage.ladder_role), Reason.ACTS_AT_STAGE)
    _named_by(found, parties, stage.on_entry)
    if stage.number == rules.final_stage.number:
        found.add(_holders(parties, PartnershipRole.BUSINESS_MANAGER), Reason.BUSINESS_MANAGER)


def _named_by(found: _Found, parties: Parties, actions: tuple[StageAction, ...]) -> None:
    for action in actions:
        if action is StageAction.NOTIFY_BOARD_MEMBERS:
            found.add(_board_members(parties), Reason.BOARD_MEMBER)
        elif action in _ACTION_ROLES:
            role, reason = _ACTION_ROLES[action]
            found.add(_holders(parties, role), reason)


def _board_members(parties: Parties) -> tuple[int, ...]:
    """Each agency's most senior rung: the top of the party's line, or its directors."""
    top = LadderRole.ASSISTANT_DIRECTOR
    members: list[int] = []
    for side in parties.sides:
        members.extend(acting_rung_holders(side, top))
    return tuple(members)


def _outcome(found: _Found, parties: Parties, *, stage: StageRule) -> None:
    for side in parties.sides:
        if side.party is not None and side.party.is_active:
            found.add((side.party.person_id,), Reason.PARTY)
        if stage.ladder_role is not None:
            found.add(acting_rung_holders(side, stage.ladder_role), Reason.PARTY)
    found.add(sorted(parties.involved), Reason.PARTY)
    if stage.ladder_role is None:  # a partnership stage: those it named took part
        _named_by(found, parties, stage.on_entry)
    _named_by(found, parties, stage.on_outcome)


def _deadline(found: _Found, parties: Parties, *, stage: StageRule, overdue: bool) -> None:
    if stage.ladder_role is None:
        actors = _partnership_actors(parties, stage)
        found.add(actors, Reason.ACTS_AT_STAGE)
        if overdue:
            found.add(_holders(parties, PartnershipRole.CHAIR), Reason.NEXT_RUNG)
            found.add(_holders(parties, PartnershipRole.BUSINESS_MANAGER), Reason.NEXT_RUNG)
        return
    for side in parties.sides:
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
