"""The deadline sweep: reminders from stored due dates, across the Christmas bank holidays.

Worcestershire: stage 1 within 1 working day, stage 2 within 2. Raised Tue 22 Dec 2026
and escalated on Wed 23 Dec, stage 2 is due on Tue 29 Dec: Christmas Day (Fri 25) and
the substitute Boxing Day (Mon 28) are not working days, so "one working day before"
is Thu 24 Dec.

A reminder goes to whoever acts at the stage in every party agency on the sides the
stage involves, never to a side it does not involve yet (docs/domain.md decision 13).
"""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate.domain.policy import LadderRole
from escalate.escalations import services as escalation_services
from escalate.escalations.models import AgreedAction, Escalation
from escalate.notifications.digests import send_daily_digests
from escalate.notifications.housekeeping import run_housekeeping
from escalate.notifications.models import Notification, NotificationPreference
from escalate.notifications.reminders import sweep_deadlines
from escalate.notifications.tests.factories import Ladders, join, recipients_of, third_agency
from escalate.policies.models import Policy

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

    # Christmas Day and the substitute Boxing Day are bank holidays: no reminders at all.
    assert sweep_deadlines(today=CHRISTMAS).notifications == 0
    assert sweep_deadlines(today=date(2026, 12, 28)).notifications == 0
    # The next working day is the due day: the due-soon reminder gives way to it, once.
    assert sweep_deadlines(today=DUE).notifications == 2
    assert sweep_deadlines(today=DUE).notifications == 0
    assert not Notification.objects.filter(kind=Notification.Kind.DUE_SOON).exists()
    assert Notification.objects.filter(kind=Notification.Kind.DUE_TODAY).count() == 2


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


# --- working hours (decision record 0019) ------------------------------------------------
#
# Raised Tue 1 Dec 2026 and escalated on Wed 2 Dec, stage 2 is due on Fri 4 Dec: overdue
# from Saturday 5th. December is on GMT, so the UK clock is UTC.

UK = ZoneInfo("Europe/London")
DUE_FRIDAY = date(2026, 12, 4)


def uk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UK)


def due_friday(ladders: Ladders, **raised: object) -> Escalation:
    escalation = ladders.raise_(today=date(2026, 12, 1), **raised)
    escalation = escalation_services.escalate_stage(
        escalation=escalation,
        actor=ladders.teacher,
        reason="No agreement.",
        today=date(2026, 12, 2),
    )
    assert escalation.stage_due_on == DUE_FRIDAY
    return escalation


def test_a_saturday_sweep_writes_nothing_and_monday_at_eight_writes_it_once(
    worcs: Ladders,
) -> None:
    escalation = due_friday(worcs)
    assert sweep_deadlines(now=uk(4, 10)).notifications == 2  # due today, on Friday
    Notification.objects.exclude(kind=Notification.Kind.DUE_TODAY).delete()

    held = [uk(4, 18), uk(4, 23, 30), uk(5, 10), uk(6, 15), uk(7, 7, 59)]
    assert [sweep_deadlines(now=moment).notifications for moment in held] == [0] * len(held)
    monday = sweep_deadlines(now=uk(7, 8))
    again = sweep_deadlines(now=uk(7, 8, 5))

    overdue = Notification.objects.filter(kind=Notification.Kind.OVERDUE)
    assert monday.notifications == overdue.count() == 4
    assert again.notifications == 0
    assert {row.recipient for row in overdue} == worcs.rung(LadderRole.LINE_MANAGER) | worcs.rung(
        LadderRole.SAFEGUARDING_LEAD
    )
    assert {row.due_on for row in overdue} == {escalation.stage_due_on}


def test_agreed_action_check_backs_wait_for_working_hours(worcs: Ladders) -> None:
    escalation = worcs.raise_(today=date(2026, 12, 1))
    worcs.resolve(
        escalation,
        actions=[
            escalation_services.AgreedActionDetails("Visit.", worcs.social_worker, DUE_FRIDAY)
        ],
        today=date(2026, 12, 2),
    )
    Notification.objects.all().delete()

    assert sweep_deadlines(now=uk(5, 9)).notifications == 0
    assert sweep_deadlines(now=uk(7, 8)).notifications == 1
    assert kinds() == [("check_back", worcs.teacher.name)]


