"""The stage machine: which moves are legal, and where each leaves an escalation.

Functions take immutable facts and return a decision; they never save anything.
A refusal carries a sentence a practitioner can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from escalate.domain.calendar import WorkingCalendar
from escalate.domain.deadlines import due_on
from escalate.domain.policy import ChecklistItem, PolicyRules, StageRule
from escalate.domain.starts import StartRefused, starting_stage


class Status(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class StageOutcome(StrEnum):
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"


class DeadlineState(StrEnum):
    NO_DEADLINE = "no_deadline"
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"


class TransitionRefused(Exception):
    """The move is not allowed; ``str(error)`` is a sentence for the person who tried."""


@dataclass(frozen=True)
class CaseFacts:
    status: Status
    stage_number: int
    raised_on: date
    immediate_risk: bool = False


@dataclass(frozen=True)
class StageChange:
    stage: StageRule
    entered_on: date
    due_on: date | None


def start(
    rules: PolicyRules,
    *,
    raised_on: date,
    calendar: WorkingCalendar,
    immediate_risk: bool = False,
    start_at: int | None = None,
    route_key: str | None = None,
) -> StageChange:
    """Where a new escalation starts, and when its first stage is due."""
    number = _start_number(
        rules, immediate_risk=immediate_risk, start_at=start_at, route_key=route_key
    )
    stage = rules.stage(number)
    if immediate_risk and rules.immediate_risk.first_action_same_day:
        return StageChange(stage, raised_on, raised_on)
    return StageChange(
        stage,
        raised_on,
        due_on(stage.deadline, raised_on=raised_on, entered_on=raised_on, calendar=calendar),
    )


def _start_number(
    rules: PolicyRules, *, immediate_risk: bool, start_at: int | None, route_key: str | None
) -> int:
    try:
        return starting_stage(
            rules, immediate_risk=immediate_risk, start_at=start_at, route_key=route_key
        )
    except StartRefused as refusal:
        raise TransitionRefused(str(refusal)) from None


def escalate(
    case: CaseFacts, rules: PolicyRules, *, today: date, calendar: WorkingCalendar
) -> StageChange:
    """Move an open escalation to the next stage, entered today."""
    _ensure_open(case)
    target = rules.next_after(case.stage_number)
    if target is None:
        raise TransitionRefused("This escalation is already at its final stage.")
    return StageChange(
        target,
        today,
        due_on(target.deadline, raised_on=case.raised_on, entered_on=today, calendar=calendar),
    )


def resolve(case: CaseFacts) -> Status:
    _ensure_open(case)
    return Status.RESOLVED


def withdraw(case: CaseFacts) -> Status:
    _ensure_open(case)
    return Status.WITHDRAWN


def close(case: CaseFacts, *, outstanding: list[ChecklistItem]) -> Status:
    """Close a resolved escalation once every checklist item is done or explained."""
    if case.status is not Status.RESOLVED:
        raise TransitionRefused("Only a resolved escalation can be closed.")
    if outstanding:
        raise TransitionRefused(
            f"{len(outstanding)} checklist item(s) are neither done nor explained; "
            "tick each one or say why it was not done."
        )
    return Status.CLOSED


def _ensure_open(case: CaseFacts) -> None:
    if case.status is not Status.OPEN:
        raise TransitionRefused(
            f"This escalation is {case.status.value}; only an open one can change stage."
        )


def deadline_state(
    due: date | None, *, today: date, calendar: WorkingCalendar, soon_working_days: int = 1
) -> DeadlineState:
    """How close a due date is, in working days, for flags and reminders."""
    if due is None:
        return DeadlineState.NO_DEADLINE
    if today > due:
        return DeadlineState.OVERDUE
    if today == due:
        return DeadlineState.DUE_TODAY
    if calendar.working_days_between(today, due) <= soon_working_days:
        return DeadlineState.DUE_SOON
    return DeadlineState.ON_TRACK
