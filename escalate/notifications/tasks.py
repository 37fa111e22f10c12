"""Background tasks (Django's Tasks API through the django-tasks backport).

Run by ``escalate notifications_worker``, which also sweeps deadlines, sends
daily digests and re-queues what a dead worker left behind; or by
``escalate db_worker --queue-name '*'`` with ``escalate sweep_deadlines`` on a timer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django_tasks import task

from escalate.notifications import delivery


@task(queue_name="notifications")
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Send the outbox rows one change wrote, one after another; harmless to run twice (each
    row's status is checked first). Returns how many ended each way."""
    return dict(Counter(delivery.deliver(pk).value for pk in notification_ids))


@task(queue_name="notifications")
def deliver_notification(notification_id: int) -> str:
    """Send one outbox row. Changes queue ``deliver_notifications`` now; this one stays for
    tasks queued before, and for a test that queues one row on its own."""
    return delivery.deliver(notification_id).value


@task(queue_name="housekeeping")
def sweep_deadlines() -> dict[str, int]:
    """Write today's stage and agreed-action reminders that were not written yet."""
    from escalate.notifications.reminders import sweep_deadlines as sweep

    result = sweep()
    return {
        "stage_rows": result.stage_rows,
        "action_rows": result.action_rows,
        "notifications": result.notifications,
    }


@task(queue_name="housekeeping")
def housekeeping() -> dict[str, Any]:
    """Everything the notifications worker does between deliveries, as one task."""
    from escalate.notifications.housekeeping import run_housekeeping

    return run_housekeeping().as_dict()
