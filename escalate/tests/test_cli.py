"""The ``escalate policy`` command: list, check and timeline, and how it fails.

Bad input must end with a non-zero exit code and one line on stderr, never a
traceback, because administrators run this by hand and in CI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main
from escalate.domain.policy_loading import load_policy_text
from escalate.policy_library import SHIPPED_DIR

SHIPPED_NAMES = ["cscp", "devon-preschool", "greenwich", "nel", "worcestershire"]
NEL_PATH = SHIPPED_DIR / "nel.toml"

WORKED_EXAMPLE = {
    "policy": "nel",
    "raised": "2026-12-18",
    "stages": [
        {"number": 1, "name": "Practitioner to escalate to line manager", "due": "2026-12-21"},
        {
            "number": 2,
            "name": "Escalate to organisation safeguarding representative",
            "due": "2026-12-31",
        },
        {"number": 3, "name": "Escalate to head of service", "due": "2027-01-06"},
        {"number": 4, "name": "Escalate to assistant director", "due": "2027-01-12"},
        {"number": 5, "name": "Escalate to the partnership or board chair", "due": "2027-01-21"},
    ],
    "target_due": "2027-01-21",
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``escalate <argv>``; argparse errors exit."""
    try:
        code: Any = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return int(code), out, err


def broken_nel(tmp_path: Path) -> Path:
    text = NEL_PATH.read_text(encoding="utf-8")
    for old, new in [
        ('nation = "england-and-wales"', 'nation = "wales"'),
        ("may_start_at = [1]", "may_start_at = [1, 7]"),
        ("days = 11 }", "days = 8 }"),
    ]:
        assert text.count(old) == 1
        text = text.replace(old, new)
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- policy list ----------------------------------------------------------------------


def test_policy_list_names_the_five_shipped_policies(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["policy", "list"], capsys)

    assert code == 0
    assert err == ""
    assert [line.split()[0] for line in out.splitlines()] == SHIPPED_NAMES
    assert "Greenwich Safeguarding Children Board" in out


# --- policy check ---------------------------------------------------------------------


def test_policy_check_passes_every_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(SHIPPED_DIR / f"{name}.toml") for name in SHIPPED_NAMES]

    code, out, err = run(["policy", "check", *files], capsys)

    assert code == 0
    assert err == ""
    for name in files:
        assert f"{name}: ok (" in out


def test_policy_check_prints_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = broken_nel(tmp_path)
    problems = load_policy_text(path.read_text(encoding="utf-8")).problems

    code, out, _ = run(["policy", "check", str(path)], capsys)

    lines = out.splitlines()
    assert code == 1
    assert len(lines) == len(problems)
    assert all(line.startswith(f"{path}:") for line in lines)
    for field in ("calendar.nation", "immediate_risk.may_start_at[2]", "stages[3].deadline.days"):
        assert any(line.startswith(f"{path}:{field}: error: ") for line in lines), field
    assert ": ok (" not in out


def test_policy_check_fails_if_any_file_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = broken_nel(tmp_path)

    code, out, _ = run(["policy", "check", str(SHIPPED_DIR / "cscp.toml"), str(broken)], capsys)

    assert code == 1
    assert f"{SHIPPED_DIR / 'cscp.toml'}: ok (0 warning(s))" in out


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"", "error: the file is empty", id="empty"),
        pytest.param(b"schema = \n", "error: not valid TOML", id="malformed"),
        pytest.param(
            b'schema = 1\nname = "\xff\xfe"\n',
            "cannot read the file (not UTF-8 text)",
            id="latin-1",
        ),
    ],
)
def test_policy_check_reports_an_unusable_file_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(content)

    code, out, _ = run(["policy", "check", str(path)], capsys)

    assert code == 1
    assert out.count("\n") == 1
    assert out.startswith(f"{path}: ")
    assert reason in out


def test_policy_check_reports_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "missing.toml"

    code, out, _ = run(["policy", "check", str(path)], capsys)

    assert code == 1
    assert out == f"{path}: error: cannot read the file (no such file or directory)\n"


# --- policy timeline ------------------------------------------------------------------


def test_timeline_json_is_the_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["policy", "timeline", "nel", "--raised", "2026-12-18", "--json"], capsys)

    assert code == 0
    assert err == ""
    assert json.loads(out) == WORKED_EXAMPLE


def test_timeline_accepts_a_file_path_as_policy(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["policy", "timeline", str(NEL_PATH), "--raised", "2026-12-18", "--json"]

    code, out, _ = run(argv, capsys)

    assert code == 0
    assert json.loads(out) == WORKED_EXAMPLE


def test_timeline_from_a_file_uses_that_files_calendar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nel-scotland.toml"
    text = NEL_PATH.read_text(encoding="utf-8")
    path.write_text(text.replace('"england-and-wales"', '"scotland"'), encoding="utf-8")

    code, out, _ = run(
        ["policy", "timeline", str(path), "--raised", "2026-12-18", "--json"], capsys
    )

    # Mon 4 Jan 2027 is a bank holiday in Scotland (2 January falls on a Saturday).
    assert code == 0
    assert [stage["due"] for stage in json.loads(out)["stages"]] == [
        "2026-12-21",
        "2026-12-31",
        "2027-01-07",
        "2027-01-13",
        "2027-01-22",
    ]


def test_timeline_text_shows_each_due_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["policy", "timeline", "nel", "--raised", "2026-12-18"], capsys)

    assert code == 0
    assert "Raised Friday 18 December 2026" in out
    assert "Stage 4: Escalate to assistant director: due Tue 12 Jan 2027" in out
    assert "Overall target: Thu 21 Jan 2027" in out


