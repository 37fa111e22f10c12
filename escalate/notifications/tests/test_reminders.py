"""The deadline sweep: reminders from stored due dates, across the Christmas bank holidays.

Worcestershire: stage 1 within 1 working day, stage 2 within 2. Raised Tue 22 Dec 2026
and escalated on Wed 23 Dec, stage 2 is due on Tue 29 Dec: Christmas Day (Fri 25) and
the substitute Boxing Day (Mon 28) are not working days, so "one working day before"
is Thu 24 Dec.

A reminder goes to whoever acts at the stage in every party agency on the sides the
stage involves, never to a side it does not involve yet (DOMAIN.md decision 13).
"""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate.domain.policy import LadderRole
from escalate.escalations import services as escalation_services
from escalate.escalations.models import AgreedAction, Escalation
from escalate.notifications.models import Notification
from escalate.notifications.reminders import sweep_deadlines
from escalate.notifications.tests.factories import Ladders, join, recipients_of, third_agency

pytestmark = pytest.mark.django_db

RAISED = date(2026, 12, 22)
ESCALATED = date(2026, 12, 23)
THURSDAY_24 = date(2026, 12, 24)
CHRISTMAS = date(2026, 12, 25)
DUE = date(2026, 12, 29)
DAY_AFTER = date(2026, 12, 30)


@pytest.fixture
def worcs() -> Ladders:
    return Ladders("worcestershire")


def at_stage_2(ladders: Ladders) -> Escalation:
    escalation = ladders.raise_(today=RAISED)
    escalation = escalation_services.escalate_stage(
        escalation=escalation, actor=ladders.teacher, reason="No agreement.", today=ESCALATED
    )
    assert escalation.stage_due_on == DUE
    Notification.objects.all().delete()  # only the reminders below
    return escalation


def kinds() -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.values_list("kind", "recipient__name").order_by("kind", "recipient")
    )


def test_the_reminder_comes_one_working_day_before_across_christmas(worcs: Ladders) -> None:
    escalation = at_stage_2(worcs)

    assert sweep_deadlines(today=ESCALATED).notifications == 0
    result = sweep_deadlines(today=THURSDAY_24)

    assert result.notifications == 2
    assert recipients_of(Notification.Kind.DUE_SOON, escalation) == worcs.rung(
        LadderRole.LINE_MANAGER
    )
    row = Notification.objects.filter(kind=Notification.Kind.DUE_SOON).first()
    assert row is not None
    assert (row.due_on, row.stage_number, row.is_urgent) == (DUE, 2, False)


def test_sweeping_twice_writes_each_reminder_once(worcs: Ladders) -> None:
    at_stage_2(worcs)

    first = sweep_deadlines(today=THURSDAY_24)
    second = sweep_deadlines(today=THURSDAY_24)

    assert (first.notifications, second.notifications) == (2, 0)
    assert (second.stage_rows, second.action_rows) == (0, 0)  # not even selected again
    assert Notification.objects.count() == 2


def test_a_sweep_that_missed_a_day_catches_up_once(worcs: Ladders) -> None:
    at_stage_2(worcs)  # no sweep ran on Thursday 24th: the worker was down

    assert sweep_deadlines(today=CHRISTMAS).notifications == 2
    assert sweep_deadlines(today=date(2026, 12, 28)).notifications == 0
    assert Notification.objects.filter(kind=Notification.Kind.DUE_SOON).count() == 2


def test_on_the_day_and_then_overdue_to_the_next_rung(worcs: Ladders) -> None:
    escalation = at_stage_2(worcs)

    sweep_deadlines(today=DUE)
    sweep_deadlines(today=DAY_AFTER)
    sweep_deadlines(today=date(2026, 12, 31))

    assert recipients_of(Notification.Kind.DUE_TODAY, escalation) == worcs.rung(
        LadderRole.LINE_MANAGER
    )
    overdue = Notification.objects.filter(kind=Notification.Kind.OVERDUE)
    assert {row.recipient for row in overdue} == worcs.rung(LadderRole.LINE_MANAGER) | worcs.rung(
        LadderRole.SAFEGUARDING_LEAD
    )
    assert all(row.is_urgent for row in overdue)


