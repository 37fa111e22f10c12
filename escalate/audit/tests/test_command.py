"""``escalate audit verify``: 0 and a count per chain when intact; 1 and the broken chain and
event when not."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from escalate import cli
from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.audit.services import record
from escalate.audit.tests.test_chain import tamper

pytestmark = pytest.mark.django_db


def test_verify_reports_an_intact_chain(history: list[AuditEvent]) -> None:
    out = StringIO()

    call_command("audit", "verify", stdout=out)

    assert out.getvalue() == (
        f"nel: {len(history)} events checked; chain intact; content as written; "
        "no checkpoint yet\n"
        f"{len(history)} events checked in 1 chain; every chain intact\n"
    )


def test_verify_reports_each_chain_national_first(history: list[AuditEvent]) -> None:
    with transaction.atomic():
        record(events.AGENCY_CREATED, actor=None, data={"agency": 0})
    out = StringIO()

    call_command("audit", "verify", stdout=out)

    assert out.getvalue().splitlines() == [
        "national: 1 event checked; chain intact; content as written; no checkpoint yet",
        f"nel: {len(history)} events checked; chain intact; content as written; no checkpoint yet",
        f"{len(history) + 1} events checked in 2 chains; every chain intact",
    ]


def test_verify_names_the_broken_chain_and_its_first_broken_event_and_exits_1(
    history: list[AuditEvent],
) -> None:
    with transaction.atomic():
        record(events.AGENCY_CREATED, actor=None, data={"agency": 0})
    target = history[2]
    tamper(target, data={"contact": 0, "kind": "meeting"})
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "verify", stdout=out, stderr=err)

    assert exit_.value.code == 1
    assert out.getvalue() == (
        "national: 1 event checked; chain intact; content as written; no checkpoint yet\n"
    )
    assert err.getvalue() == (
        f"nel: 2 events checked; chain broken at event {target.pk}; content as written; "
        "no checkpoint yet\n"
        f"  broken at event {target.pk}: its content no longer matches its hash. "
        "2 events before it in that chain are intact.\n"
        "1 of 2 chains failed: nel\n"
    )


def test_the_escalate_command_line_runs_it(
    history: list[AuditEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "verify"]) == 0

    assert capsys.readouterr().out.endswith(
        f"{len(history)} events checked in 1 chain; every chain intact\n"
    )


def test_an_action_is_required() -> None:
    with pytest.raises(CommandError, match="ACTION"):
        call_command("audit")
