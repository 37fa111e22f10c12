"""load_policy_text(): the shipped files load, and each kind of mistake is named.

Each mutation starts from the shipped nel.toml and changes its text (there is no TOML
writer installed), then checks the field path and the message an administrator sees.
"""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path

import pytest

from escalate.domain.policy import (
    DEFAULT_APPOINTEES,
    DEFAULT_APPOINTERS,
    DEFAULT_AUTHORITY,
    Agreement,
    DeadlineKind,
    DeadlineRule,
    FinalStageKind,
    MeetingChair,
    Nation,
    PartnershipRole,
    Sides,
    StageAuthority,
)
from escalate.domain.policy_loading import LoadResult, Problem, Severity, load_policy_text
from escalate.domain.working_hours import DEFAULT_WORKING_HOURS, WorkingHours

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


def nel_with_authority(stage_key: str, fields: str, *others: tuple[str, str]) -> str:
    """nel.toml with ``authority = { fields }`` added to the stage with that key."""
    line = f'key = "{stage_key}"\n'
    return nel_with((line, f"{line}authority = {{ {fields} }}\n"), *others)


NEL_DECIDED_BY = 'decided_by = ["chair_decision", "resolution_panel"]\n'
NEL_APPOINTED_BY = 'appointed_by = ["chair", "business_manager"]\n'
NEL_APPOINTEES_FROM = 'appointees_from = ["executive_member", "panel_member"]\n'
NEL_MEETING_CHAIR = 'meeting_chair = "none"\n'


def decided_by(*kinds: str) -> tuple[str, str]:
    """A replacement of nel.toml's final ``decided_by`` line."""
    listed = ", ".join(f'"{kind}"' for kind in kinds)
    return NEL_DECIDED_BY, f"decided_by = [{listed}]\n"


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


ONE_SIDED = StageAuthority(
    involves=Sides.RAISING,
    escalate=Sides.RAISING,
    resolve=Sides.RAISING,
    withdraw=Sides.RAISING,
    agreement=Agreement.RECORDING_SIDE,
)
BOTH = DEFAULT_AUTHORITY


@pytest.mark.parametrize(
    ("short_name", "authorities"),
    [
        pytest.param("cscp", [BOTH] * 5, id="cscp-workers-talk-at-stage-1"),
        pytest.param(
            "devon-preschool", [ONE_SIDED] + [BOTH] * 4, id="devon-stage-1-own-supervisor"
        ),
        pytest.param("greenwich", [ONE_SIDED] + [BOTH] * 5, id="greenwich-stage-1-own-manager"),
        pytest.param("nel", [BOTH] * 5, id="nel-workers-talk-at-stage-1"),
        pytest.param("worcestershire", [BOTH] * 4, id="worcestershire-workers-talk-at-stage-1"),
    ],
)
def test_shipped_policy_says_who_may_move_each_stage(
    short_name: str, authorities: list[StageAuthority]
) -> None:
    rules = load_policy_text((SHIPPED / f"{short_name}.toml").read_text(encoding="utf-8")).rules

    assert rules is not None
    assert [stage.authority for stage in rules.stages] == authorities


CHAIR = PartnershipRole.CHAIR
BUSINESS_MANAGER = PartnershipRole.BUSINESS_MANAGER
EXECUTIVE = PartnershipRole.EXECUTIVE_MEMBER
PANEL = PartnershipRole.PANEL_MEMBER


