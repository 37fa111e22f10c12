"""``record()`` writes declared events inside the change's own transaction, or not at all."""

from __future__ import annotations

import pytest
from django.db import transaction

from escalate.audit import events
from escalate.audit.chain import GENESIS
from escalate.audit.models import AuditEvent
from escalate.audit.services import record
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused() -> None:
    actor = PersonFactory()

    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(events.ESCALATION_RAISED, actor=actor)

    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_undeclared_event_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Undeclared audit event 'escalation\.exploded'"):
        record("escalation.exploded", actor=None)

    assert not AuditEvent.objects.exists()


class _ChangeFailed(Exception):
    pass


@pytest.mark.django_db
def test_an_event_rolls_back_with_the_change_it_records() -> None:
    with pytest.raises(_ChangeFailed), transaction.atomic():
        record(events.ESCALATION_RAISED, actor=None)
        raise _ChangeFailed

    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_recorded_event_names_its_actor_and_chains_to_the_last_on_its_chain() -> None:
    actor = PersonFactory()
    with transaction.atomic():
        first = record(events.ESCALATION_RAISED, actor=actor, data={"policy_version": 1})
        second = record(events.ESCALATION_CLOSED, actor=None, stage_number=2)

    assert (first.actor, first.data, first.label) == (
        actor,
        {"policy_version": 1},
        "Escalation raised",
    )
    assert second.previous_hash == first.hash
    assert second.stage_number == 2


@pytest.mark.django_db
def test_an_event_about_an_escalation_goes_on_its_partnerships_chain() -> None:
    school, care = AgencyFactory(), AgencyFactory(kind="childrens_social_care")
    escalation = raise_for(raised_by=PersonFactory(agency=school), other_agency=care)
    with transaction.atomic():
        national = record(events.AGENCY_CREATED, actor=None)
        ours = record(events.ESCALATION_CLOSED, actor=None, escalation=escalation)

    raised = AuditEvent.objects.filter(escalation=escalation).first()
    assert raised is not None
    assert (raised.partnership_id, raised.previous_hash) == (escalation.partnership_id, GENESIS)
    assert ours.partnership_id == escalation.partnership_id
    assert ours.previous_hash == raised.hash
    assert (national.partnership_id, national.previous_hash) == (None, GENESIS)


@pytest.mark.django_db
def test_a_caller_may_name_the_partnership_of_an_event_about_no_escalation() -> None:
    nel, cscp = shipped_policy("nel").partnership, shipped_policy("cscp").partnership
    with transaction.atomic():
        first = record(events.DIRECTORY_IMPORTED, actor=None, partnership=nel)
        other = record(events.DIRECTORY_IMPORTED, actor=None, partnership=cscp)
        second = record(events.DIRECTORY_IMPORTED, actor=None, partnership=nel)

    assert (first.partnership, other.partnership) == (nel, cscp)
    assert (first.previous_hash, other.previous_hash) == (GENESIS, GENESIS)
    assert second.previous_hash == first.hash


@pytest.mark.django_db
def test_an_escalation_and_another_partnership_are_refused() -> None:
    escalation = raise_for(raised_by=PersonFactory(), other_agency=AgencyFactory())
    with pytest.raises(ValueError, match="that escalation's partnership"), transaction.atomic():
        record(
            events.ESCALATION_CLOSED,
            actor=None,
            escalation=escalation,
            partnership=shipped_policy("cscp").partnership,
        )


def test_every_declared_event_is_dotted_and_labelled() -> None:
    declared = {
        value for name, value in vars(events).items() if name.isupper() and isinstance(value, str)
    }

    assert declared == set(events.LABELS)
    assert all(len(name.split(".")) == 2 for name in declared)
    assert all(label.strip() for label in events.LABELS.values())
