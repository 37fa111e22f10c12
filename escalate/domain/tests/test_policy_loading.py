"""load_policy_text(): the shipped files load, and each kind of mistake is named.

Each mutation starts from the shipped nel.toml and changes its text (there is no TOML
writer installed), then checks the field path and the message an administrator sees.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from escalate.domain.policy import DeadlineKind, DeadlineRule, Nation
from escalate.domain.policy_loading import LoadResult, Problem, Severity, load_policy_text

SHIPPED = Path(__file__).resolve().parents[2] / "policies" / "shipped"
SHIPPED_NAMES = ["cscp", "devon-preschool", "greenwich", "nel", "worcestershire"]
NEL_TEXT = (SHIPPED / "nel.toml").read_text(encoding="utf-8")

ENTRY_ROUTE_TO_STAGE_6 = """
[[entry_routes]]
key = "refused_conference"
name = "Conference refused"
enters_at = 6
description = "Enters above the top of the ladder."
"""


def nel_with(*replacements: tuple[str, str]) -> str:
    """nel.toml with each ``old`` text, which must occur exactly once, replaced."""
    text = NEL_TEXT
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in nel.toml"
        text = text.replace(old, new)
    return text


def without_final_stage_table(text: str) -> str:
    head, final = text.split("[stages.final]")
    assert "[[" not in final, "[stages.final] should be the last table in nel.toml"
    return head


def found(result: LoadResult) -> list[tuple[Severity, str, str]]:
    return [(problem.severity, problem.path, problem.message) for problem in result.problems]


def has_problem(result: LoadResult, severity: Severity, path: str, fragment: str) -> bool:
    return any(
        problem.severity is severity and problem.path == path and fragment in problem.message
        for problem in result.problems
    )


# --- the shipped files ----------------------------------------------------------------


def test_every_shipped_file_is_tested() -> None:
    assert sorted(path.stem for path in SHIPPED.glob("*.toml")) == SHIPPED_NAMES


@pytest.mark.parametrize("short_name", SHIPPED_NAMES)
def test_shipped_policy_loads_without_errors(short_name: str) -> None:
    result = load_policy_text((SHIPPED / f"{short_name}.toml").read_text(encoding="utf-8"))

    assert result.errors == ()
    assert result.rules is not None
    assert result.rules.short_name == short_name


@pytest.mark.parametrize(
    ("short_name", "stage_count"),
    [("cscp", 5), ("devon-preschool", 5), ("greenwich", 6), ("nel", 5), ("worcestershire", 4)],
)
def test_shipped_policy_has_the_stages_of_its_source(short_name: str, stage_count: int) -> None:
    rules = load_policy_text((SHIPPED / f"{short_name}.toml").read_text(encoding="utf-8")).rules

    assert rules is not None
    assert [stage.number for stage in rules.stages] == list(range(1, stage_count + 1))
    assert rules.final_stage.final is not None


def test_nel_uses_working_day_15_for_stage_4_and_22_overall() -> None:
    rules = load_policy_text(NEL_TEXT).rules

    assert rules is not None
    assert [stage.deadline for stage in rules.stages] == [
        DeadlineRule(DeadlineKind.BY_WORKING_DAY, days) for days in (2, 8, 11, 15, 22)
    ]
    assert rules.target == DeadlineRule(DeadlineKind.BY_WORKING_DAY, 22)
    assert rules.nation is Nation.ENGLAND_AND_WALES


def test_nel_warns_only_that_its_panel_has_no_composition() -> None:
    result = load_policy_text(NEL_TEXT)

    assert found(result) == [
        (
            Severity.WARNING,
            "stages[5].final.panel",
            "a resolution panel is allowed but its composition is not given",
        )
    ]


def test_problem_line_starts_with_the_file_and_field() -> None:
    problem = Problem(Severity.ERROR, "calendar.nation", "is missing")

    assert problem.line("nel.toml") == "nel.toml:calendar.nation: error: is missing"
    assert Problem(Severity.ERROR, "", "the file is empty").line("x.toml") == (
        "x.toml: error: the file is empty"
    )


# --- errors: the rules are refused and the field is named -----------------------------


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        pytest.param("", "", "the file is empty", id="empty-file"),
        pytest.param("  \n\n\t\n", "", "the file is empty", id="blank-file"),
        pytest.param(
            nel_with(("version = 1\n", "version = = 1\n")), "", "not valid TOML", id="invalid-toml"
        ),
        pytest.param(
            nel_with(('nation = "england-and-wales"', 'nation = "wales"')),
            "calendar.nation",
            "unknown calendar 'wales'; expected one of: england-and-wales, scotland, "
            "northern-ireland",
            id="unknown-calendar-nation",
        ),
        pytest.param(
            nel_with(("number = 3\n", "number = 7\n")),
            "stages",
            "stage numbers must run 1..5 in order; found 1, 2, 7, 4, 5",
            id="stage-numbers-skip",
        ),
        pytest.param(
            nel_with(("number = 3\n", "number = 2\n")),
            "stages",
            "stage numbers must run 1..5 in order; found 1, 2, 2, 4, 5",
            id="stage-numbers-repeat",
        ),
        pytest.param(
            nel_with(("days = 11 }", "days = 8 }")),
            "stages[3].deadline.days",
            "working day 8 is not after stage 2's working day 8: deadlines must increase",
            id="by-working-day-repeats",
        ),
        pytest.param(
            nel_with(("days = 8 }", "days = 12 }")),
            "stages[3].deadline.days",
            "working day 11 is not after stage 2's working day 12: deadlines must increase",
            id="by-working-day-decreases",
        ),
        pytest.param(
            nel_with(('police = ["Detective Sergeant (PVPU)"]\n', "")),
            "stages[2].job_titles",
            "no role given for agency kind 'police'",
            id="role-missing-for-an-agency-kind",
        ),
        pytest.param(
            NEL_TEXT + ENTRY_ROUTE_TO_STAGE_6,
            "entry_routes[1].enters_at",
            "enters at stage 6, which does not exist",
            id="entry-route-into-missing-stage",
        ),
        pytest.param(
            nel_with(("may_start_at = [1]", "may_start_at = [1, 7]")),
            "immediate_risk.may_start_at[2]",
            "stage 7 does not exist",
            id="immediate-risk-starts-at-missing-stage",
        ),
        pytest.param(
            without_final_stage_table(NEL_TEXT),
            "stages[5].final",
            "the last stage must say how the final decision is made",
            id="last-stage-without-final",
        ),
        pytest.param(
            nel_with(
                ('kind = "by_working_day"\ndays = 22\n', 'kind = "by_working_day"\ndays = 20\n')
            ),
            "stages[5].deadline.days",
            "working day 22 is after the overall target, working day 20",
            id="stage-deadline-after-target",
        ),
    ],
)
def test_a_mistake_is_an_error_naming_the_field(text: str, path: str, fragment: str) -> None:
    result = load_policy_text(text)

    assert result.rules is None
    assert has_problem(result, Severity.ERROR, path, fragment), found(result)


def test_mutations_are_valid_toml_and_change_what_they_say() -> None:
    # Guards the text substitutions above: each must still parse and hit its field.
    data = tomllib.loads(nel_with(("number = 3\n", "number = 7\n")))
    assert [stage["number"] for stage in data["stages"]] == [1, 2, 7, 4, 5]
    data = tomllib.loads(nel_with(('police = ["Detective Sergeant (PVPU)"]\n', "")))
    assert "police" not in data["stages"][1]["job_titles"]
    assert "police" in data["stages"][0]["job_titles"]
    data = tomllib.loads(nel_with(("days = 11 }", "days = 8 }")))
    assert data["stages"][2]["deadline"]["days"] == 8
    data = tomllib.loads(without_final_stage_table(NEL_TEXT))
    assert "final" not in data["stages"][-1]
    data = tomllib.loads(NEL_TEXT + ENTRY_ROUTE_TO_STAGE_6)
    assert data["entry_routes"][0]["enters_at"] == 6
    assert "entry_routes" not in data["stages"][-1]["final"]


def test_only_the_stage_past_the_target_is_reported() -> None:
    result = load_policy_text(
        nel_with(('kind = "by_working_day"\ndays = 22\n', 'kind = "by_working_day"\ndays = 15\n'))
    )

    assert [(p.path, p.message) for p in result.errors] == [
        ("stages[5].deadline.days", "working day 22 is after the overall target, working day 15"),
    ]


# --- warnings: the rules still load ---------------------------------------------------


def test_an_unknown_top_level_key_is_only_a_warning() -> None:
    result = load_policy_text(nel_with(("schema = 1\n", 'schema = 1\ncolour = "blue"\n')))

    assert result.errors == ()
    assert result.rules is not None
    assert has_problem(result, Severity.WARNING, "colour", "is not a field this schema knows")


def test_a_closure_day_on_a_weekend_is_only_a_warning() -> None:
    result = load_policy_text(
        nel_with(("closure_days = []", "closure_days = [2026-12-24, 2026-12-19]"))
    )

    assert result.errors == ()
    assert result.rules is not None
    assert result.rules.closure_days == (date(2026, 12, 19), date(2026, 12, 24))
    assert has_problem(
        result, Severity.WARNING, "calendar.closure_days[2]", "2026-12-19 is a weekend day"
    )
    assert not any(p.path == "calendar.closure_days[1]" for p in result.problems)


# --- several mistakes are all reported, not just the first ----------------------------


def test_several_problems_are_all_reported() -> None:
    text = (
        nel_with(
            ("schema = 1\n", 'schema = 1\ncolour = "blue"\n'),
            ('nation = "england-and-wales"', 'nation = "wales"'),
            ("may_start_at = [1]", "may_start_at = [1, 7]"),
            ("days = 11 }", "days = 8 }"),
        )
        + ENTRY_ROUTE_TO_STAGE_6
    )

    result = load_policy_text(text)

    assert result.rules is None
    assert {(p.severity, p.path) for p in result.problems} >= {
        (Severity.WARNING, "colour"),
        (Severity.ERROR, "calendar.nation"),
        (Severity.ERROR, "immediate_risk.may_start_at[2]"),
        (Severity.ERROR, "stages[3].deadline.days"),
        (Severity.ERROR, "entry_routes[1].enters_at"),
    }


def test_problems_in_several_stages_are_all_reported() -> None:
    text = nel_with(
        ('police = ["Detective Sergeant (PVPU)"]\n', ""),
        ('police = ["Detective Chief Inspector", "Detective Superintendent"]\n', ""),
        ('health = ["Named nurse"]\n', ""),
    )

    result = load_policy_text(text)

    assert result.rules is None
    assert [(p.path, p.message) for p in result.errors] == [
        ("stages[2].job_titles", "no role given for agency kind 'police' (add it, or a 'default')"),
        ("stages[3].job_titles", "no role given for agency kind 'health' (add it, or a 'default')"),
        ("stages[4].job_titles", "no role given for agency kind 'police' (add it, or a 'default')"),
    ]


def test_a_bad_immediate_risk_table_does_not_hide_entry_route_problems() -> None:
    text = nel_with(("may_start_at = [1]", "may_start_at = []")) + ENTRY_ROUTE_TO_STAGE_6

    result = load_policy_text(text)

    assert has_problem(result, Severity.ERROR, "immediate_risk.may_start_at", "at least one stage")
    assert has_problem(result, Severity.ERROR, "entry_routes[1].enters_at", "does not exist")
