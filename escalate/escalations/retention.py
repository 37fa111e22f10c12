"""Anonymising finished escalations once the partnership's retention period has passed.

What stays: the reference, agencies, categories, stage dates and outcomes kinds, so the
partnership's figures still add up. What goes: everything that names or describes the
child or adult, and every free-text narrative.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet

from escalate.audit import events
from escalate.audit.services import anonymise_texts, record
from escalate.escalations.attachments import delete_attachments
from escalate.escalations.models import (
    AgreedAction,
    ChecklistTick,
    Contact,
    Correction,
    Escalation,
    FinalDecision,
    Representation,
    ResolutionProposal,
    StageEntry,
    Subject,
)
from escalate.policies.models import RetentionRule

REMOVED = "[removed at the end of the retention period]"
_STATUS_FOR_RECORD_TYPE = {
    RetentionRule.RecordType.CLOSED_ESCALATION: Escalation.Status.CLOSED,
    RetentionRule.RecordType.WITHDRAWN_ESCALATION: Escalation.Status.WITHDRAWN,
}


@dataclass
class RetentionReport:
    anonymised: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        partnerships = sorted(set(self.anonymised) | set(self.held))
        if not partnerships:
            return ["Nothing has passed its retention period."]
        return [
            f"{slug}: {self.anonymised[slug]} anonymised, {self.held[slug]} kept under legal hold"
            for slug in partnerships
        ]


def due_for_anonymising(*, now: datetime) -> QuerySet[Escalation]:
    """Finished escalations past their partnership's retention period, not yet anonymised."""
    due = Q(pk__in=[])
    for rule in RetentionRule.objects.all():
        due |= Q(
            partnership_id=rule.partnership_id,
            status=_STATUS_FOR_RECORD_TYPE[RetentionRule.RecordType(rule.record_type)],
            closed_at__lte=now - timedelta(days=rule.keep_for_days),
        )
    return Escalation.objects.filter(due, anonymised_at=None).select_related("partnership")


def apply_retention(*, now: datetime, dry_run: bool = False) -> RetentionReport:
    report = RetentionReport()
    for escalation in due_for_anonymising(now=now):
        slug = escalation.partnership.slug
        if escalation.legal_hold:
            report.held[slug] += 1
            continue
        report.anonymised[slug] += 1
        if not dry_run:
            anonymise(escalation, now=now)
    return report


@transaction.atomic
def anonymise(escalation: Escalation, *, now: datetime) -> None:
    Subject.objects.filter(pk=escalation.subject_id).update(
        name=REMOVED, date_of_birth=None, case_reference="", nhs_number=""
    )
    Escalation.objects.filter(pk=escalation.pk).update(
        decision_disputed=REMOVED,
        evidence=REMOVED,
        desired_outcome=REMOVED,
        subject_views=REMOVED,
        anonymised_at=now,
    )
    Contact.objects.filter(escalation=escalation).update(
        between=REMOVED, summary=REMOVED, outcome=REMOVED, decision_makers=REMOVED
    )
    StageEntry.objects.filter(escalation=escalation).update(outcome_reason=REMOVED)
    AgreedAction.objects.filter(escalation=escalation).update(
        description=REMOVED, check_note=REMOVED
    )
    ChecklistTick.objects.filter(escalation=escalation).exclude(not_done_reason="").update(
        not_done_reason=REMOVED
    )
    Representation.objects.filter(escalation=escalation).update(text=REMOVED)
    FinalDecision.objects.filter(escalation=escalation).update(decision=REMOVED)
    Correction.objects.filter(escalation=escalation).update(version=None, reason=REMOVED)
    # A proposal's outcome and actions are the agencies' own words about the case.
    ResolutionProposal.objects.filter(escalation=escalation).update(
        agreed_outcome=REMOVED, actions=[]
    )
    delete_attachments(escalation)  # the files may name or describe the subject
    # The reasons the history keeps beside its events; the chain keeps their digests.
    anonymise_texts(escalation=escalation, now=now)
    record(events.ESCALATION_ANONYMISED, actor=None, escalation=escalation)
