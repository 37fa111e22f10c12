"""Due dates for stages and for the whole procedure, from a policy's deadline rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from escalate.domain.calendar import WorkingCalendar
from escalate.domain.policy import DeadlineKind, DeadlineRule, PolicyRules
from escalate.domain.starts import StartRefused, starting_stage


class TimelineRefused(ValueError):
    """The timeline cannot start where it was asked to; the message says why."""


def due_on(
    rule: DeadlineRule, *, raised_on: date, entered_on: date | None, calendar: WorkingCalendar
) -> date | None:
    """The due date a deadline rule gives, or None when it gives none.

    A "within N working days" rule needs the day the stage was entered; without
    it there is no honest date to give.
    """
    if rule.kind is DeadlineKind.BY_WORKING_DAY:
        assert rule.days is not None
        return calendar.working_day_of_procedure(raised_on, rule.days)
    if rule.kind is DeadlineKind.WITHIN_WORKING_DAYS and entered_on is not None:
        assert rule.days is not None
        return calendar.add_working_days(entered_on, rule.days)
    return None


@dataclass(frozen=True)
class TimelineStage:
    number: int
    name: str
    entered_on: date | None
    due_on: date | None


@dataclass(frozen=True)
class Timeline:
    raised_on: date
    stages: tuple[TimelineStage, ...]
    target_due_on: date | None


def timeline(
    rules: PolicyRules,
    *,
    raised_on: date,
    calendar: WorkingCalendar,
    immediate_risk: bool = False,
    start_at: int | None = None,
    route_key: str | None = None,
) -> Timeline:
    """Each stage's due date, assuming each is entered on the day the previous falls due.

    Immediate risk makes the first action due the day the disagreement is raised
    (docs/domain.md decision 5) and allows only the stages the policy names as starts.
    """
    first_number = _starting_stage(
        rules, immediate_risk=immediate_risk, start_at=start_at, route_key=route_key
    )
    calendar.is_working_day(raised_on)  # refuses a date outside the calendar, for every policy
    entered_on: date | None = raised_on
    stages: list[TimelineStage] = []
    for stage in rules.stages:
        if stage.number < first_number:
            continue
        is_first = not stages
        stage_due: date | None
        if is_first and immediate_risk and rules.immediate_risk.first_action_same_day:
            stage_due = raised_on
        else:
            stage_due = due_on(
                stage.deadline, raised_on=raised_on, entered_on=entered_on, calendar=calendar
            )
        stages.append(TimelineStage(stage.number, stage.name, entered_on, stage_due))
        entered_on = stage_due
    target = due_on(rules.target, raised_on=raised_on, entered_on=None, calendar=calendar)
    return Timeline(raised_on=raised_on, stages=tuple(stages), target_due_on=target)


def _starting_stage(
    rules: PolicyRules, *, immediate_risk: bool, start_at: int | None, route_key: str | None
) -> int:
    if start_at is None and route_key is None and immediate_risk:
        return min(rules.immediate_risk.may_start_at)
    try:
        return starting_stage(
            rules, immediate_risk=immediate_risk, start_at=start_at, route_key=route_key
        )
    except StartRefused as refusal:
        raise TimelineRefused(str(refusal)) from None