def test_a_new_stage_gets_its_own_reminders(worcs: Ladders) -> None:
    escalation = at_stage_2(worcs)
    sweep_deadlines(today=DAY_AFTER)

    worcs.escalate(escalation, today=DAY_AFTER)

    # Stage 3 has no fixed timescale: nothing more falls due.
    assert sweep_deadlines(today=date(2027, 1, 4)).notifications == 0


def test_agreed_actions_remind_the_owner_then_the_raiser_checks_back(worcs: Ladders) -> None:
    escalation = worcs.raise_(today=RAISED)
    owner = worcs.care_people[LadderRole.LINE_MANAGER]
    worcs.resolve(
        escalation,
        actions=[escalation_services.AgreedActionDetails("Visit.", owner=owner, due_on=DUE)],
        today=ESCALATED,
    )
    Notification.objects.all().delete()

    sweep_deadlines(today=THURSDAY_24)
    sweep_deadlines(today=DUE)
    sweep_deadlines(today=DAY_AFTER)
    sweep_deadlines(today=DAY_AFTER)

    assert kinds() == [
        ("action_due_soon", owner.name),
        ("action_due_today", owner.name),
        ("check_back", worcs.teacher.name),
    ]


def test_no_check_back_reminder_once_the_action_is_checked(worcs: Ladders) -> None:
    escalation = worcs.raise_(today=RAISED)
    worcs.resolve(
        escalation,
        actions=[escalation_services.AgreedActionDetails("Visit.", worcs.social_worker, DUE)],
        today=ESCALATED,
    )
    action = AgreedAction.objects.get()
    escalation_services.confirm_understanding(action=action, actor=worcs.teacher)
    escalation_services.check_back_action(
        action=action, actor=worcs.teacher, implemented=True, note="Done."
    )
    Notification.objects.all().delete()

    assert sweep_deadlines(today=DAY_AFTER).notifications == 0


def test_a_third_agency_is_reminded_too(worcs: Ladders) -> None:
    escalation = at_stage_2(worcs)
    police = third_agency(worcs)
    join(escalation, police)

    assert sweep_deadlines(today=THURSDAY_24).notifications == 3
    assert recipients_of(Notification.Kind.DUE_SOON, escalation) == worcs.rung(
        LadderRole.LINE_MANAGER
    ) | {police[LadderRole.LINE_MANAGER]}


def test_a_stage_involving_the_raising_side_only_reminds_that_side_only() -> None:
    # Devon sets no timescales; a partnership may add one to its own stage 1 (decision 4).
    devon = Ladders("devon-preschool")
    escalation = devon.raise_(today=RAISED)
    Escalation.objects.filter(pk=escalation.pk).update(stage_due_on=DUE)
    Notification.objects.all().delete()

    sweep_deadlines(today=DUE)
    sweep_deadlines(today=DAY_AFTER)

    assert recipients_of(Notification.Kind.DUE_TODAY, escalation) == {devon.teacher}
    assert recipients_of(Notification.Kind.OVERDUE, escalation) == {
        devon.teacher,
        devon.school_people[LadderRole.LINE_MANAGER],
    }
    assert not Notification.objects.filter(recipient__agency=devon.social_care).exists()


def test_the_sweep_takes_the_same_queries_for_one_escalation_or_many(worcs: Ladders) -> None:
    at_stage_2(worcs)
    with CaptureQueriesContext(connection) as one:
        assert sweep_deadlines(today=THURSDAY_24).notifications == 2

    for _ in range(4):
        at_stage_2(worcs)
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as five:
        assert sweep_deadlines(today=THURSDAY_24).notifications == 10

    assert len(five) == len(one)


def test_the_command_sweeps_for_a_given_day(worcs: Ladders) -> None:
    at_stage_2(worcs)
    out = StringIO()

    call_command("sweep_deadlines", "--today", "2026-12-24", stdout=out)

    assert (
        "1 stage(s) and 0 agreed action(s) needed a reminder; 2 notification(s)" in out.getvalue()
    )
