"""Everything Escalate holds about one subject, for the data protection officer.

A subject access request needs every record, so this reads past the usual case
access rule; it is reachable only by a partnership's data protection officer and
each export is itself recorded in the read trail.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from escalate.audit.models import AuditEvent, ReadEvent
from escalate.escalations.attachments import attachment_metadata
from escalate.escalations.models import Escalation, Subject
from escalate.organisations.models import Person
from escalate.policies.models import Partnership


def partnerships_for_data_protection(person: Person) -> QuerySet[Partnership]:
    return Partnership.objects.filter(
        role_assignments__person=person, role_assignments__role="data_protection_officer"
    ).distinct()


def find_subjects(person: Person, *, query: str) -> QuerySet[Subject]:
    """Subjects in the officer's partnerships matching a name, reference or NHS number."""
    query = query.strip()
    if not query:
        return Subject.objects.none()
    digits = query.replace(" ", "")
    return Subject.objects.filter(
        Q(partnership__in=partnerships_for_data_protection(person))
        & (Q(name__icontains=query) | Q(case_reference__iexact=query) | Q(nhs_number=digits))
    ).order_by("name", "pk")


def subject_export(subject: Subject) -> dict[str, Any]:
    escalations = Escalation.objects.filter(subject=subject).select_related(
        "raising_agency", "other_agency", "raised_by", "counterpart", "policy"
    )
    return {
        "subject": {
            "kind": subject.kind,
            "name": subject.name,
            "date_of_birth": subject.date_of_birth.isoformat() if subject.date_of_birth else None,
            "case_reference": subject.case_reference,
            "nhs_number": subject.nhs_number,
            "partnership": subject.partnership.name,
        },
        "escalations": [_escalation(escalation) for escalation in escalations],
    }


def _escalation(escalation: Escalation) -> dict[str, Any]:
    return {
        "reference": escalation.reference,
        "status": escalation.status,
        "raised_on": escalation.raised_on.isoformat(),
        "policy_version": escalation.policy.version,
        "raising_agency": escalation.raising_agency.name,
        "other_agency": escalation.other_agency.name,
        "raised_by": escalation.raised_by.name,
        "counterpart": escalation.counterpart.name if escalation.counterpart else None,
        "category": escalation.category,
        "decision_disputed": escalation.decision_disputed,
        "evidence": escalation.evidence,
        "desired_outcome": escalation.desired_outcome,
        "subject_views": escalation.subject_views,
        "immediate_risk": escalation.immediate_risk,
        "stages": list(
            escalation.stage_entries.values(
                "number", "entered_on", "due_on", "outcome", "outcome_reason", "ended_on"
            )
        ),
        "contacts": list(
            escalation.contacts.values(
                "id",
                "stage_number",
                "kind",
                "between",
                "summary",
                "outcome",
                "decision_makers",
                "happened_on",
            )
        ),
        "agreed_actions": list(
            escalation.agreed_actions.values(
                "stage_number",
                "description",
                "owner__name",
                "due_on",
                "implementation",
                "check_note",
            )
        ),
        "representations": list(escalation.representations.values("agency__name", "text")),
        "final_decisions": list(
            escalation.final_decisions.values("id", "decided_by_kind", "decision", "decided_on")
        ),
        # Contacts and decisions above read as first recorded; each correction holds the
        # answers as corrected, and why (decision 0025).
        "corrections": list(
            escalation.corrections.values(
                "contact_id",
                "final_decision_id",
                "version",
                "reason",
                "corrected_by__name",
                "corrected_at",
            )
        ),
        # The JSON export lists the attached files (name, type, size, hash), not their
        # content: decision 0021 says how the files themselves are provided.
        "attachments": attachment_metadata(escalation),
        "history": list(
            AuditEvent.objects.filter(escalation=escalation).values(
                "occurred_at", "event", "actor__name", "stage_number"
            )
        ),
        "seen_by": list(
            ReadEvent.objects.filter(escalation=escalation).values(
                "occurred_at", "reader__name", "what", "detail"
            )
        ),
    }
