"""The hash chains verify after real services ran, and name the first tampered event.

Each partnership has its own chain; events about no one partnership, and those written
before chains were split, are on the national chain (decision record 0006).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from django.db import connection, transaction

from escalate.audit import events
from escalate.audit.chain import GENESIS, BrokenLink, ChainReport, event_hash, keyed_event_hash
from escalate.audit.keys import current_key
from escalate.audit.models import AuditEvent
from escalate.audit.services import (
    _content,
    record,
    seal_unkeyed_chains,
    verify_chain,
    verify_chains,
)
from escalate.audit.tests.support import append_only_lifted
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)

pytestmark = pytest.mark.django_db

LINK_BROKEN = "its link to the previous event does not match"


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


def chain_report(history: list[AuditEvent]) -> ChainReport:
    """The report on the chain the history's events are on (one partnership's)."""
    [partnership_id] = {event.partnership_id for event in history}
    return next(r for r in verify_chains() if r.partnership_id == partnership_id)


def test_the_chain_verifies_after_several_services_ran(history: list[AuditEvent]) -> None:
    assert [event.event for event in history[:3]] == [
        events.ESCALATION_RAISED,
        events.IMMEDIATE_RISK_ROUTE_TAKEN,
        events.CONTACT_RECORDED,
    ]
    assert history[-1].event == events.ESCALATION_CLOSED
    assert history[0].previous_hash == GENESIS
    assert all(later.previous_hash == earlier.hash for earlier, later in pairwise(history))

    report = chain_report(history)
    assert (report.name, report.checked, report.broken) == ("nel", len(history), None)


def test_events_about_an_escalation_are_on_its_partnerships_chain(
    history: list[AuditEvent],
) -> None:
    escalation = Escalation.objects.get(history=history[0])

    assert {event.partnership_id for event in history} == {escalation.partnership_id}
    assert verify_chain(None) == ChainReport(None, "national", 0)


def test_an_empty_history_verifies() -> None:
    shipped_policy("nel")

    reports = verify_chains()

    assert [r.name for r in reports[:1]] == ["national"]
    assert len(reports) > 1  # one per shipped partnership too
    assert all((r.checked, r.broken) == (0, None) for r in reports)


def test_changed_data_is_found_at_the_changed_event(history: list[AuditEvent]) -> None:
    target = history[3]

    tamper(target, data={"from": 1, "to": 5, "reason": "Skipped ahead."})

    report = chain_report(history)
    assert (report.checked, report.broken) == (
        3,
        BrokenLink(target.pk, "its content no longer matches its hash"),
    )


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

    assert chain_report(history).broken == BrokenLink(
        target.pk, "its content no longer matches its hash"
    )


def test_an_event_rewritten_with_a_fresh_plain_hash_is_found_at_itself(
    history: list[AuditEvent],
) -> None:
    target = history[4]
    target.data = {"agreed_actions": 0}
    forged = event_hash(previous_hash=target.previous_hash, content=_content(target))

    tamper(target, data=target.data, hash=forged)

    report = chain_report(history)
    assert (report.checked, report.broken) == (
        4,
        BrokenLink(target.pk, "its content no longer matches its hash"),
    )


def test_even_with_the_key_a_rewritten_event_breaks_the_next_link(
    history: list[AuditEvent],
) -> None:
    target = history[4]
    target.data = {"agreed_actions": 0}
    forged = keyed_event_hash(
        previous_hash=target.previous_hash, content=_content(target), secret=current_key().secret
    )

    tamper(target, data=target.data, hash=forged)

    report = chain_report(history)
    assert (report.checked, report.broken) == (
        5,
        BrokenLink(history[5].pk, "its link to the previous event does not match"),
    )


# --- several chains -------------------------------------------------------------------


@pytest.fixture
def two_partnerships(history: list[AuditEvent]) -> dict[str, list[AuditEvent]]:
    """NEL's history, a CSCP escalation raised after it, and one national event between."""
    cscp = shipped_policy("cscp").partnership
    school = AgencyFactory(partnership=cscp, name="Southgate Academy (invented)")
    health = AgencyFactory(partnership=cscp, name="Community Health (invented)", kind="health")
    with transaction.atomic():
        record(events.AGENCY_CREATED, actor=None, data={"agency": school.pk})
    raise_for(raised_by=PersonFactory(agency=school), other_agency=health)
    chains: dict[str, list[AuditEvent]] = {"nel": history, "national": [], "cscp": []}
    for event in AuditEvent.objects.exclude(pk__in=[e.pk for e in history]).order_by("pk"):
        chains["cscp" if event.partnership_id == cscp.pk else "national"].append(event)
    return chains


