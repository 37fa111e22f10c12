"""What a notifications worker does between deliveries: all idempotent, all from stored state."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from escalate.notifications.delivery import requeue_stalled
from escalate.notifications.digests import send_daily_digests
from escalate.notifications.reminders import sweep_deadlines

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HousekeepingResult:
    requeued: int
    reminders: int
    digests: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_housekeeping(
    *, now: datetime | None = None, today: date | None = None
) -> HousekeepingResult:
    """Re-queue stalled deliveries, sweep deadlines, send due digests; reminders and digests
    only for partnerships in their working hours at ``now``."""
    now = now or timezone.now()
    requeued = requeue_stalled(now=now)
    reminders = sweep_deadlines(now=now, today=today).notifications
    digests = send_daily_digests(now=now)
    result = HousekeepingResult(requeued=requeued, reminders=reminders, digests=digests)
    if requeued or reminders or digests:
        logger.info(
            "Notifications housekeeping: %s re-queued, %s reminders, %s digests",
            requeued,
            reminders,
            digests,
        )
    return result
