"""Sending one outbox row: claim it, send it, mark it; or record why not and try again later.

Never lost: the row is written with the change that caused it, and stays
pending until a send succeeds; a worker that dies holding it loses its claim
after ``NOTIFICATIONS_CLAIM_SECONDS`` and ``requeue_stalled`` hands it on.
Never doubled: the claim is taken under a row lock (``SKIP LOCKED`` on
PostgreSQL; an exclusive transaction on SQLite), so one worker sends it; the
status is checked first, so a repeated task does nothing. The one window left,
a worker killed between the provider accepting a message and the row being
marked, is closed by the provider's duplicate protection (see ``channels``).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from escalate.notifications import channels, rendering
from escalate.notifications.models import DeliveryAttempt, Notification

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000
DELIVERIES_PER_TASK = 50
"""A change notifies a handful of people; a sweep may queue thousands, spread over tasks."""
MAX_REQUEUED = 10_000


class Outcome(StrEnum):
    SENT = "sent"
    RETRY_LATER = "retry_later"
    FAILED = "failed"
    ALREADY_DONE = "already_done"
    """Sent or failed before: a repeated task, harmless."""
    BUSY = "busy"
    """Another worker holds it, or it waits for its next attempt or a digest."""
    MISSING = "missing"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def deliver(notification_id: int) -> Outcome:
    """Send one notification through its channel, at most once."""
    claimed = _claim(notification_id)
    if not isinstance(claimed, Notification):
        return claimed
    notification = claimed
    try:
        message = rendering.render(notification, recipient_name=notification.recipient.name)
        reference = channels.channel_for(notification.channel).send(
            to=notification.recipient.email,
            message=message,
            key=notification.idempotency_key,
            may_have_been_sent=notification.attempts > 1,
        )
    except Exception as error:  # every failure is recorded and retried
        return _record_failure(notification, error)
    _mark_sent(notification, reference)
    return Outcome.SENT


def _claim(notification_id: int) -> Notification | Outcome:
    with exclusive_transaction():
        rows = Notification.objects.select_related("recipient").filter(pk=notification_id)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        notification = rows.first()
        if notification is None:
            exists = Notification.objects.filter(pk=notification_id).exists()
            return Outcome.BUSY if exists else Outcome.MISSING
        now = timezone.now()
        if notification.status != Notification.Status.PENDING:
            return Outcome.ALREADY_DONE
        if (
            notification.awaits_digest
            or notification.next_attempt_at > now
            or (notification.claimed_until is not None and notification.claimed_until > now)
        ):
            return Outcome.BUSY
        notification.claimed_until = now + timedelta(seconds=settings.NOTIFICATIONS_CLAIM_SECONDS)
        notification.attempts += 1
        notification.save(update_fields=["claimed_until", "attempts"])
    return notification


def _mark_sent(notification: Notification, reference: str) -> None:
    with transaction.atomic():
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.SENT,
            sent_at=now,
            claimed_until=None,
            last_error="",
            provider_reference=reference[:200],
        )
        DeliveryAttempt.objects.create(
            notification=notification, succeeded=True, worker=worker_name()
        )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: the base delay doubled for each attempt after the first."""
    seconds = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.NOTIFICATIONS_RETRY_MAX_SECONDS))


def _record_failure(notification: Notification, error: Exception) -> Outcome:
    text = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    logger.warning(
        "Notification %s attempt %s failed: %s", notification.pk, notification.attempts, text
    )
    gave_up = notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    next_attempt_at = timezone.now() + retry_delay(notification.attempts)
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED if gave_up else Notification.Status.PENDING,
            claimed_until=None,
            last_error=text,
            next_attempt_at=next_attempt_at,
        )
        DeliveryAttempt.objects.create(
            notification=notification, succeeded=False, error=text, worker=worker_name()
        )
        if not gave_up:
            enqueue_after_commit([notification.pk], run_after=next_attempt_at)
    return Outcome.FAILED if gave_up else Outcome.RETRY_LATER


def enqueue_after_commit(ids: Iterable[int], *, run_after: datetime | None = None) -> None:
    """Queue a delivery task for each id once the surrounding transaction commits."""
    ids = list(ids)
    if ids:
        transaction.on_commit(partial(_enqueue, ids, run_after))


def _enqueue(ids: list[int], run_after: datetime | None) -> None:
    from escalate.notifications.tasks import deliver_notifications

    task = deliver_notifications
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # e.g. the immediate backend in tests: requeue_stalled picks it up when due
        task = task.using(run_after=run_after)
    # One task for the lot: a queued task is a row, and one per recipient made every change
    # write (and the queue's backend build) a row each. If they cannot be queued, the rows
    # stay pending and requeue_stalled hands them on.
    try:
        with transaction.atomic():
            for start in range(0, len(ids), DELIVERIES_PER_TASK):
                task.enqueue(ids[start : start + DELIVERIES_PER_TASK])
    except Exception:
        logger.exception("Could not queue the delivery of %d notifications", len(ids))


def retry_failed(notification: Notification) -> bool:
    """An administrator's retry: a failed notification is pending again and queued at once."""
    with transaction.atomic():
        updated = Notification.objects.filter(
            pk=notification.pk, status=Notification.Status.FAILED
        ).update(
            status=Notification.Status.PENDING,
            attempts=0,
            claimed_until=None,
            next_attempt_at=timezone.now(),
        )
        if updated:
            enqueue_after_commit([notification.pk])
    return bool(updated)


def stalled_notifications(*, now: datetime | None = None) -> list[int]:
    """Pending notifications due to be sent that no worker holds and no queued task will send.

    A worker killed mid-send leaves its task "running" forever and its claim to expire;
    a queue that lost a task (or never got it) leaves none. Both are found here.
    """
    now = now or timezone.now()
    queued = _queued_for_delivery()
    due = (
        Notification.objects.filter(
            status=Notification.Status.PENDING, awaits_digest=False, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)
    )
    stalled: list[int] = []
    for pk in due.iterator(chunk_size=2000):
        if pk not in queued:
            stalled.append(pk)
            if len(stalled) == MAX_REQUEUED:
                break
    return stalled


def _queued_for_delivery() -> set[int]:
    """The notifications that tasks waiting in the queue will send.

    Read whole and matched here, not in SQL: a task holds a list of ids, and a JSON array's
    members cannot be matched on SQLite. The queue is short unless the workers are down.
    """
    from escalate.notifications.tasks import deliver_notification, deliver_notifications

    queued: set[int] = set()
    waiting = DBTaskResult.objects.filter(
        status="READY",
        task_path__in=[deliver_notifications.module_path, deliver_notification.module_path],
    ).values_list("args_kwargs", flat=True)
    for arguments in waiting.iterator(chunk_size=2000):
        first = (arguments.get("args") or [None])[0]
        queued.update(first if isinstance(first, list) else [first])
    return queued


def requeue_stalled(*, now: datetime | None = None) -> int:
    """Queue a delivery for every stalled notification; return how many."""
    ids = stalled_notifications(now=now)
    if ids:
        with transaction.atomic():
            enqueue_after_commit(ids)
    return len(ids)