def test_the_housekeeping_sweep_holds_reminders_at_the_weekend(worcs: Ladders) -> None:
    due_friday(worcs)
    Notification.objects.all().delete()

    assert run_housekeeping(now=uk(5, 11)).reminders == 0
    assert run_housekeeping(now=uk(7, 9)).reminders == 4


def test_same_day_notices_of_an_immediate_risk_go_on_a_saturday_night(
    worcs: Ladders, django_capture_on_commit_callbacks
) -> None:
    urgent = due_friday(worcs, immediate_risk=True, same_day_route_taken=True)
    ordinary = due_friday(worcs)
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        result = sweep_deadlines(now=uk(5, 23))

    written = Notification.objects.all()
    assert result.notifications == written.count() > 0
    assert {row.escalation_id for row in written} == {urgent.pk}
    assert {(row.kind, row.is_urgent, row.status) for row in written} == {
        (Notification.Kind.OVERDUE, True, Notification.Status.SENT)
    }
    assert len(mail.outbox) == written.count()
    # The ordinary escalation's overdue notice waits for Monday morning.
    assert sweep_deadlines(now=uk(7, 8)).notifications > 0
    assert Notification.objects.filter(escalation=ordinary, kind="overdue").exists()


def test_an_immediate_risk_escalation_is_not_reminded_of_what_is_only_due_soon(
    worcs: Ladders,
) -> None:
    due_friday(worcs, immediate_risk=True, same_day_route_taken=True)
    Notification.objects.all().delete()

    # Thursday night: due tomorrow is a due-soon notice, which waits for working hours.
    assert sweep_deadlines(now=uk(3, 22)).notifications == 0
    assert sweep_deadlines(now=uk(4, 8)).notifications == 2  # Friday 08:00: due today


def test_a_change_marked_urgent_is_written_and_queued_on_a_saturday_night(
    worcs: Ladders, django_capture_on_commit_callbacks
) -> None:
    saturday = date(2026, 12, 5)
    with django_capture_on_commit_callbacks(execute=True):
        escalation = worcs.raise_(today=saturday, immediate_risk=True, same_day_route_taken=True)

    raised = Notification.objects.filter(escalation=escalation, kind=Notification.Kind.RAISED)
    assert raised.exists()
    assert {(row.is_urgent, row.status) for row in raised} == {(True, Notification.Status.SENT)}
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        row.recipient.email for row in raised
    )
    # Its first action is due the same day: that reminder is not held either.
    assert escalation.stage_due_on == saturday
    assert sweep_deadlines(now=uk(5, 23)).notifications > 0
    reminders = Notification.objects.exclude(kind=Notification.Kind.RAISED)
    assert {(row.kind, row.is_urgent) for row in reminders} == {(Notification.Kind.DUE_TODAY, True)}


def test_a_partnerships_own_working_hours_apply(worcs: Ladders) -> None:
    Policy.objects.filter(pk=worcs.policy.pk).update(
        text=worcs.policy.text + '\n[notifications]\nworking_hours = "09:30-16:00"\n',
        sha256="test: worcestershire reminding from 09:30 to 16:00",
    )
    due_friday(worcs)
    Notification.objects.all().delete()

    assert sweep_deadlines(now=uk(4, 9, 29)).notifications == 0
    assert sweep_deadlines(now=uk(4, 16)).notifications == 0
    assert sweep_deadlines(now=uk(4, 9, 30)).notifications == 2


def test_a_daily_digest_waits_for_working_hours(worcs: Ladders) -> None:
    NotificationPreference.objects.create(person=worcs.social_worker, daily_digest=True)
    worcs.raise_(today=date(2026, 12, 4))
    assert Notification.objects.filter(recipient=worcs.social_worker, awaits_digest=True).exists()

    assert send_daily_digests(now=uk(5, 10)) == 0  # Saturday
    assert send_daily_digests(now=uk(7, 7, 30)) == 0  # past the digest hour, before 08:00
    assert send_daily_digests(now=uk(7, 8)) == 1
    assert send_daily_digests(now=uk(7, 9)) == 0
    assert not Notification.objects.filter(
        recipient=worcs.social_worker, awaits_digest=True, digest__isnull=True
    ).exists()
