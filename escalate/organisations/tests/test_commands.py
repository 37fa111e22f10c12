"""``escalate import_directory``: the same checks and report as the import page."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from escalate.organisations.models import Agency, Person


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_directory", *args, stdout=out)
    return out.getvalue()


def test_a_good_file_imports_every_row(tmp_path: Path, partnership) -> None:
    path = tmp_path / "agencies.csv"
    path.write_text("name,kind\nHarbour,voluntary\nPolice Unit,police\n", encoding="utf-8")

    output = run("riverside", str(path), "--kind", "agencies")

    assert "All 2 rows passed the checks." in output
    assert "2 agencies imported." in output
    assert Agency.objects.filter(partnership=partnership).count() == 2


def test_a_rejected_row_prints_the_report_imports_nothing_and_exits_1(
    tmp_path: Path, partnership, school
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "name,email,job_title,agency,ladder_role,line_manager_email,partnership_roles\n"
        "Sam,sam@example.org,,Brookfield Primary School,practitioner,,\n"
        "Lee,lee@example.org,,Brookfield Primary School,boss,,\n",
        encoding="utf-8",
    )
    out = StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("import_directory", "riverside", str(path), "--kind", "people", stdout=out)

    assert failure.value.returncode == 1
    assert f"{path}: Row 3, ladder_role 'boss': is not a ladder role" in out.getvalue()
    assert "1 of 2 rows was rejected." in out.getvalue()
    assert not Person.objects.filter(email="sam@example.org").exists()


def test_check_only_imports_nothing(tmp_path: Path, partnership) -> None:
    path = tmp_path / "agencies.csv"
    path.write_bytes("name,kind\nHarbour,voluntary\n".encode("utf-8-sig"))

    output = run("riverside", str(path), "--kind", "agencies", "--check")

    assert "Checked only: nothing was imported." in output
    assert not Agency.objects.exists()


def test_an_unknown_partnership_is_refused(tmp_path: Path, partnership) -> None:
    with pytest.raises(
        CommandError, match="No partnership 'nowhere'; known partnerships: riverside"
    ):
        run("nowhere", str(tmp_path / "missing.csv"), "--kind", "agencies")


def test_a_missing_file_is_refused(tmp_path: Path, partnership) -> None:
    with pytest.raises(CommandError, match="cannot read the file"):
        run("riverside", str(tmp_path / "missing.csv"), "--kind", "agencies")
