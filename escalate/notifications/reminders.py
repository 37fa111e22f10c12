"""The deadline sweep: reminders derived from stored due dates, each sent once.

Nothing is scheduled ahead: each sweep asks the database which open stages and
agreed actions call for a reminder today and have not had it, so a sweep that did
not run for a day (a worker down) catches up, and a second sweep finds nothing.

The selection is a fixed number of queries whatever the number of escalations:
the working-day thresholds are computed once per calendar (a nation's bank
holidays plus a partnership's closure days) with the domain calendar, then two
filtered queries per calendar (stages, agreed actions) return only the rows that
need a reminder now. Building the messages then reads the parties of those rows
in a few more queries (``facts.parties_for``): every party agency, of which only those
on the sides the stage involves are reminded (``domain.recipients``).

Reminders go out in working hours only (decision record 0019): a policy whose
partnership is outside its ``working_hours`` or not on a working day
(``domain.working_hours``) gets nothing from this sweep, except the same-day notices of
an escalation with immediate risk (due today or overdue), which are never held. What
was held is still true at the next sweep inside working hours, which writes it; the
idempotency keys keep it to once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from escalate.domain.policy import PolicyRules
from escalate.domain.recipients import (
    URGENT_OCCASIONS,
    Occasion,
    ReminderWindow,
    Rung,
    action_recipients,
    recipients_for,
    reminder_window,
)
from escalate.domain.working_hours import is_within_working_hours, uk_time
from escalate.escalations.clock import calendar_for, local_today
from escalate.escalations.models import AgreedAction, Escalation
from escalate.notifications.facts import CASE_ROW_FIELDS, CaseRow, parties_for
from escalate.notifications.models import Notification
from escalate.notifications.services import Planned, write
from escalate.policies.models import Policy

_CASE_FIELDS = (
    *CASE_ROW_FIELDS,
    "reference",
    "policy_id",
    "stage_number",
    "immediate_risk",
    "raising_agency__name",
    "other_agency__name",
)


@dataclass(frozen=True)
class CalendarGroup:
    """Policies that count working days on the same calendar, and their rules."""

    window: ReminderWindow
    rules: dict[int, PolicyRules]
    in_working_hours: frozenset[int] = frozenset()
    """The policies whose reminders may go out now; the others get same-day urgent ones only."""

    @property
    def out_of_hours(self) -> list[int]:
        return [pk for pk in self.rules if pk not in self.in_working_hours]


@dataclass(frozen=True)
class SweepResult:
    stage_rows: int
    action_rows: int
    notifications: int


def calendar_groups(
    *, today: date, working_days_before: int, now: datetime | None = None
) -> list[CalendarGroup]:
    """Every policy version, grouped by calendar, with that calendar's thresholds for today
    and which of the policies are in working hours ``now`` (without ``now``: which have
    ``today`` as a working day, a sweep "as on that day")."""
    grouped: dict[tuple[object, ...], dict[int, PolicyRules]] = defaultdict(dict)
    for policy in Policy.objects.only("pk", "sha256", "text").order_by():
        rules = policy.rules
        grouped[(rules.nation, rules.closure_days)][policy.pk] = rules
    groups = []
    for rules_by_policy in grouped.values():
        calendar = calendar_for(next(iter(rules_by_policy.values())))
        window = reminder_window(
            today=today, calendar=calendar, working_days_before=working_days_before
        )
        in_hours = frozenset(
            pk
            for pk, rules in rules_by_policy.items()
            if (
                calendar.is_working_day(today)
                if now is None
                else is_within_working_hours(now, hours=rules.working_hours, calendar=calendar)
            )
        )
        groups.append(
            CalendarGroup(window=window, rules=rules_by_policy, in_working_hours=in_hours)
        )
    return groups


def stages_needing_reminders(group: CalendarGroup) -> QuerySet[Escalation, dict[str, Any]]:
    """Open stages due by the window's end with no reminder of today's kind for that due date."""
    window = group.window
    occasion = Case(
        When(stage_due_on__lt=window.today, then=Value(Occasion.OVERDUE.value)),
        When(stage_due_on=window.today, then=Value(Occasion.DUE_TODAY.value)),
        default=Value(Occasion.DUE_SOON.value),
        output_field=CharField(),
    )
    already = Notification.objects.filter(
        escalation_id=OuterRef("pk"),
        kind=OuterRef("occasion"),
        stage_number=OuterRef("stage_number"),
        due_on=OuterRef("stage_due_on"),
    )
    # Outside working hours, only the same-day notices of an escalation with immediate risk.
    may_go = Q(policy_id__in=sorted(group.in_working_hours))
    if group.out_of_hours:
        may_go |= Q(
            policy_id__in=group.out_of_hours, immediate_risk=True, stage_due_on__lte=window.today
        )
    return (
        Escalation.objects.filter(
            may_go,
            status=Escalation.Status.OPEN,
            stage_due_on__lte=window.soon_until,
        )
        .annotate(occasion=occasion)
        .exclude(Exists(already))
        .order_by()
        .values(*_CASE_FIELDS, "stage_due_on", "occasion")
    )


def actions_needing_reminders(group: CalendarGroup) -> QuerySet[AgreedAction, dict[str, Any]]:
    """Agreed actions not yet checked back, due by the window's end, without today's reminder."""
    window = group.window
    occasion = Case(
        When(due_on__lt=window.today, then=Value(Occasion.CHECK_BACK.value)),
        When(due_on=window.today, then=Value(Occasion.ACTION_DUE_TODAY.value)),
        default=Value(Occasion.ACTION_DUE_SOON.value),
        output_field=CharField(),
    )
    already = Notification.objects.filter(
        agreed_action_id=OuterRef("pk"), kind=OuterRef("occasion"), due_on=OuterRef("due_on")
    )
    return (
        AgreedAction.objects.filter(
            implementation=AgreedAction.Implementation.PENDING,
            escalation__status=Escalation.Status.RESOLVED,
            escalation__policy_id__in=sorted(group.in_working_hours),
            due_on__lte=window.soon_until,
        )
        .annotate(occasion=occasion)
        .exclude(Exists(already))
        .order_by()
        .values(
            *(f"escalation__{field}" for field in _CASE_FIELDS),
            "pk",
            "owner_id",
            "owner__is_active",
            "due_on",
            "occasion",
        )
    )


def select_due(
    *, today: date, working_days_before: int, now: datetime | None = None
) -> tuple[list[CalendarGroup], list[dict[str, Any]], list[dict[str, Any]]]:
    """The sweep's selection alone: what needs a reminder today (the benchmark times this)."""
    groups = calendar_groups(today=today, working_days_before=working_days_before, now=now)
    stages: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for group in groups:
        stages.extend(stages_needing_reminders(group))
        actions.extend(actions_needing_reminders(group))
    return groups, stages, actions