def _by_name(reports: list[ChainReport]) -> dict[str, tuple[int, BrokenLink | None]]:
    return {r.name: (r.checked, r.broken) for r in reports if r.checked or r.broken}


def test_two_partnerships_events_form_two_chains_that_each_verify(
    two_partnerships: dict[str, list[AuditEvent]],
) -> None:
    assert [len(two_partnerships[name]) for name in ("national", "cscp")] == [1, 1]
    for chain in two_partnerships.values():
        assert chain[0].previous_hash == GENESIS
        assert all(later.previous_hash == earlier.hash for earlier, later in pairwise(chain))

    assert _by_name(verify_chains()) == {
        "national": (1, None),
        "nel": (len(two_partnerships["nel"]), None),
        "cscp": (1, None),
    }


def test_tampering_in_one_chain_is_found_and_named_and_the_others_still_verify(
    two_partnerships: dict[str, list[AuditEvent]],
) -> None:
    [target] = two_partnerships["cscp"]

    tamper(target, data={"policy_version": 99})

    assert _by_name(verify_chains()) == {
        "national": (1, None),
        "nel": (len(two_partnerships["nel"]), None),
        "cscp": (0, BrokenLink(target.pk, "its content no longer matches its hash")),
    }


def test_an_event_moved_to_another_chain_breaks_both(
    two_partnerships: dict[str, list[AuditEvent]],
) -> None:
    nel = two_partnerships["nel"]
    [cscp_event] = two_partnerships["cscp"]

    tamper(nel[2], partnership_id=cscp_event.partnership_id)

    reports = _by_name(verify_chains())
    # NEL misses it; CSCP finds it first, an event older than its own, linked to NEL's.
    assert reports["nel"] == (2, BrokenLink(nel[3].pk, LINK_BROKEN))
    assert reports["cscp"] == (0, BrokenLink(nel[2].pk, LINK_BROKEN))


# --- events written before chains were split, and before the chain was keyed ------------


def _legacy_row(previous_hash: str, **values: Any) -> AuditEvent:
    """An event as the single global chain wrote it: no partnership, the old content, an
    unkeyed link."""
    content = {
        "occurred_at": values["occurred_at"].isoformat(),
        "event": values["event"],
        "actor": None,
        "escalation": str(values["escalation_id"]) if values.get("escalation_id") else None,
        "stage": values.get("stage_number"),
        "data": values.get("data", {}),
    }
    return AuditEvent.objects.create(
        previous_hash=previous_hash,
        hash=event_hash(previous_hash=previous_hash, content=content),
        data=content["data"],
        **{k: v for k, v in values.items() if k != "data"},
    )


def test_events_written_before_the_split_verify_as_the_start_of_the_national_chain(
    history: list[AuditEvent],
) -> None:
    escalation_id = history[0].escalation_id
    first = _legacy_row(
        GENESIS,
        occurred_at=datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC),
        event=events.ESCALATION_RAISED,
        escalation_id=escalation_id,
        stage_number=1,
        data={"policy_version": 1},
    )
    second = _legacy_row(
        first.hash,
        occurred_at=datetime(2026, 11, 2, 9, 31, tzinfo=UTC),
        event=events.PERSON_CREATED,
        data={"person": 1},
    )
    assert seal_unkeyed_chains() == 1  # as migration 0009 seals the chains it finds
    with transaction.atomic():
        after = record(events.AGENCY_CREATED, actor=None, data={"agency": 1})

    assert after.previous_hash == second.hash
    report = verify_chain(None)
    assert (report.checked, report.broken, report.tail_missing) == (3, None, 0)


def test_an_unkeyed_event_no_seal_covers_breaks_the_chain() -> None:
    with transaction.atomic():
        first = record(events.AGENCY_CREATED, actor=None, data={"agency": 1})
    forged = _legacy_row(
        first.hash,
        occurred_at=datetime(2026, 12, 2, 9, 31, tzinfo=UTC),
        event=events.PERSON_CREATED,
        data={"person": 1},
    )

    assert verify_chain(None).broken == BrokenLink(
        forged.pk, "it is not signed with an audit key and no seal covers it"
    )


def test_rewriting_an_unkeyed_event_before_its_seal_no_longer_matches_the_seal() -> None:
    first = _legacy_row(
        GENESIS,
        occurred_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        event=events.PERSON_CREATED,
        data={"person": 1},
    )
    seal_unkeyed_chains()
    first.data = {"person": 2}
    rewritten = event_hash(previous_hash=GENESIS, content=_content(first))

    tamper(first, data=first.data, hash=rewritten)

    assert verify_chain(None).broken == BrokenLink(
        first.pk, "its hash differs from the checkpoint's"
    )
