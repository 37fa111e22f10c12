"""The hash chain verifies after real services ran, and names the first tampered event."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from django.db import connection

from escalate.audit import events
from escalate.audit.chain import GENESIS, BrokenLink, event_hash
from escalate.audit.models import AuditEvent
from escalate.audit.services import _content, verify_chain
from escalate.audit.tests.support import append_only_lifted

pytestmark = pytest.mark.django_db


def tamper(row: AuditEvent, /, **columns: object) -> None:
    """Rewrite columns of one stored event behind the application's back."""
    json_value = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    assignments, params = [], []
    for column, value in columns.items():
        if column == "data":
            assignments.append(f"data = {json_value}")
            params.append(json.dumps(value))
        else:
            assignments.append(f"{column} = %s")
            params.append(value)
    with append_only_lifted(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE audit_auditevent SET {', '.join(assignments)} WHERE id = %s",  # noqa: S608 - column names are the test's own
            [*params, row.pk],
        )


def test_the_chain_verifies_after_several_services_ran(history: list[AuditEvent]) -> None:
    assert [event.event for event in history[:3]] == [
        events.ESCALATION_RAISED,
        events.IMMEDIATE_RISK_ROUTE_TAKEN,
        events.CONTACT_RECORDED,
    ]
    assert history[-1].event == events.ESCALATION_CLOSED
    assert history[0].previous_hash == GENESIS
    assert all(later.previous_hash == earlier.hash for earlier, later in pairwise(history))

    assert verify_chain() == (len(history), None)


def test_an_empty_history_verifies() -> None:
    assert verify_chain() == (0, None)


def test_changed_data_is_found_at_the_changed_event(history: list[AuditEvent]) -> None:
    target = history[3]

    tamper(target, data={"from": 1, "to": 5, "reason": "Skipped ahead."})

    assert verify_chain() == (3, BrokenLink(target.pk, "its content no longer matches its hash"))


@pytest.mark.parametrize(
    "columns",
    [{"event": events.ESCALATION_WITHDRAWN}, {"stage_number": 4}, {"actor_id": None}],
    ids=["event", "stage", "actor"],
)
def test_any_changed_column_breaks_the_chain(
    history: list[AuditEvent], columns: dict[str, object]
) -> None:
    target = history[2]

    tamper(target, **columns)

    assert verify_chain()[1] == BrokenLink(target.pk, "its content no longer matches its hash")


def test_an_event_rewritten_with_a_fresh_hash_breaks_the_next_link(
    history: list[AuditEvent],
) -> None:
    target = history[4]
    target.data = {"agreed_actions": 0}
    forged = event_hash(previous_hash=target.previous_hash, content=_content(target))

    tamper(target, data=target.data, hash=forged)

    assert verify_chain() == (
        5,
        BrokenLink(history[5].pk, "its link to the previous event does not match"),
    )
