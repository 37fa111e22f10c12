"""Turning what happened into outbox rows, inside the transaction of the change itself.

``escalations/services.py`` calls one ``notify_*`` function per change, after its
audit record. The domain decides who hears (``domain/recipients.py``): only the sides
the stage involves, and every party at every stage move and outcome (docs/domain.md
decisions 12 and 13). This module writes one row per person, with an idempotency key
of kind, escalation, event and recipient, and queues delivery for after the commit.
If the change rolls back, so do its notifications; if it commits, they exist and will
be sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.domain.policy import PartnershipRole, PolicyRules
from escalate.domain.recipients import (
    URGENT_OCCASIONS,
    Occasion,
    Reason,
    Recipient,
    proposal_recipients,
    recipients_for,
)
from escalate.escalations.models import Appointment, Escalation, ResolutionProposal
from escalate.notifications import channels
from escalate.notifications.delivery import enqueue_after_commit
from escalate.notifications.facts import CaseRow, case_facts
from escalate.notifications.models import Notification, NotificationPreference
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person

KIND_FOR_OCCASION = {
    Occasion.RAISED: Notification.Kind.RAISED,
    Occasion.STAGE_ENTERED: Notification.Kind.STAGE_ENTERED,
    Occasion.REOPENED: Notification.Kind.REOPENED,
    Occasion.OUTCOME: Notification.Kind.OUTCOME,
    Occasion.DUE_SOON: Notification.Kind.DUE_SOON,
    Occasion.DUE_TODAY: Notification.Kind.DUE_TODAY,
    Occasion.OVERDUE: Notification.Kind.OVERDUE,
}


class Outcome:
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    DECIDED = "decided"


# --- the hooks the escalation services call ---------------------------------------------


def notify_raised(*, escalation: Escalation, actor: Person) -> list[Notification]:
    """On the sides the first stage involves: the counterpart and the line managers; and the
    first stage's people. The raiser's DSL on immediate risk. At a stage involving the
    raising side only (a talk with one's own supervisor) the other agency is not told yet.
    """
    return _notify_event(escalation, Occasion.RAISED, actor=actor)


def notify_stage_entered(*, escalation: Escalation, actor: Person) -> list[Notification]:
    """The new stage's rung on the sides it involves, whoever the policy names, and every
    party so far (decision 12). Also called when an agency joins at the current stage.
    """
    return _notify_event(escalation, Occasion.STAGE_ENTERED, actor=actor)


def notify_reopened(*, escalation: Escalation, actor: Person) -> list[Notification]:
    """Every party: the escalation is open again, after a failed check-back, at this stage."""
    return _notify_event(escalation, Occasion.REOPENED, actor=actor)


def notify_outcome(
    *, escalation: Escalation, actor: Person, decided: bool = False
) -> list[Notification]:
    """Every party, the raiser included: resolved, withdrawn or decided at the final stage.

    ``decided``: the outcome is the final stage's decision. Without it, a resolution at the
    final stage with a recorded decision counts as one.
    """
    if escalation.status == Escalation.Status.WITHDRAWN:
        outcome = Outcome.WITHDRAWN
    elif decided or (escalation.is_at_final_stage and escalation.final_decisions.exists()):
        outcome = Outcome.DECIDED
    else:
        outcome = Outcome.RESOLVED
    return _notify_event(escalation, Occasion.OUTCOME, actor=actor, extra={"outcome": outcome})


def notify_resolution_proposed(*, escalation: Escalation, actor: Person) -> list[Notification]:
    """The acting rung of each party agency that still has to confirm the latest proposed
    resolution at the current stage (decision 8); nothing when none waits. Called again
    after a confirmation that leaves agencies to confirm, it asks only those.
    """
    _in_transaction()
    proposal = (
        ResolutionProposal.objects.filter(
            escalation=escalation,
            stage_number=escalation.stage_number,
            state=ResolutionProposal.State.PROPOSED,
        )
        .select_related("agency")
        .order_by("-pk")
        .first()
    )
    if proposal is None:
        return []
    agreed_by = {proposal.agency_id, *proposal.confirmations.values_list("agency_id", flat=True)}
    rules = escalation.policy.rules
    facts = case_facts([CaseRow.of(escalation)])[escalation.pk]
    recipients = proposal_recipients(
        rules,
        stage_number=escalation.stage_number,
        parties=facts.parties,
        agreed_by=agreed_by,
        actor_id=actor.pk,
    )
    extra = {"proposing_agency": proposal.agency.name}
    return _write_event(
        escalation, Notification.Kind.RESOLUTION_PROPOSED, recipients, actor=actor, extra=extra
    )


def notify_appointed(
    *, escalation: Escalation, actor: Person, appointee: Person, role: str
) -> list[Notification]:
    """The appointee: appointed as a panel member or the meeting's chair at the final stage."""
    _in_transaction()
    if role not in Appointment.Role.values:
        raise ValueError(f"{role!r} is not an appointment to the final stage.")
    recipients = (Recipient(appointee.pk, (Reason.APPOINTED,)),)
    return _write_event(
        escalation, Notification.Kind.APPOINTED, recipients, actor=actor, extra={"role": role}
    )


def notify_handed_over(
    *,
    escalation: Escalation,
    actor: Person | None,
    leaver: Person,
    successor: Person | None,
    places: str,
) -> list[Notification]:
    """The successor, told what they now hold; with nobody named, the partnership's
    business managers, told the place is empty."""
    _in_transaction()
    if successor is not None:
        recipients: tuple[Recipient, ...] = (Recipient(successor.pk, (Reason.SUCCESSOR,)),)
        kind = Notification.Kind.HANDED_OVER
    else:
        managers = PartnershipRoleAssignment.objects.filter(
            partnership_id=escalation.partnership_id,
            role=PartnershipRole.BUSINESS_MANAGER.value,
            person__is_active=True,
        ).values_list("person_id", flat=True)
        recipients = tuple(Recipient(pk, (Reason.LEAVER_WORK,)) for pk in managers)
        kind = Notification.Kind.LEAVER_WORK
    extra = {
        "leaver_name": leaver.name,
        "leaver_agency": leaver.agency.name if leaver.agency else "their agency",
        "places": places,
        "actor_name": actor.name if actor is not None else "an administrator",
    }
    return _write_event(escalation, kind, recipients, actor=actor or leaver, extra=extra)


# --- building rows -------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One row to write: who, what, and the key that makes writing it twice harmless."""

    recipient: Recipient
    kind: str
    key: str
    escalation_id: UUID | None
    context: dict[str, Any]
    is_urgent: bool
    stage_number: int | None = None
    due_on: date | None = None
    agreed_action_id: int | None = None


_WITH_RECORD = frozenset({Occasion.STAGE_ENTERED, Occasion.REOPENED, Occasion.OUTCOME})
"""Occasions that tell every party so far, so need who took part and the stages so far."""


def _in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Notifications are written inside the transaction of their change.")


def _notify_event(
    escalation: Escalation,
    occasion: Occasion,
    *,
    actor: Person,
    extra: dict[str, Any] | None = None,
) -> list[Notification]:
    _in_transaction()
    facts = case_facts([CaseRow.of(escalation)], with_record=occasion in _WITH_RECORD)[
        escalation.pk
    ]
    recipients = recipients_for(
        occasion,
        escalation.policy.rules,
        stage_number=escalation.stage_number,
        parties=facts.parties,
        actor_id=actor.pk,
        immediate_risk=escalation.immediate_risk,
        stages_so_far=facts.stages_so_far,
    )
    return _write_event(
        escalation,
        KIND_FOR_OCCASION[occasion],
        recipients,
        actor=actor,
        extra=extra,
        is_urgent=occasion in URGENT_OCCASIONS,
    )


def _write_event(
    escalation: Escalation,
    kind: str,
    recipients: Iterable[Recipient],
    *,
    actor: Person,
    extra: dict[str, Any] | None = None,
    is_urgent: bool = False,
) -> list[Notification]:
    """One row per recipient about the change just audited, keyed by that audit event."""
    rules = escalation.policy.rules
    event = (
        AuditEvent.objects.filter(escalation_id=escalation.pk)
        .order_by("-pk")
        .values("pk", "event", "data")
        .first()
    )
    context = {
        **case_context(escalation, rules),
        "actor_name": actor.name,
        "immediate_risk": escalation.immediate_risk,
        "due_on": escalation.stage_due_on.isoformat() if escalation.stage_due_on else None,
        "event": event["pk"] if event else None,
        **_change_context(event),
        **(extra or {}),
    }
    planned = [
        Planned(
            recipient=recipient,
            kind=kind,
            key=f"{kind}:{escalation.pk}:event{context['event']}:{recipient.person_id}",
            escalation_id=escalation.pk,
            context=context,
            is_urgent=escalation.immediate_risk or is_urgent,
            stage_number=escalation.stage_number,
        )
        for recipient in recipients
    ]
    return write(planned)


def _change_context(event: Mapping[str, Any] | None) -> dict[str, Any]:
    """Words for a change other than its kind's usual one: an agency joining at this stage."""
    if event is None or event["event"] != events.PARTY_ADDED:
        return {}
    agency = Agency.objects.filter(pk=event["data"].get("agency")).values_list("name", flat=True)
    return {"change": "party_added", "joined_agency": agency.first() or ""}


def case_context(escalation: Escalation, rules: PolicyRules) -> dict[str, Any]:
    """What every message about an escalation may say: never the subject's details."""
    stage = rules.stage(escalation.stage_number)
    return {
        "reference": escalation.reference,
        "partnership": rules.partnership,
        "stage_number": stage.number,
        "stage_name": stage.name,
        "raising_agency": escalation.raising_agency.name,
        "other_agency": escalation.other_agency.name,
        "path": escalation.get_absolute_url(),
    }


def write(planned: Sequence[Planned]) -> list[Notification]:
    """Write the rows not written before, and queue their delivery for after the commit."""
    created: list[Notification] = []
    for start in range(0, len(planned), WRITE_BATCH):
        created.extend(_write_batch(planned[start : start + WRITE_BATCH]))
    enqueue_after_commit(row.pk for row in created if not row.awaits_digest)
    return created


WRITE_BATCH = 2000  # rows per existence check and insert; SQLite splits larger inserts itself


def _write_batch(planned: Sequence[Planned]) -> list[Notification]:
    keys = [plan.key for plan in planned]
    existing = set(
        Notification.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    fresh = [plan for plan in planned if plan.key not in existing]
    if not fresh:
        return []
    digesting = _wants_digest({plan.recipient.person_id for plan in fresh})
    channel = channels.configured_channel()
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=plan.recipient.person_id,
            kind=plan.kind,
            escalation_id=plan.escalation_id,
            agreed_action_id=plan.agreed_action_id,
            stage_number=plan.stage_number,
            due_on=plan.due_on,
            context={
                **plan.context,
                "reasons": [reason.value for reason in plan.recipient.reasons],
            },
            channel=channel,
            is_urgent=plan.is_urgent,
            awaits_digest=not plan.is_urgent and plan.recipient.person_id in digesting,
            next_attempt_at=now,
            idempotency_key=plan.key,
        )
        for plan in fresh
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # Read back what this batch wrote (ignore_conflicts leaves primary keys unset).
    return list(
        Notification.objects.filter(
            idempotency_key__in=[row.idempotency_key for row in rows], created_at__gte=now
        )
    )


def _wants_digest(person_ids: Iterable[int]) -> set[int]:
    return set(
        NotificationPreference.objects.filter(
            person_id__in=list(person_ids), daily_digest=True
        ).values_list("person_id", flat=True)
    )


@transaction.atomic
def set_daily_digest(*, person: Person, daily_digest: bool) -> NotificationPreference:
    """Turn the daily digest on or off; turning it off sends what it was holding now."""
    preference, _ = NotificationPreference.objects.update_or_create(
        person=person, defaults={"daily_digest": daily_digest}
    )
    if not daily_digest:
        from escalate.notifications.digests import release_held

        release_held(person_id=person.pk)
    return preference


def mark_read(*, person: Person, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the person's own notifications read (all unread ones when no ids are given)."""
    rows = Notification.objects.filter(recipient=person, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=list(notification_ids))
    return rows.update(read_at=timezone.now())
