"""Escalation ids: time-ordered (version 7), so a new case's rows share index pages."""

from __future__ import annotations

import time
import uuid

import pytest

from escalate.escalations.models import new_escalation_id
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.policies.models import Partnership


def test_ids_made_one_after_another_sort_in_the_order_made() -> None:
    ids = []
    for _ in range(50):
        ids.append(new_escalation_id())
        time.sleep(0.001)  # a new millisecond: within one the order is random by design

    assert ids == sorted(ids)
    assert {value.version for value in ids} == {7}
    assert len(set(ids)) == len(ids)


def test_an_id_is_a_plain_uuid_that_starts_with_the_time_it_was_made() -> None:
    before = time.time_ns() // 1_000_000
    value = new_escalation_id()
    after = time.time_ns() // 1_000_000

    assert type(value) is uuid.UUID  # not a library subclass: serialisers see the standard type
    assert before <= value.int >> 80 <= after


@pytest.mark.django_db
def test_a_raised_escalation_gets_a_time_ordered_id() -> None:
    partnership: Partnership = shipped_policy("nel").partnership
    school = AgencyFactory(partnership=partnership, name="Brookfield Primary")
    social_care = AgencyFactory(partnership=partnership, name="Children's Social Care")

    escalation = raise_for(raised_by=PersonFactory(agency=school), other_agency=social_care)

    assert escalation.pk.version == 7
