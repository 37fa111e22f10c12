"""``escalate audit verify``: 0 and a count when intact; 1 and the broken event when not."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from escalate import cli
from escalate.audit.models import AuditEvent
from escalate.audit.tests.test_chain import tamper

pytestmark = pytest.mark.django_db


def test_verify_reports_an_intact_chain(history: list[AuditEvent]) -> None:
    out = StringIO()

    call_command("audit", "verify", stdout=out)

    assert out.getvalue() == f"{len(history)} events checked; chain intact\n"


def test_verify_names_the_first_broken_event_and_exits_1(history: list[AuditEvent]) -> None:
    target = history[2]
    tamper(target, data={"contact": 0, "kind": "meeting"})
    err = StringIO()

    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "verify", stdout=StringIO(), stderr=err)

    assert exit_.value.code == 1
    assert err.getvalue() == (
        f"Audit chain broken at event {target.pk}: its content no longer matches its hash. "
        "2 events before it are intact.\n"
    )


def test_the_escalate_command_line_runs_it(
    history: list[AuditEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "verify"]) == 0

    assert capsys.readouterr().out == f"{len(history)} events checked; chain intact\n"


def test_an_action_is_required() -> None:
    with pytest.raises(CommandError, match="ACTION"):
        call_command("audit")
