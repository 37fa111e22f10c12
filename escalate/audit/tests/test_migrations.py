"""A history written before decision 22 still verifies after migrating, sealed, not rewritten;
and the append-only triggers are still there afterwards, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, transaction

from escalate.audit import events
from escalate.audit.chain import GENESIS, event_hash
from escalate.audit.models import AuditEvent, Checkpoint
from escalate.audit.services import record, verify_chain
from escalate.escalations.tests.test_migrations import _migrate

BEFORE = [("audit", "0006_reads_in_page_order")]


@pytest.mark.django_db(transaction=True)
def test_a_history_from_before_is_sealed_and_verifies_and_stays_append_only() -> None:
    old = _migrate(BEFORE)
    previous = GENESIS
    written = []
    for minute, name in enumerate([events.AGENCY_CREATED, events.PERSON_CREATED]):
        occurred_at = datetime(2026, 11, 2, 9, minute, tzinfo=UTC)
        content = {
            "occurred_at": occurred_at.isoformat(),
            "event": name,
            "actor": None,
            "escalation": None,
            "stage": None,
            "data": {"n": minute},
        }
        row = old.get_model("audit", "AuditEvent").objects.create(
            occurred_at=occurred_at,
            event=name,
            data=content["data"],
            previous_hash=previous,
            hash=event_hash(previous_hash=previous, content=content),
        )
        previous = row.hash
        written.append(row.pk)

    _migrate(None)

    [seal] = Checkpoint.objects.all()
    assert (seal.seals_unkeyed, seal.events, seal.last_event_id) == (True, 2, written[-1])
    assert list(AuditEvent.objects.values_list("key_id", flat=True)) == [None, None]
    with transaction.atomic():
        after = record(events.AGENCY_CREATED, actor=None)
    assert after.key_id is not None
    report = verify_chain(None)
    assert (report.checked, report.broken, report.mismatches, report.tail_missing) == (
        3,
        None,
        (),
        0,
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=written[0]).update(data={})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Checkpoint.objects.all().update(events=0)
