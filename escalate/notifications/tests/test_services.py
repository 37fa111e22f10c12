"""The outbox rows each escalation service writes, in its own transaction.

Fri 18 Dec 2026 (the factories' day): NEL stage 1 is due Mon 21 Dec.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import transaction

from escalate.domain.policy import FinalStageKind, LadderRole, PartnershipRole
from escalate.escalations import services as escalation_services
from escalate.escalations.models import Escalation
from escalate.notifications import services
from escalate.notifications.models import Notification, NotificationPreference
from escalate.notifications.tests.factories import Ladders, recipients_of

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 12, 21)


@pytest.fixture
def nel() -> Ladders:
    return Ladders("nel")


def escalate(escalation: Escalation, *, actor, times: int = 1) -> Escalation:
    for _ in range(times):
        escalation = escalation_services.escalate_stage(
            escalation=escalation, actor=actor, reason="No agreement.", today=MONDAY
        )
    return escalation


def test_raising_writes_a_row_for_the_counterpart_and_both_line_managers(nel: Ladders) -> None:
    escalation = nel.raise_()

    assert recipients_of(Notification.Kind.RAISED, escalation) == {
        nel.social_worker,
        *nel.rung(LadderRole.LINE_MANAGER),
    }
    row = Notification.objects.get(recipient=nel.social_worker)
    assert row.status == Notification.Status.PENDING
    assert row.channel == Notification.Channel.EMAIL
    assert row.stage_number == 1
    assert row.context["reference"] == escalation.reference
    assert row.context["due_on"] == "2026-12-21"
    assert row.context["reasons"] == ["counterpart", "acts_at_stage"]
    assert row.idempotency_key.startswith(f"raised:{escalation.pk}:event")
    assert row.idempotency_key.endswith(f":{nel.social_worker.pk}")


def test_rows_never_hold_the_subjects_details_or_free_text(nel: Ladders) -> None:
    escalation = nel.raise_(decision_disputed="Alex Invented was not seen.")

    for row in Notification.objects.filter(escalation=escalation):
        text = repr(row.context)
        assert "Alex Invented" not in text
        assert "CASE-0001" not in text


def test_notifications_commit_and_roll_back_with_the_change(nel: Ladders) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        nel.raise_()
        assert Notification.objects.exists()
        raise RuntimeError("the change fails after its notifications were written")

    assert not Escalation.objects.exists()
    assert not Notification.objects.exists()


def test_delivery_is_queued_only_when_the_change_commits(
    nel: Ladders, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        escalation = nel.raise_()

    assert len(callbacks) == 1  # one callback queues every row of the change
    sent = Notification.objects.filter(escalation=escalation, status=Notification.Status.SENT)
    assert sent.count() == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        person.email for person in [nel.social_worker, *nel.rung(LadderRole.LINE_MANAGER)]
    )


def test_immediate_risk_tells_the_raisers_safeguarding_lead_urgently(nel: Ladders) -> None:
    escalation = nel.raise_(immediate_risk=True, same_day_route_taken=True)

    lead = nel.school_people[LadderRole.SAFEGUARDING_LEAD]
    row = Notification.objects.get(escalation=escalation, recipient=lead)
    assert row.is_urgent
    assert row.context["reasons"] == ["safeguarding_lead"]
    assert row.context["immediate_risk"] is True


def test_each_stage_tells_its_rung_and_the_people_the_policy_names(nel: Ladders) -> None:
    escalation = escalate(nel.raise_(), actor=nel.teacher)
    assert recipients_of(Notification.Kind.STAGE_ENTERED, escalation) == nel.rung(
        LadderRole.LINE_MANAGER
    )

    escalate(escalation, actor=nel.teacher, times=3)

    final = Notification.objects.filter(kind=Notification.Kind.STAGE_ENTERED, stage_number=5)
    assert {row.recipient for row in final} == {
        nel.role(PartnershipRole.BUSINESS_MANAGER),
        nel.role(PartnershipRole.CHAIR),
    }


def test_cscp_sends_the_notification_form_to_the_business_manager_from_stage_3() -> None:
    cscp = Ladders("cscp")
    escalation = escalate(cscp.raise_(), actor=cscp.teacher, times=2)

    row = Notification.objects.get(
        escalation=escalation,
        kind=Notification.Kind.STAGE_ENTERED,
        stage_number=3,
        recipient=cscp.role(PartnershipRole.BUSINESS_MANAGER),
    )
    assert row.context["reasons"] == ["notification_form"]


def test_the_outcome_goes_to_every_party_the_raiser_included(nel: Ladders) -> None:
    escalation = escalate(nel.raise_(), actor=nel.teacher)
    manager = nel.care_people[LadderRole.LINE_MANAGER]

    escalation_services.resolve_escalation(
        escalation=escalation, actor=manager, agreed_outcome="Agreed.", actions=[], today=MONDAY
    )

    rows = Notification.objects.filter(kind=Notification.Kind.OUTCOME)
    assert {row.recipient for row in rows} == {
        nel.teacher,
        nel.social_worker,
        *nel.rung(LadderRole.LINE_MANAGER),
    }
    assert {row.context["outcome"] for row in rows} == {"resolved"}


def test_withdrawing_and_deciding_are_outcomes_too(nel: Ladders) -> None:
    withdrawn = escalation_services.withdraw_escalation(
        escalation=nel.raise_(), actor=nel.teacher, reason="Resolved informally.", today=MONDAY
    )
    decided = escalate(nel.raise_(), actor=nel.teacher, times=4)
    escalation_services.record_final_decision(
        escalation=decided,
        actor=nel.role(PartnershipRole.CHAIR),
        decided_by_kind=FinalStageKind.CHAIR_DECISION,
        decision="A strategy discussion this week.",
        today=MONDAY,
    )

    outcomes = dict(
        Notification.objects.filter(
            kind=Notification.Kind.OUTCOME, recipient=nel.teacher
        ).values_list("escalation_id", "context__outcome")
    )
    assert outcomes == {withdrawn.pk: "withdrawn", decided.pk: "decided"}


def test_writing_the_same_event_twice_writes_each_row_once(nel: Ladders) -> None:
    escalation = nel.raise_()
    before = Notification.objects.count()

    again = services.notify_raised(escalation=escalation, actor=nel.teacher)

    assert again == []
    assert Notification.objects.count() == before


def test_someone_on_the_daily_digest_has_non_urgent_rows_held(nel: Ladders) -> None:
    NotificationPreference.objects.create(person=nel.social_worker, daily_digest=True)

    nel.raise_()
    urgent = nel.raise_(immediate_risk=True, same_day_route_taken=True)

    held = Notification.objects.get(recipient=nel.social_worker, escalation__immediate_risk=False)
    sent_alone = Notification.objects.get(recipient=nel.social_worker, escalation=urgent)
    assert held.awaits_digest
    assert not sent_alone.awaits_digest


def test_turning_the_digest_off_releases_what_it_held(
    nel: Ladders, django_capture_on_commit_callbacks
) -> None:
    services.set_daily_digest(person=nel.social_worker, daily_digest=True)
    nel.raise_()

    with django_capture_on_commit_callbacks(execute=True):
        services.set_daily_digest(person=nel.social_worker, daily_digest=False)

    row = Notification.objects.get(recipient=nel.social_worker)
    assert not row.awaits_digest
    assert row.status == Notification.Status.SENT


def test_marking_read_touches_only_the_persons_own_rows(nel: Ladders) -> None:
    nel.raise_()
    mine = Notification.objects.get(recipient=nel.social_worker)
    theirs = Notification.objects.exclude(recipient=nel.social_worker).first()
    assert theirs is not None

    assert services.mark_read(person=nel.social_worker, notification_ids=[mine.pk, theirs.pk]) == 1

    theirs.refresh_from_db()
    assert theirs.read_at is None
