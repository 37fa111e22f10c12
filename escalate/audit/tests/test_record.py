"""``record()`` writes declared events inside the change's own transaction, or not at all."""

from __future__ import annotations

import pytest
from django.db import transaction

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.audit.services import record
from escalate.escalations.tests.factories import PersonFactory


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
def test_a_recorded_event_names_its_actor_and_chains_to_the_last() -> None:
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


def test_every_declared_event_is_dotted_and_labelled() -> None:
    declared = {
        value for name, value in vars(events).items() if name.isupper() and isinstance(value, str)
    }

    assert declared == set(events.LABELS)
    assert all(len(name.split(".")) == 2 for name in declared)
    assert all(label.strip() for label in events.LABELS.values())