def sweep_deadlines(
    *,
    now: datetime | None = None,
    today: date | None = None,
    working_days_before: int | None = None,
) -> SweepResult:
    """Write every reminder due today and not yet written, for each partnership in its
    working hours; queue them for after the commit.

    ``now`` is the moment whose working hours apply. Given ``today`` alone, the sweep runs
    as on that day within its working hours: only the day is checked (``--today``).
    Given neither, ``now`` is the clock.
    """
    if now is None and today is None:
        now = timezone.now()
    if today is None:
        today = uk_time(now).date() if now is not None else local_today()
    days = working_days_before or settings.NOTIFICATIONS_REMINDER_WORKING_DAYS
    with transaction.atomic():
        groups, stages, actions = select_due(today=today, working_days_before=days, now=now)
        rules = {pk: rules for group in groups for pk, rules in group.rules.items()}
        action_cases = [_unprefixed(row) for row in actions]
        parties = parties_for(
            [CaseRow.from_values(row) for row in [*stages, *action_cases]],
        )
        planned = [*_stage_plans(stages, rules, parties), *_action_plans(actions, rules, parties)]
        created = write(planned)
    return SweepResult(stage_rows=len(stages), action_rows=len(actions), notifications=len(created))


def _unprefixed(row: dict[str, Any]) -> dict[str, Any]:
    prefix = "escalation__"
    return {key.removeprefix(prefix): value for key, value in row.items() if key.startswith(prefix)}


def _context(case: dict[str, Any], rules: PolicyRules, due_on: date) -> dict[str, Any]:
    stage = rules.stage(case["stage_number"])
    return {
        "reference": case["reference"],
        "partnership": rules.partnership,
        "stage_number": stage.number,
        "stage_name": stage.name,
        "raising_agency": case["raising_agency__name"],
        "other_agency": case["other_agency__name"],
        "path": reverse("escalations:detail", kwargs={"pk": case["pk"]}),
        "due_on": due_on.isoformat(),
        "immediate_risk": case["immediate_risk"],
    }


def _stage_plans(
    rows: Sequence[dict[str, Any]], rules: dict[int, PolicyRules], parties: dict[Any, Any]
) -> list[Planned]:
    plans = []
    for row in rows:
        occasion = Occasion(row["occasion"])
        policy_rules = rules[row["policy_id"]]
        due_on = row["stage_due_on"]
        context = _context(row, policy_rules, due_on)
        for recipient in recipients_for(
            occasion, policy_rules, stage_number=row["stage_number"], parties=parties[row["pk"]]
        ):
            plans.append(
                Planned(
                    recipient=recipient,
                    kind=occasion.value,
                    key=f"{occasion.value}:{row['pk']}:stage{row['stage_number']}@{due_on}"
                    f":{recipient.person_id}",
                    escalation_id=row["pk"],
                    context=context,
                    is_urgent=row["immediate_risk"] or occasion in URGENT_OCCASIONS,
                    stage_number=row["stage_number"],
                    due_on=due_on,
                )
            )
    return plans


def _action_plans(
    rows: Sequence[dict[str, Any]], rules: dict[int, PolicyRules], parties: dict[Any, Any]
) -> list[Planned]:
    plans = []
    for row in rows:
        case = _unprefixed(row)
        occasion = Occasion(row["occasion"])
        due_on = row["due_on"]
        context = {**_context(case, rules[case["policy_id"]], due_on), "action": row["pk"]}
        owner = Rung(row["owner_id"], None, row["owner__is_active"])
        for recipient in action_recipients(occasion, owner=owner, parties=parties[case["pk"]]):
            plans.append(
                Planned(
                    recipient=recipient,
                    kind=occasion.value,
                    key=f"{occasion.value}:action{row['pk']}@{due_on}:{recipient.person_id}",
                    escalation_id=case["pk"],
                    context=context,
                    is_urgent=False,
                    stage_number=case["stage_number"],
                    due_on=due_on,
                    agreed_action_id=row["pk"],
                )
            )
    return plans
