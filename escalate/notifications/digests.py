"""Daily digests: one email a day carrying a person's held-back, non-urgent notifications.

Someone who chose the digest (``NotificationPreference.daily_digest``) still sees
every notification in their list at once; urgent ones (immediate risk, overdue)
are always sent alone. Once a day, from ``NOTIFICATIONS_DIGEST_HOUR`` local time,
each person's held rows become one digest row, keyed by person and day, so a
second run that day writes nothing new; the held rows point at their digest.

A digest goes out in working hours only (decision record 0019): once it is within the
working hours of the policy of at least one of the escalations whose rows it carries.
Until then the rows stay held, and the first run inside working hours gathers them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from escalate.domain.working_hours import is_within_working_hours
from escalate.escalations.clock import calendar_for
from escalate.escalations.models import Escalation
from escalate.notifications import channels
from escalate.notifications.delivery import enqueue_after_commit
from escalate.notifications.models import Notification
from escalate.notifications.rendering import subject_line
from escalate.policies.models import Policy


def is_digest_time(now: datetime) -> bool:
    return timezone.localtime(now).hour >= settings.NOTIFICATIONS_DIGEST_HOUR


def policies_in_working_hours(now: datetime) -> list[int]:
    """The policy versions whose partnerships are within their working hours at ``now``."""
    return [
        policy.pk
        for policy in Policy.objects.only("pk", "sha256", "text").order_by("pk")
        if is_within_working_hours(
            now, hours=policy.rules.working_hours, calendar=calendar_for(policy.rules)
        )
    ]


def send_daily_digests(*, now: datetime | None = None, force: bool = False) -> int:
    """Write today's digests (from the digest hour, in working hours; or at once, whatever
    the time, with ``force``); return how many."""
    now = now or timezone.now()
    if not force and not is_digest_time(now):
        return 0
    day = timezone.localtime(now).date()
    pending = Notification.objects.filter(
        status=Notification.Status.PENDING, awaits_digest=True, digest__isnull=True
    )
    if not force:
        open_now = policies_in_working_hours(now)
        # A subquery, not a join, so that the lock below takes notification rows only.
        in_hours = Escalation.objects.filter(policy_id__in=open_now).values("pk")
        pending = pending.filter(
            recipient_id__in=pending.filter(
                Q(escalation__isnull=True) | Q(escalation_id__in=in_hours)
            ).values("recipient_id")
        )
    with transaction.atomic():
        held = list(
            pending.select_for_update(skip_locked=True).order_by("recipient_id", "created_at", "pk")
        )
        by_person: dict[int, list[Notification]] = defaultdict(list)
        for row in held:
            by_person[row.recipient_id].append(row)
        keys = {person_id: digest_key(person_id, day) for person_id in by_person}
        done_today = set(
            Notification.objects.filter(idempotency_key__in=keys.values()).values_list(
                "recipient_id", flat=True
            )
        )
        channel = channels.configured_channel()
        digests = [
            Notification(
                recipient_id=person_id,
                kind=Notification.Kind.DIGEST,
                context=_context(rows, day),
                channel=channel,
                next_attempt_at=now,
                idempotency_key=keys[person_id],
            )
            for person_id, rows in by_person.items()
            if person_id not in done_today
        ]
        Notification.objects.bulk_create(digests, ignore_conflicts=True)
        digest_of = {
            row.recipient_id: row
            for row in Notification.objects.filter(
                idempotency_key__in=[digest.idempotency_key for digest in digests]
            )
        }
        carried = []
        for person_id, digest in digest_of.items():
            for row in by_person[person_id]:
                row.digest = digest
                row.status = Notification.Status.SENT
                row.sent_at = now
                carried.append(row)
        Notification.objects.bulk_update(carried, ["digest", "status", "sent_at"], batch_size=500)
        enqueue_after_commit(digest.pk for digest in digest_of.values())
    return len(digest_of)


def digest_key(person_id: int, day: date) -> str:
    return f"digest:{person_id}:{day.isoformat()}"


def _context(rows: list[Notification], day: date) -> dict[str, Any]:
    return {
        "digest_on": day.isoformat(),
        "digest_label": f"{day:%a %d %b %Y}",
        "count": len(rows),
        "items": [
            {"subject": subject_line(row), "path": row.context.get("path", "")} for row in rows
        ],
    }


def release_held(*, person_id: int) -> int:
    """Someone turned the digest off: send what was held for it now, one by one."""
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(
                recipient_id=person_id,
                status=Notification.Status.PENDING,
                awaits_digest=True,
                digest__isnull=True,
            ).values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(awaits_digest=False)
        enqueue_after_commit(ids)
    return len(ids)