@pytest.mark.parametrize(
    ("short_name", "kinds", "appointed_by", "appointees_from", "meeting_chair"),
    [
        pytest.param(
            "cscp",
            (FinalStageKind.EXECUTIVE_DECISION,),
            DEFAULT_APPOINTERS,
            DEFAULT_APPOINTEES,
            MeetingChair.NONE,
            id="cscp-executive-decides",
        ),
        pytest.param(
            "devon-preschool",
            (FinalStageKind.CHAIR_DECISION, FinalStageKind.RESOLUTION_PANEL),
            (CHAIR, BUSINESS_MANAGER),
            (EXECUTIVE, PANEL),
            MeetingChair.NONE,
            id="devon-chair-or-panel",
        ),
        pytest.param(
            "greenwich",
            (FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING,),
            (CHAIR, BUSINESS_MANAGER),
            (EXECUTIVE, PANEL),
            MeetingChair.UNINVOLVED_AGENCY,
            id="greenwich-uninvolved-agency-chair",
        ),
        pytest.param(
            "nel",
            (FinalStageKind.CHAIR_DECISION, FinalStageKind.RESOLUTION_PANEL),
            (CHAIR, BUSINESS_MANAGER),
            (EXECUTIVE, PANEL),
            MeetingChair.NONE,
            id="nel-chair-or-panel",
        ),
        pytest.param(
            "worcestershire",
            (FinalStageKind.INDEPENDENTLY_CHAIRED_MEETING,),
            (BUSINESS_MANAGER,),
            (CHAIR, EXECUTIVE, PANEL),
            MeetingChair.INDEPENDENT,
            id="worcestershire-board-manager-convenes",
        ),
    ],
)
def test_shipped_policy_says_who_appoints_at_the_final_stage(
    short_name: str,
    kinds: tuple[FinalStageKind, ...],
    appointed_by: tuple[PartnershipRole, ...],
    appointees_from: tuple[PartnershipRole, ...],
    meeting_chair: MeetingChair,
) -> None:
    rules = load_policy_text((SHIPPED / f"{short_name}.toml").read_text(encoding="utf-8")).rules

    assert rules is not None
    final = rules.final_stage.final
    assert final is not None
    assert final.decided_by == kinds
    assert final.appointed_by == appointed_by
    assert final.appointees_from == appointees_from
    assert final.meeting_chair is meeting_chair


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
            nel_with(("version = 2\n", "version = = 2\n")), "", "not valid TOML", id="invalid-toml"
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


# --- who may move a stage: [stages.authority] -------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        pytest.param(
            nel_with_authority("line_manager", 'involve = "raising"'),
            "stages[1].authority.involve",
            "is not an authority field; expected one of: involves, escalate, resolve, withdraw, "
            "agreement",
            id="unknown-authority-field",
        ),
        pytest.param(
            nel_with_authority("line_manager", 'involves = "everyone"'),
            "stages[1].authority.involves",
            "unknown value 'everyone'; expected one of: raising, challenged, both",
            id="unknown-side",
        ),
        pytest.param(
            nel_with_authority("line_manager", 'agreement = "majority"'),
            "stages[1].authority.agreement",
            "unknown value 'majority'; expected one of: every_party, recording_side",
            id="unknown-agreement",
        ),
        pytest.param(
            nel_with_authority("line_manager", 'withdraw = "challenged"'),
            "stages[1].authority.withdraw",
            "only the raising side may withdraw (docs/domain.md decision 9)",
            id="challenged-side-withdraws",
        ),
        pytest.param(
            nel_with_authority("head_of_service", 'withdraw = "both"'),
            "stages[3].authority.withdraw",
            "only the raising side may withdraw (docs/domain.md decision 9)",
            id="both-sides-withdraw",
        ),
        pytest.param(
            nel_with_authority("line_manager", 'agreement = "recording_side"'),
            "stages[1].authority.agreement",
            "'recording_side' needs a stage that involves one side only",
            id="recording-side-with-both-sides-involved",
        ),
        pytest.param(
            nel_with_authority("line_manager", 'involves = "raising"'),
            "stages[1].authority.agreement",
            'must be "recording_side": the stage involves the raising side only',
            id="one-side-left-at-every-party",
        ),
        pytest.param(
            nel_with_authority(
                "line_manager", 'involves = "challenged", agreement = "every_party"'
            ),
            "stages[1].authority.agreement",
            'must be "recording_side": the stage involves the challenged side only',
            id="one-side-with-every-party",
        ),
        pytest.param(
            nel_with_authority(
                "line_manager",
                'involves = "raising", agreement = "recording_side", escalate = "challenged"',
            ),
            "stages[1].authority.escalate",
            "'challenged' reaches beyond the side the stage involves ('raising')",
            id="escalate-by-a-side-not-involved",
        ),
        pytest.param(
            nel_with_authority(
                "line_manager",
                'involves = "raising", agreement = "recording_side", resolve = "both"',
            ),
            "stages[1].authority.resolve",
            "'both' reaches beyond the side the stage involves ('raising')",
            id="resolve-wider-than-involves",
        ),
        pytest.param(
            nel_with_authority("chair", 'involves = "both"'),
            "stages[5].authority.involves",
            "is not allowed on the final stage: the partnership acts there",
            id="final-stage-involves",
        ),
        pytest.param(
            nel_with_authority("chair", 'agreement = "every_party"'),
            "stages[5].authority.agreement",
            "is not allowed on the final stage",
            id="final-stage-agreement",
        ),
        pytest.param(
            nel_with_authority("chair", 'withdraw = "both"'),
            "stages[5].authority.withdraw",
            "only the raising side may withdraw",
            id="final-stage-withdraw-by-both",
        ),
    ],
)
def test_an_authority_mistake_is_an_error_naming_the_field(
    text: str, path: str, fragment: str
) -> None:
    result = load_policy_text(text)

    assert result.rules is None
    assert has_problem(result, Severity.ERROR, path, fragment), found(result)


