from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.retention import REMOVED, apply_retention
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory, raise_for
from escalate.policies.models import RetentionRule

pytestmark = pytest.mark.django_db
RAISED = date(2026, 12, 18)


@pytest.fixture
def withdrawn() -> Escalation:
    school = AgencyFactory(name="Brookfield Primary")
    social_care = AgencyFactory(name="Children's Social Care", kind="childrens_social_care")
    raiser = PersonFactory(agency=school)
    escalation = raise_for(raised_by=raiser, other_agency=social_care, today=RAISED)
    services.record_contact(
        escalation=escalation,
        actor=raiser,
        kind="telephone",
        between="Raiser and the duty social worker",
        summary="Discussed the bruising.",
        outcome="Agreed to talk again.",
        decision_makers="",
        happened_on=RAISED,
        today=RAISED,
    )
    return services.withdraw_escalation(
        escalation=escalation, actor=raiser, reason="Moved out of area.", today=RAISED
    )


def _keep_withdrawn_for(escalation: Escalation, days: int) -> None:
    RetentionRule.objects.create(
        partnership=escalation.partnership,
        record_type=RetentionRule.RecordType.WITHDRAWN_ESCALATION,
        keep_for_days=days,
    )


def test_a_withdrawn_escalation_past_its_period_is_anonymised(withdrawn: Escalation) -> None:
    _keep_withdrawn_for(withdrawn, 365)

    report = apply_retention(now=timezone.now() + timedelta(days=366))

    withdrawn.refresh_from_db()
    assert report.anonymised["nel"] == 1
    assert withdrawn.subject.name == REMOVED
    assert withdrawn.subject.case_reference == ""
    assert withdrawn.decision_disputed == REMOVED
    assert withdrawn.contacts.get().summary == REMOVED
    assert withdrawn.reference.startswith("NEL-2026-")
    assert AuditEvent.objects.filter(event=events.ESCALATION_ANONYMISED).count() == 1


def test_nothing_is_anonymised_before_the_period_ends(withdrawn: Escalation) -> None:
    _keep_withdrawn_for(withdrawn, 365)

    report = apply_retention(now=timezone.now() + timedelta(days=364))

    withdrawn.refresh_from_db()
    assert report.lines() == ["Nothing has passed its retention period."]
    assert withdrawn.subject.name == "Alex Invented"


def test_a_legal_hold_keeps_the_record_and_is_reported(withdrawn: Escalation) -> None:
    _keep_withdrawn_for(withdrawn, 30)
    Escalation.objects.filter(pk=withdrawn.pk).update(legal_hold=True, legal_hold_reason="Inquiry")

    report = apply_retention(now=timezone.now() + timedelta(days=400))

    withdrawn.refresh_from_db()
    assert report.lines() == ["nel: 0 anonymised, 1 kept under legal hold"]
    assert withdrawn.subject.name == "Alex Invented"


def test_the_dry_run_command_reports_and_changes_nothing(withdrawn: Escalation, capsys) -> None:
    _keep_withdrawn_for(withdrawn, 0)

    call_command("apply_retention", "--dry-run")

    withdrawn.refresh_from_db()
    assert "Would be: nel: 1 anonymised, 0 kept under legal hold" in capsys.readouterr().out
    assert withdrawn.anonymised_at is None
