"""Sending one outbox row: once, through the configured channel, retried with backoff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from escalate.notifications import delivery
from escalate.notifications.channels import message_id
from escalate.notifications.delivery import Outcome, deliver, requeue_stalled, retry_failed
from escalate.notifications.digests import send_daily_digests
from escalate.notifications.models import DeliveryAttempt, Notification, NotificationPreference
from escalate.notifications.tasks import deliver_notification, deliver_notifications
from escalate.notifications.tests.factories import Ladders

pytestmark = pytest.mark.django_db

FAILING = "escalate.notifications.tests.mail_backends.FailingBackend"


@pytest.fixture
def nel() -> Ladders:
    return Ladders("nel")


@pytest.fixture
def row(nel: Ladders) -> Notification:
    nel.raise_()
    return Notification.objects.get(recipient=nel.social_worker)


def test_a_notification_is_sent_by_email_with_a_link_and_its_key(row: Notification) -> None:
    assert deliver(row.pk) is Outcome.SENT

    [email] = mail.outbox
    assert email.to == [row.recipient.email]
    assert (
        email.subject == f"Escalation {row.context['reference']} raised with Children's Social Care"
    )
    assert f"http://testserver/escalations/{row.escalation_id}/" in email.body
    assert email.extra_headers["X-Escalate-Notification"] == row.idempotency_key
    assert email.extra_headers["Message-ID"] == message_id(row.idempotency_key)
    assert isinstance(email, EmailMultiAlternatives)
    assert email.alternatives[0][1] == "text/html"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_until) == (Notification.Status.SENT, 1, None)
    assert row.sent_at is not None
    assert row.delivery_attempts.get().succeeded


def test_delivering_again_sends_nothing_more(row: Notification) -> None:
    deliver(row.pk)

    assert deliver(row.pk) is Outcome.ALREADY_DONE
    assert deliver_notification.call(row.pk) == "already_done"
    assert len(mail.outbox) == 1


def test_a_notification_another_worker_holds_is_left_alone(row: Notification) -> None:
    row.claimed_until = timezone.now() + timedelta(minutes=5)
    row.save()

    assert deliver(row.pk) is Outcome.BUSY
    assert mail.outbox == []


def test_a_failed_send_is_recorded_and_retried_later_with_backoff(
    row: Notification, settings
) -> None:
    settings.EMAIL_BACKEND = FAILING

    began = timezone.now()
    assert deliver(row.pk) is Outcome.RETRY_LATER
    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 1
    assert row.last_error == ("SMTPServerDisconnected: Connection unexpectedly closed (test relay)")
    assert timedelta(seconds=59) < row.next_attempt_at - began < timedelta(seconds=62)
    assert deliver(row.pk) is Outcome.BUSY  # not before its next attempt

    row.next_attempt_at = timezone.now()
    row.save()
    deliver(row.pk)
    row.refresh_from_db()
    assert row.attempts == 2
    assert timedelta(seconds=119) < row.next_attempt_at - timezone.now() < timedelta(seconds=121)
    assert not any(attempt.succeeded for attempt in row.delivery_attempts.all())


def test_backoff_doubles_up_to_a_ceiling() -> None:
    delays = [delivery.retry_delay(attempt).total_seconds() for attempt in range(1, 12)]

    assert delays[:4] == [60, 120, 240, 480]
    assert max(delays) == 6 * 60 * 60


def test_after_the_last_attempt_it_fails_and_an_administrator_can_retry(
    row: Notification, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = FAILING
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    for _ in range(2):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        outcome = deliver(row.pk)
    assert outcome is Outcome.FAILED
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_failed(row)

    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert DeliveryAttempt.objects.filter(notification=row).count() == 3


@pytest.mark.parametrize(
    ("task_path", "arguments"),
    [
        (deliver_notifications.module_path, lambda pk: [[pk - 1, pk]]),
        (deliver_notification.module_path, lambda pk: [pk]),  # queued before the batches
    ],
    ids=["in a batch", "on its own"],
)
def test_stalled_notifications_are_queued_again_but_not_those_already_queued(
    nel: Ladders, task_path: str, arguments: Callable[[int], list[object]]
) -> None:
    nel.raise_()  # three pending rows whose on-commit tasks never ran (the test's transaction)
    rows = list(Notification.objects.order_by("pk"))
    expired = timezone.now() - timedelta(seconds=1)
    Notification.objects.filter(pk=rows[0].pk).update(claimed_until=expired)  # a dead worker
    Notification.objects.filter(pk=rows[1].pk).update(
        claimed_until=timezone.now() + timedelta(minutes=5)  # a live worker is sending it
    )
    DBTaskResult.objects.create(  # rows[2] still has its task waiting in the queue
        args_kwargs={"args": arguments(rows[2].pk), "kwargs": {}},
        task_path=task_path,
        queue_name="notifications",
        backend_name="default",
        run_after=timezone.now(),
    )

    assert delivery.stalled_notifications() == [rows[0].pk]
    assert requeue_stalled() == 1


def test_govuk_notify_gets_the_key_as_its_reference_and_is_asked_before_a_second_try(
    row: Notification, settings, monkeypatch
) -> None:
    settings.NOTIFICATIONS_CHANNEL = "govuk_notify"
    Notification.objects.filter(pk=row.pk).update(channel="govuk_notify")
    fake = FakeNotify()
    monkeypatch.setattr("escalate.notifications.channels.GovukNotifyChannel.client", lambda _: fake)

    assert deliver(row.pk) is Outcome.SENT
    [(address, template, personalisation, reference)] = fake.sent
    assert (address, reference) == (row.recipient.email, row.idempotency_key)
    assert template == settings.GOVUK_NOTIFY_TEMPLATE_ID
    assert personalisation["subject"].startswith("Escalation NEL-2026-")
    assert "Alex Invented" not in personalisation["body"]

    # A worker died after Notify accepted it: the next attempt finds it by reference.
    Notification.objects.filter(pk=row.pk).update(
        status=Notification.Status.PENDING, attempts=1, claimed_until=None
    )
    assert deliver(row.pk) is Outcome.SENT
    assert len(fake.sent) == 1
    row.refresh_from_db()
    assert row.provider_reference == "notify-1"


class FakeNotify:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str], str]] = []

    def send_email_notification(self, *, email_address, template_id, personalisation, reference):
        self.sent.append((email_address, template_id, personalisation, reference))
        return {"id": f"notify-{len(self.sent)}"}

    def get_all_notifications(self, *, template_type, reference):
        found = [i for i, sent in enumerate(self.sent, 1) if sent[3] == reference]
        return {"notifications": [{"id": f"notify-{i}"} for i in found]}


def test_a_daily_digest_gathers_a_persons_held_notifications_into_one_email(
    nel: Ladders, django_capture_on_commit_callbacks
) -> None:
    NotificationPreference.objects.create(person=nel.social_worker, daily_digest=True)
    nel.raise_()
    nel.raise_()
    # A fixed working day: digests go out in the partnership's working hours only (0019).
    wednesday = datetime(2026, 12, 2, tzinfo=timezone.get_current_timezone())
    morning = wednesday.replace(hour=6, minute=0)
    later = wednesday.replace(hour=8)

    assert send_daily_digests(now=morning) == 0  # before the digest hour (7 by default)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests(now=later) == 1
    assert send_daily_digests(now=later) == 0

    [email] = mail.outbox
    assert email.to == [nel.social_worker.email]
    assert "2 notifications" in email.subject
    assert email.body.count("raised with Children's Social Care") == 2
    held = Notification.objects.filter(recipient=nel.social_worker).exclude(kind="digest")
    assert {row.status for row in held} == {Notification.Status.SENT}
    assert {row.digest_id for row in held} == {
        Notification.objects.get(kind=Notification.Kind.DIGEST).pk
    }


def test_a_mistyped_or_half_configured_channel_stops_start_up(settings) -> None:
    from escalate.notifications.checks import check_notification_settings

    assert check_notification_settings() == []
    settings.NOTIFICATIONS_CHANNEL = "pigeon"
    assert [error.id for error in check_notification_settings()] == ["notifications.E001"]
    settings.NOTIFICATIONS_CHANNEL = "govuk_notify"
    settings.GOVUK_NOTIFY_API_KEY = ""
    assert [error.id for error in check_notification_settings()] == ["notifications.E002"]


def delivery_tasks():
    """Tasks on the notifications queue (a change also queues the board's recount)."""
    return DBTaskResult.objects.filter(queue_name="notifications")


def test_a_change_queues_one_task_for_all_its_notifications(
    nel: Ladders, database_queue: None, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        nel.raise_()

    pending = sorted(Notification.objects.values_list("pk", flat=True))
    assert len(pending) > 1
    queued = delivery_tasks().get()
    assert queued.task_path == deliver_notifications.module_path
    assert sorted(queued.args_kwargs["args"][0]) == pending
    assert delivery.stalled_notifications() == []


def test_deliveries_that_cannot_all_be_queued_are_left_for_the_requeue(
    nel: Ladders, database_queue: None, monkeypatch, django_capture_on_commit_callbacks, caplog
) -> None:
    from django_tasks_db.backend import DatabaseBackend

    monkeypatch.setattr(delivery, "DELIVERIES_PER_TASK", 1)  # a task each, as for a big sweep

    enqueue = DatabaseBackend.enqueue
    refused: list[int] = []

    def refuse_the_second(self, task, args, kwargs):
        if len(refused) == 0 and delivery_tasks().exists():
            refused.append(args[0])  # a database error: on PostgreSQL it spoils the transaction
            with connection.cursor() as cursor:
                cursor.execute("SELECT no_such_column FROM no_such_table")
        return enqueue(self, task, args, kwargs)

    monkeypatch.setattr(DatabaseBackend, "enqueue", refuse_the_second)

    with django_capture_on_commit_callbacks(execute=True):
        nel.raise_()

    assert refused, "the raise queued fewer than two deliveries: nothing was refused"
    assert not delivery_tasks().exists()
    assert "Could not queue the delivery" in caplog.text
    pending = set(Notification.objects.values_list("pk", flat=True))
    assert set(delivery.stalled_notifications()) == pending
