"""No message ever names the child or adult, or carries any identifier of theirs.

A subject with a freshly generated name, case reference and NHS number goes through
every kind of notification, with the name typed into every free-text field too
(practitioners do that). Every template is rendered, subject, text and HTML, and
scanned; the test fails if any template was never rendered.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import pytest
from django.test.signals import template_rendered

from escalate.domain.policy import FinalStageKind, LadderRole, PartnershipRole, SubjectKind
from escalate.escalations import leavers
from escalate.escalations import services as escalation_services
from escalate.escalations.identifiers import nhs_check_digit
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import PersonFactory
from escalate.notifications import rendering
from escalate.notifications.digests import send_daily_digests
from escalate.notifications.models import Notification, NotificationPreference
from escalate.notifications.reminders import sweep_deadlines
from escalate.notifications.selectors import inbox_rows
from escalate.notifications.tests.factories import FRIDAY, Ladders

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "notifications" / "email"
MONDAY = date(2026, 12, 21)


def generated_subject() -> escalation_services.SubjectDetails:
    name = f"Zephyrine {secrets.token_hex(3).upper()} Quillfeather"
    nhs = ""
    while not nhs:  # a valid one: the service refuses a number that fails its check digit
        first_nine = "".join(secrets.choice("0123456789") for _ in range(9))
        check = nhs_check_digit(first_nine)
        nhs = f"{first_nine}{check}" if check is not None else ""
    return escalation_services.SubjectDetails(
        kind=SubjectKind.CHILD,
        name=name,
        case_reference=f"PID-{secrets.token_hex(4).upper()}",
        nhs_number=nhs,
        date_of_birth=date(2019, 3, 14),
    )


def every_kind_of_notification(nel: Ladders, subject: escalation_services.SubjectDetails) -> None:
    said = f"{subject.name} ({subject.case_reference}, NHS {subject.nhs_number}) was not seen."

    def raise_(**more: object) -> Escalation:
        return nel.raise_(
            subject=subject,
            decision_disputed=said,
            evidence=said,
            desired_outcome=said,
            subject_views=said,
            **more,
        )

    NotificationPreference.objects.create(person=nel.social_worker, daily_digest=True)
    urgent = raise_(immediate_risk=True, same_day_route_taken=True)
    escalation_services.escalate_stage(
        escalation=urgent, actor=nel.teacher, reason=said, today=MONDAY
    )
    for day in (date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 4)):
        sweep_deadlines(today=day)

    resolved = raise_()
    action = escalation_services.AgreedActionDetails(said, nel.social_worker, date(2026, 12, 29))
    resolved = nel.propose(resolved, agency="care", actions=[action], outcome=said)
    resolved = escalation_services.confirm_resolution(
        escalation=resolved, actor=nel.teacher, today=MONDAY
    )
    for day in (date(2026, 12, 24), date(2026, 12, 29), date(2026, 12, 30)):
        sweep_deadlines(today=day)
    agreed = resolved.agreed_actions.get()
    escalation_services.confirm_understanding(action=agreed, actor=nel.teacher)
    escalation_services.check_back_action(
        action=agreed, actor=nel.teacher, implemented=False, note=said
    )
    escalation_services.reopen_escalation(
        escalation=resolved, actor=nel.teacher, reason=said, to_next_stage=False, today=MONDAY
    )

    escalation_services.withdraw_escalation(
        escalation=raise_(), actor=nel.teacher, reason=said, today=MONDAY
    )
    decided = raise_()
    while not decided.is_at_final_stage:
        decided = escalation_services.escalate_stage(
            escalation=decided, actor=nel.acting(decided), reason=said, today=MONDAY
        )
    escalation_services.add_panel_member(
        escalation=decided,
        actor=nel.role(PartnershipRole.BUSINESS_MANAGER),
        member=nel.role(PartnershipRole.EXECUTIVE_MEMBER),
    )
    escalation_services.record_final_decision(
        escalation=decided,
        actor=nel.role(PartnershipRole.CHAIR),
        decided_by_kind=FinalStageKind.CHAIR_DECISION,
        decision=said,
        today=MONDAY,
    )
    # A leaver hands over to a colleague; another leaves with nobody named.
    for successor in (nel.teacher, None):
        leaver = PersonFactory(
            agency=nel.teacher.agency,
            ladder_role=LadderRole.PRACTITIONER.value,
            line_manager=nel.teacher.line_manager,
        )
        raise_(raised_by=leaver)
        leavers.leave(person=leaver, successor=successor, actor=None)
    send_daily_digests(force=True)


def test_no_rendered_message_names_the_subject_or_carries_an_identifier() -> None:
    nel = Ladders("nel")
    subject = generated_subject()
    every_kind_of_notification(nel, subject)
    rendered: set[str] = set()

    def seen(sender: object, template: object, **kwargs: object) -> None:
        rendered.add(str(getattr(template, "name", "")))

    template_rendered.connect(seen)
    try:
        texts = []
        notifications = list(Notification.objects.select_related("recipient"))
        for row in notifications:
            message = rendering.render(row, recipient_name=row.recipient.name)
            texts += [message.subject, message.text, message.html, repr(row.context)]
        texts += [row.subject for row in inbox_rows(notifications)]
    finally:
        template_rendered.disconnect(seen)

    corpus = "\n".join(texts)
    for identifier in (subject.name, subject.case_reference, subject.nhs_number, "2019"):
        assert identifier not in corpus
    for part in subject.name.split():
        assert part not in corpus
    every_template = {f"notifications/email/{path.name}" for path in TEMPLATES.iterdir()}
    assert every_template <= rendered, f"never rendered: {sorted(every_template - rendered)}"
    assert {row.kind for row in notifications} == set(Notification.Kind.values)
    assert any(row.is_urgent for row in notifications)
    lead = nel.school_people[LadderRole.SAFEGUARDING_LEAD]
    assert Notification.objects.filter(recipient=lead, is_urgent=True).exists()


def test_a_message_carries_the_reference_and_a_link() -> None:
    nel = Ladders("nel")
    escalation = nel.raise_(today=FRIDAY)
    row = Notification.objects.get(recipient=nel.social_worker)

    message = rendering.render(row, recipient_name=nel.social_worker.name)

    assert escalation.reference in message.subject
    assert f"http://testserver{escalation.get_absolute_url()}" in message.text
    assert f'href="http://testserver{escalation.get_absolute_url()}"' in message.html
    assert "Dear Care Practitioner," in message.text
    assert "by Mon 21 Dec 2026" in message.text