def test_timeline_with_immediate_risk_is_due_the_same_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["policy", "timeline", "nel", "--raised", "2026-12-18", "--immediate-risk", "--json"]

    code, out, _ = run(argv, capsys)

    assert code == 0
    assert json.loads(out)["stages"][0]["due"] == "2026-12-18"


def test_timeline_by_entry_route_starts_at_its_stage(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["policy", "timeline", "greenwich", "--raised", "2026-12-18", "--route", "refused_icpc"]

    code, out, _ = run([*argv, "--json"], capsys)

    assert code == 0
    stages = json.loads(out)["stages"]
    assert [(stage["number"], stage["due"]) for stage in stages] == [
        (4, None),
        (5, None),
        (6, None),
    ]


def test_timeline_text_says_as_soon_as_possible_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["policy", "timeline", "cscp", "--raised", "2026-12-18"], capsys)

    assert code == 0
    stage_lines = [line for line in out.splitlines() if line.lstrip().startswith("Stage")]
    assert len(stage_lines) == 5
    assert all(line.count("as soon as possible") == 1 for line in stage_lines)


def test_timeline_text_explains_a_same_day_first_stage(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["policy", "timeline", "nel", "--raised", "2026-12-18", "--immediate-risk"]

    code, out, _ = run(argv, capsys)

    assert code == 0
    assert "Stage 1: Practitioner to escalate to line manager: due Fri 18 Dec 2026" in out
    assert "immediate risk" in out.splitlines()[2]


# --- bad input: non-zero exit, one line on stderr, no traceback -----------------------


def write(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize(
    ("policy", "extra", "fragment"),
    [
        pytest.param("malformed", [], "not valid TOML", id="malformed-file"),
        pytest.param("empty", [], "the file is empty", id="empty-file"),
        pytest.param("no-such-policy", [], "unknown policy 'no-such-policy'", id="unknown-policy"),
        pytest.param("missing", [], "no policy file at", id="missing-file"),
        pytest.param("latin-1", [], "not UTF-8", id="non-utf8-file"),
        pytest.param("nel", ["--start-stage", "9"], "has no stage 9", id="start-stage-9"),
        pytest.param("nel", ["--route", "nope"], "no entry route 'nope'", id="unknown-route"),
        pytest.param(
            "greenwich",
            ["--immediate-risk", "--start-stage", "2"],
            "may start only at stage 1",
            id="immediate-risk-at-a-stage-not-allowed",
        ),
    ],
)
def test_timeline_refuses_bad_input_on_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    policy: str,
    extra: list[str],
    fragment: str,
) -> None:
    files = {
        "malformed": write(tmp_path, "malformed.toml", b"schema = \n"),
        "empty": write(tmp_path, "empty.toml", b""),
        "missing": str(tmp_path / "missing.toml"),
        "latin-1": write(tmp_path, "latin.toml", b'schema = 1\nname = "\xff\xfe"\n'),
    }
    argv = ["policy", "timeline", files.get(policy, policy), "--raised", "2026-12-18", *extra]

    code, out, err = run(argv, capsys)

    assert code != 0
    assert out == ""
    assert err.count("\n") == 1, err
    assert fragment in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("raised", "fragment"),
    [
        pytest.param("2026-02-30", "'2026-02-30' is not a real date", id="impossible-date"),
        pytest.param("18/12/2026", "'18/12/2026' is not a real date", id="not-iso"),
        pytest.param("1850-01-01", "outside the years this calendar covers", id="before-calendar"),
        pytest.param("2081-01-05", "outside the years this calendar covers", id="after-calendar"),
    ],
)
def test_timeline_refuses_a_bad_raise_date_on_one_line(
    capsys: pytest.CaptureFixture[str], raised: str, fragment: str
) -> None:
    code, out, err = run(["policy", "timeline", "nel", "--raised", raised], capsys)

    assert code != 0
    assert out == ""
    assert err.count("\n") == 1, err
    assert fragment in err
    assert "Traceback" not in err


def test_a_raise_date_outside_the_calendar_is_named_as_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["policy", "timeline", "nel", "--raised", "1850-01-01"], capsys)

    assert code != 0
    assert "1850-01-01" in err


def test_a_raise_date_outside_the_calendar_is_refused_for_every_policy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        ["policy", "timeline", "devon-preschool", "--raised", "1850-01-01"], capsys
    )

    assert code != 0
    assert out == ""
    assert err.count("\n") == 1


# --- the installed console script -----------------------------------------------------


def test_the_installed_escalate_command_prints_the_timeline(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "escalate"
    assert script.is_file(), f"{script} is missing: pip install -e . installs it"

    completed = subprocess.run(
        [str(script), "policy", "timeline", "nel", "--raised", "2026-12-18", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert json.loads(completed.stdout) == WORKED_EXAMPLE