def test_a_stage_without_an_authority_table_involves_both_sides() -> None:
    rules = load_policy_text(NEL_TEXT).rules

    assert rules is not None
    assert {stage.authority for stage in rules.stages} == {
        StageAuthority(
            involves=Sides.BOTH,
            escalate=Sides.BOTH,
            resolve=Sides.BOTH,
            withdraw=Sides.RAISING,
            agreement=Agreement.EVERY_PARTY,
        )
    }


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param("", DEFAULT_AUTHORITY, id="empty-table"),
        pytest.param(
            'involves = "raising", agreement = "recording_side"', ONE_SIDED, id="one-side-inherits"
        ),
        pytest.param(
            'escalate = "raising"',
            StageAuthority(escalate=Sides.RAISING),
            id="escalate-narrower-than-involves",
        ),
        pytest.param(
            'resolve = "challenged", withdraw = "raising"',
            StageAuthority(resolve=Sides.CHALLENGED),
            id="resolve-narrower-than-involves",
        ),
    ],
)
def test_an_authority_table_reads_with_its_defaults(fields: str, expected: StageAuthority) -> None:
    result = load_policy_text(nel_with_authority("line_manager", fields))

    assert result.errors == ()
    assert result.rules is not None
    assert result.rules.stage(1).authority == expected
    assert result.rules.stage(2).authority == DEFAULT_AUTHORITY


def test_the_final_stage_may_say_that_the_raising_side_withdraws() -> None:
    result = load_policy_text(nel_with_authority("chair", 'withdraw = "raising"'))

    assert result.errors == ()
    assert result.rules is not None
    assert result.rules.final_stage.authority == DEFAULT_AUTHORITY


def test_a_stage_for_the_challenged_side_alone_is_a_warning() -> None:
    result = load_policy_text(
        nel_with_authority("line_manager", 'involves = "challenged", agreement = "recording_side"')
    )

    assert result.errors == ()
    assert result.rules is not None
    assert result.rules.stage(1).authority.resolve is Sides.CHALLENGED
    assert has_problem(
        result,
        Severity.WARNING,
        "stages[1].authority.involves",
        "ends the challenge without the raising side agreeing",
    )


def test_every_authority_mistake_in_a_table_is_reported() -> None:
    result = load_policy_text(
        nel_with_authority(
            "line_manager", 'involve = "raising", escalate = "up", agreement = "majority"'
        )
    )

    assert result.rules is None
    assert [p.path for p in result.errors] == [
        "stages[1].authority.involve",
        "stages[1].authority.escalate",
        "stages[1].authority.agreement",
    ]


def test_an_authority_mistake_does_not_hide_the_rest_of_the_stage() -> None:
    result = load_policy_text(
        nel_with_authority(
            "line_manager",
            'withdraw = "both"',
            (
                'education = ["Teaching or non-teaching staff", "Designated safeguarding lead"]\n',
                "",
            ),
        )
    )

    assert {p.path for p in result.errors} == {
        "stages[1].authority.withdraw",
        "stages[1].job_titles",
    }


