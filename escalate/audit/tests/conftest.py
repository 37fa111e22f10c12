from __future__ import annotations

from datetime import date

import pytest

from escalate.audit.models import AuditEvent
from escalate.domain.policy import ChecklistItem
from escalate.escalations import services
from escalate.escalations.models import Contact
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory, raise_for

MONDAY = date(2026, 12, 21)


@pytest.fixture
def history(db: None) -> list[AuditEvent]:
    """The events several services leave behind: one escalation from raise to close."""
    school = AgencyFactory(name="Brookfield Primary")
    social_care = AgencyFactory(name="Children's Social Care", kind="childrens_social_care")
    teacher = PersonFactory(agency=school, name="Tess Teacher")
    social_worker = PersonFactory(agency=social_care, name="Sol Worker")
    # NEL stage 2 belongs to the line managers of each agency (docs/domain.md decision 7).
    managers = {
        school.pk: PersonFactory(agency=school, name="Mia Manager", ladder_role="line_manager"),
        social_care.pk: PersonFactory(
            agency=social_care, name="Mo Manager", ladder_role="line_manager"
        ),
    }
    escalation = raise_for(
        raised_by=teacher,
        other_agency=social_care,
        counterpart=social_worker,
        immediate_risk=True,
        same_day_route_taken=True,
    )
    services.record_contact(
        escalation=escalation,
        actor=social_worker,
        kind=Contact.Kind.TELEPHONE,
        between="Tess Teacher and Sol Worker",
        summary="Talked it through.",
        outcome="No agreement.",
        decision_makers="",
        happened_on=MONDAY,
        today=MONDAY,
    )
    escalation = services.escalate_stage(
        escalation=escalation, actor=teacher, reason="No agreement.", today=MONDAY
    )
    escalation = services.resolve_escalation(
        escalation=escalation,
        actor=managers[social_care.pk],
        agreed_outcome="Strategy discussion.",
        actions=[services.AgreedActionDetails("Hold it.", social_worker, MONDAY)],
        today=MONDAY,
    )
    escalation = services.confirm_resolution(
        escalation=escalation, actor=managers[school.pk], today=MONDAY
    )
    action = escalation.agreed_actions.get()
    services.confirm_understanding(action=action, actor=teacher)
    services.check_back_action(action=action, actor=teacher, implemented=True, note="Held.")
    for slot in services.outstanding_checklist(escalation):
        services.tick_checklist_item(
            escalation=escalation,
            actor=managers[slot.agency_id or school.pk],
            item=ChecklistItem(slot.item),
            is_done=True,
        )
    services.close_escalation(escalation=escalation, actor=teacher)
    return list(AuditEvent.objects.order_by("pk"))
