"""``escalate audit verify``: 0 and a count per chain when intact; 1 and the broken chain and
event when not."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

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


def test_checkpoint_prints_one_signed_line_per_chain_and_verify_compares_with_it(
    history: list[AuditEvent], tmp_path: Path
) -> None:
    out = StringIO()

    call_command("audit", "checkpoint", "--out", str(tmp_path / "heads.jsonl"), stdout=out)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    nel = next(line for line in lines if line["chain"] == "nel")
    assert (nel["events"], nel["last_event_id"], nel["last_hash"]) == (
        len(history),
        history[-1].pk,
        history[-1].hash,
    )
    assert len(nel["signature"]) == 64
    assert (tmp_path / "heads.jsonl").read_text().splitlines() == out.getvalue().splitlines()
    verified = StringIO()
    call_command("audit", "verify", "--checkpoints", str(tmp_path / "heads.jsonl"), stdout=verified)
    assert (
        verified.getvalue()
        .splitlines()[0]
        .endswith(f"none missing since the checkpoint of {len(history)}")
    )


def test_a_published_line_with_a_changed_count_is_reported(
    history: list[AuditEvent], tmp_path: Path
) -> None:
    out = StringIO()
    call_command("audit", "checkpoint", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    for line in lines:
        line["events"] -= 1  # someone "corrects" the published copy
    published = tmp_path / "heads.jsonl"
    published.write_text("".join(json.dumps(line) + "\n" for line in lines))

    code, err = _exit_of("verify", "--checkpoints", str(published))

    assert code == 1
    assert "its signature does not verify with any configured audit key" in err


def test_an_unreadable_checkpoints_file_is_a_command_error(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text("not json\n")

    with pytest.raises(CommandError, match=r"bad\.jsonl:1 is not a checkpoint line"):
        call_command("audit", "verify", "--checkpoints", str(tmp_path / "bad.jsonl"))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("audit", "verify", "--checkpoints", str(tmp_path / "missing.jsonl"))


def _exit_of(*args: str) -> tuple[int, str]:
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("audit", *args, stdout=StringIO(), stderr=err)
    return int(exit_.value.code or 0), err.getvalue()