# --- the final stage: appointments and the meeting's chair ------------------------------


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        pytest.param(
            nel_with((NEL_MEETING_CHAIR, 'meeting_chair = "independent"\n')),
            "stages[5].final.meeting_chair",
            "'independent' needs a meeting to chair, but decided_by has neither "
            "'independently_chaired_meeting' nor 'uninvolved_board_member_meeting'",
            id="chair-without-a-meeting",
        ),
        pytest.param(
            nel_with(decided_by("independently_chaired_meeting")),
            "stages[5].final.meeting_chair",
            "'independently_chaired_meeting' in decided_by needs an appointed chair: "
            'use meeting_chair = "independent"',
            id="independent-meeting-without-a-chair",
        ),
        pytest.param(
            nel_with(decided_by("uninvolved_board_member_meeting")),
            "stages[5].final.meeting_chair",
            "'uninvolved_board_member_meeting' in decided_by needs an appointed chair: "
            'use meeting_chair = "uninvolved_agency"',
            id="uninvolved-meeting-without-a-chair",
        ),
        pytest.param(
            nel_with(
                decided_by("uninvolved_board_member_meeting"),
                (NEL_MEETING_CHAIR, 'meeting_chair = "independent"\n'),
            ),
            "stages[5].final.meeting_chair",
            'use meeting_chair = "uninvolved_agency"',
            id="uninvolved-meeting-with-an-independent-chair",
        ),
        pytest.param(
            nel_with((NEL_MEETING_CHAIR, 'meeting_chair = "outsider"\n')),
            "stages[5].final.meeting_chair",
            "unknown value 'outsider'; expected one of: none, independent, uninvolved_agency",
            id="unknown-meeting-chair",
        ),
        pytest.param(
            nel_with((NEL_APPOINTED_BY, "appointed_by = []\n")),
            "stages[5].final.appointed_by",
            "must name at least one partnership role, or nobody can appoint",
            id="nobody-appoints",
        ),
        pytest.param(
            nel_with((NEL_APPOINTEES_FROM, "appointees_from = []\n")),
            "stages[5].final.appointees_from",
            "must name at least one partnership role, or nobody can be appointed",
            id="nobody-to-appoint",
        ),
        pytest.param(
            nel_with((NEL_APPOINTED_BY, 'appointed_by = ["board"]\n')),
            "stages[5].final.appointed_by[1]",
            "unknown value 'board'; expected one of: business_manager, chair",
            id="unknown-role",
        ),
        pytest.param(
            nel_with((NEL_APPOINTED_BY, 'appointed_by = ["chair", "administrator"]\n')),
            "stages[5].final.appointed_by[2]",
            "'administrator' cannot appoint: this role keeps the directory",
            id="administrator-appoints",
        ),
        *(
            pytest.param(
                nel_with((NEL_APPOINTEES_FROM, f'appointees_from = ["panel_member", "{role}"]\n')),
                "stages[5].final.appointees_from[2]",
                f"'{role}' cannot be appointed: ",
                id=f"{role}-appointed",
            )
            for role in ("administrator", "data_protection_officer", "independent_scrutineer")
        ),
    ],
)
def test_a_final_stage_mistake_is_an_error_naming_the_field(
    text: str, path: str, fragment: str
) -> None:
    result = load_policy_text(text)

    assert result.rules is None
    assert has_problem(result, Severity.ERROR, path, fragment), found(result)


def test_a_final_stage_without_the_new_fields_reads_with_the_defaults() -> None:
    text = nel_with((NEL_APPOINTED_BY, ""), (NEL_APPOINTEES_FROM, ""), (NEL_MEETING_CHAIR, ""))

    result = load_policy_text(text)

    assert result.errors == ()
    assert result.rules is not None
    final = result.rules.final_stage.final
    assert final is not None
    assert final.appointed_by == DEFAULT_APPOINTERS
    assert final.appointees_from == DEFAULT_APPOINTEES
    assert final.meeting_chair is MeetingChair.NONE


@pytest.mark.parametrize(
    ("kinds", "meeting_chair"),
    [
        pytest.param(("chair_decision",), MeetingChair.NONE, id="chair-decides"),
        pytest.param(
            ("independently_chaired_meeting",), MeetingChair.INDEPENDENT, id="independent-meeting"
        ),
        pytest.param(
            ("uninvolved_board_member_meeting",),
            MeetingChair.UNINVOLVED_AGENCY,
            id="uninvolved-meeting",
        ),
        pytest.param(
            ("independently_chaired_meeting", "uninvolved_board_member_meeting"),
            MeetingChair.UNINVOLVED_AGENCY,
            id="both-meetings-take-the-stricter-chair",
        ),
    ],
)
def test_a_left_out_meeting_chair_follows_decided_by(
    kinds: tuple[str, ...], meeting_chair: MeetingChair
) -> None:
    # So a file written before meeting_chair existed (a stored version 1) still loads.
    result = load_policy_text(nel_with(decided_by(*kinds), (NEL_MEETING_CHAIR, "")))

    assert result.errors == ()
    assert result.rules is not None
    final = result.rules.final_stage.final
    assert final is not None
    assert final.meeting_chair is meeting_chair


