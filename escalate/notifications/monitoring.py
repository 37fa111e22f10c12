"""What the readiness probe and the metrics ask of the outbox and its workers (decision 27).

Counts and times only: never which notification, whose, or about what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min
from django.utils import timezone

from escalate.notifications.delivery import worker_name
from escalate.notifications.models import Notification, WorkerHeartbeat

FORGET_WORKERS_AFTER = timedelta(days=1)
"""A worker silent this long has gone for good (a restart takes a new id): its row goes."""


@dataclass(frozen=True)
class Backlog:
    undelivered: int
    """Waiting to be sent, retries included; not those held for a daily digest by choice."""
    oldest_undelivered_at: datetime | None
    failed: int
    """Given up on after the last attempt, until an administrator retries them."""

    def oldest_age_seconds(self, *, now: datetime) -> float:
        if self.oldest_undelivered_at is None:
            return 0.0
        return max((now - self.oldest_undelivered_at).total_seconds(), 0.0)


def outbox_backlog() -> Backlog:
    """Two aggregate queries, each served by an index on status."""
    undelivered = Notification.objects.filter(
        status=Notification.Status.PENDING, awaits_digest=False
    ).aggregate(count=Count("pk"), oldest=Min("created_at"))
    failed = Notification.objects.filter(status=Notification.Status.FAILED).count()
    return Backlog(
        undelivered=undelivered["count"],
        oldest_undelivered_at=undelivered["oldest"],
        failed=failed,
    )


def record_heartbeat(*, worker_id: str, now: datetime | None = None) -> None:
    """Note that worker ``worker_id`` is alive now, and forget workers long gone."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"last_seen_at": now, "process": worker_name()}
    )
    WorkerHeartbeat.objects.filter(last_seen_at__lt=now - FORGET_WORKERS_AFTER).delete()


def last_worker_seen_at() -> datetime | None:
    """When any notifications worker last said it was alive, or None if none ever has."""
    seen: datetime | None = WorkerHeartbeat.objects.aggregate(latest=Max("last_seen_at"))["latest"]
    return seen
