"""What the notification pages show: a person's own list, and failed deliveries for admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from escalate.domain.policy import PartnershipRole
from escalate.notifications.models import Notification
from escalate.notifications.rendering import absolute, subject_line
from escalate.organisations.models import Person, account_roles


def inbox_for(person: Person) -> QuerySet[Notification]:
    """Everything sent to ``person`` (a digest's items are listed, not the digest itself)."""
    return Notification.objects.filter(recipient=person).exclude(kind=Notification.Kind.DIGEST)


def administered_partnership_ids(person: Person) -> list[int]:
    return list(
        account_roles(person)
        .filter(role=PartnershipRole.ADMINISTRATOR.value)
        .values_list("partnership_id", flat=True)
    )


def may_see_failed_deliveries(person: Person) -> bool:
    user = person.user
    return bool(user and user.is_staff) or bool(administered_partnership_ids(person))


def failed_deliveries_for(person: Person) -> QuerySet[Notification]:
    """Failed notifications an administrator looks after: all for staff, else their partnerships."""
    failed = Notification.objects.filter(status=Notification.Status.FAILED).select_related(
        "recipient", "escalation"
    )
    if person.user is not None and person.user.is_staff:
        return failed
    partnership_ids = administered_partnership_ids(person)
    return failed.filter(
        Q(escalation__partnership_id__in=partnership_ids)
        | Q(recipient__agency__partnership_id__in=partnership_ids)
        | Q(recipient__partnership_roles__partnership_id__in=partnership_ids)
    ).distinct()


@dataclass(frozen=True)
class InboxRow:
    pk: int
    subject: str
    url: str
    created_at: datetime
    is_read: bool
    is_urgent: bool
    reference: str


def inbox_rows(notifications: list[Notification]) -> list[InboxRow]:
    return [
        InboxRow(
            pk=row.pk,
            subject=subject_line(row),
            url=row.context.get("path", ""),
            created_at=row.created_at,
            is_read=row.read_at is not None,
            is_urgent=row.is_urgent,
            reference=row.context.get("reference", ""),
        )
        for row in notifications
    ]


@dataclass(frozen=True)
class FailedRow:
    pk: int
    recipient: str
    recipient_email: str
    kind: str
    reference: str
    url: str
    attempts: int
    last_error: str
    created_at: datetime


def failed_rows(notifications: list[Notification]) -> list[FailedRow]:
    return [
        FailedRow(
            pk=row.pk,
            recipient=row.recipient.name,
            recipient_email=row.recipient.email,
            kind=row.get_kind_display(),
            reference=row.context.get("reference", ""),
            url=absolute(row.context.get("path", "")),
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
        )
        for row in notifications
    ]