def test_appointees_without_a_panel_or_a_chair_is_a_warning() -> None:
    result = load_policy_text(nel_with(decided_by("chair_decision")))

    assert result.errors == ()
    assert result.rules is not None
    assert has_problem(result, Severity.WARNING, "stages[5].final.appointees_from", "has no effect")


def test_every_final_stage_mistake_is_reported() -> None:
    result = load_policy_text(
        nel_with(
            (NEL_APPOINTED_BY, "appointed_by = []\n"),
            (NEL_APPOINTEES_FROM, 'appointees_from = ["administrator"]\n'),
            (NEL_MEETING_CHAIR, 'meeting_chair = "independent"\n'),
        )
    )

    assert result.rules is None
    assert {p.path for p in result.errors} == {
        "stages[5].final.meeting_chair",
        "stages[5].final.appointed_by",
        "stages[5].final.appointees_from[1]",
    }


def test_every_authority_mistake_on_the_final_stage_is_reported() -> None:
    result = load_policy_text(nel_with_authority("chair", 'involves = "both", withdraw = "both"'))

    assert [p.path for p in result.errors] == [
        "stages[5].authority.involves",
        "stages[5].authority.withdraw",
    ]


# --- [notifications]: when reminders may go out (decision record 0019) -----------------


def nel_with_notifications(table: str) -> str:
    return NEL_TEXT + f"\n[notifications]\n{table}\n"


@pytest.mark.parametrize("short_name", SHIPPED_NAMES)
def test_a_shipped_policy_without_working_hours_reminds_from_eight_to_six(
    short_name: str,
) -> None:
    rules = load_policy_text((SHIPPED / f"{short_name}.toml").read_text(encoding="utf-8")).rules

    assert rules is not None
    assert rules.working_hours == DEFAULT_WORKING_HOURS


def test_a_policy_may_set_its_own_working_hours() -> None:
    result = load_policy_text(nel_with_notifications('working_hours = "09:00-17:30"'))

    assert result.rules is not None, found(result)
    assert result.rules.working_hours == WorkingHours(opens=time(9), closes=time(17, 30))
    assert not [problem for problem in result.problems if "notifications" in problem.path]


def test_an_empty_notifications_table_keeps_the_default() -> None:
    result = load_policy_text(nel_with_notifications(""))

    assert result.rules is not None
    assert result.rules.working_hours == DEFAULT_WORKING_HOURS


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        pytest.param(
            'working_hours = "18:00-08:00"',
            "'18:00-08:00' closes before it opens: working hours run forward within one day "
            '(overnight hours are not allowed), for example "08:00-18:00"',
            id="overnight",
        ),
        pytest.param(
            'working_hours = "25:00-26:00"',
            "'25:00' is not a time of day: hours run 00 to 23, minutes 00 to 59",
            id="hour-25",
        ),
        pytest.param(
            'working_hours = "25:00"',
            "'25:00' is not a range of times: write it as \"08:00-18:00\" (HH:MM-HH:MM)",
            id="not-a-range",
        ),
        pytest.param(
            'working_hours = "09:00-09:00"',
            "opens and closes at the same time, so no reminder could go out",
            id="no-time-at-all",
        ),
        pytest.param(
            "working_hours = 8",
            'must be a text such as "08:00-18:00", not 8',
            id="a-number",
        ),
        pytest.param(
            "working_hours = 08:00:00",
            'must be a text such as "08:00-18:00"',
            id="a-bare-toml-time",
        ),
    ],
)
def test_bad_working_hours_are_an_error_naming_the_field(table: str, fragment: str) -> None:
    result = load_policy_text(nel_with_notifications(table))

    assert result.rules is None
    assert has_problem(result, Severity.ERROR, "notifications.working_hours", fragment), found(
        result
    )


def test_an_unknown_field_in_notifications_is_only_a_warning() -> None:
    result = load_policy_text(nel_with_notifications('working_hour = "09:00-17:00"'))

    assert result.rules is not None
    assert result.rules.working_hours == DEFAULT_WORKING_HOURS
    assert has_problem(
        result, Severity.WARNING, "notifications.working_hour", "is not a field this schema knows"
    )


def test_notifications_must_be_a_table() -> None:
    result = load_policy_text(NEL_TEXT.replace("schema = 1\n", 'schema = 1\nnotifications = "x"\n'))

    assert result.rules is None
    assert has_problem(result, Severity.ERROR, "notifications", "must be a table"), found(result)
