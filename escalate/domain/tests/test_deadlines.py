"""timeline(): each stage's due date for the five shipped policies.

Every expected date below was counted by hand on a paper calendar (docs/domain.md
decision 1), never computed by the code under test. England and Wales: Christmas
Fri 25 Dec 2026, Boxing Day Sat 26 Dec (substitute Mon 28 Dec), New Year's Day
Fri 1 Jan 2027, Good Friday 26 Mar 2027, Easter Monday 29 Mar 2027. Scotland adds
2 January (Sat 2 Jan 2027, substitute Mon 4 Jan) and St Andrew's Day (Sun 30 Nov
2025, substitute Mon 1 Dec 2025) but has no Easter Monday.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path

import holidays
import pytest

from escalate.domain.calendar import WorkingCalendar
from escalate.domain.deadlines import Timeline, TimelineRefused, timeline
from escalate.domain.policy import Nation, PolicyRules
from escalate.domain.policy_loading import load_policy_text

SHIPPED = Path(__file__).resolve().parents[2] / "policies" / "shipped"
_SUBDIVISIONS = {
    Nation.ENGLAND_AND_WALES: "ENG",
    Nation.SCOTLAND: "SCT",
    Nation.NORTHERN_IRELAND: "NIR",
}


def shipped_text(short_name: str) -> str:
    return (SHIPPED / f"{short_name}.toml").read_text(encoding="utf-8")


def rules_from(text: str) -> PolicyRules:
    result = load_policy_text(text)
    assert result.rules is not None, result.errors
    return result.rules


@cache
def shipped_rules(short_name: str) -> PolicyRules:
    return rules_from(shipped_text(short_name))


@cache
def bank_holiday_calendar(nation: Nation) -> WorkingCalendar:
    """The nation's real bank holidays, built as escalate.calendars builds them.

    The domain package may not import escalate.calendars (pyproject's import contract).
    """
    table = holidays.country_holidays("GB", subdiv=_SUBDIVISIONS[nation], years=range(2024, 2030))
    days_off = {day: str(name) for day, name in table.items()}
    return WorkingCalendar(holidays=days_off, first_year=2024, last_year=2029)


def timeline_for(
    rules: PolicyRules,
    raised_on: date,
    *,
    immediate_risk: bool = False,
    start_at: int | None = None,
    route_key: str | None = None,
) -> Timeline:
    assert not rules.closure_days  # the shipped policies close on no extra days
    return timeline(
        rules,
        raised_on=raised_on,
        calendar=bank_holiday_calendar(rules.nation),
        immediate_risk=immediate_risk,
        start_at=start_at,
        route_key=route_key,
    )


def due_dates(result: Timeline) -> list[date | None]:
    return [stage.due_on for stage in result.stages]


# --- docs/domain.md decision 1: the worked example ------------------------------------------


def test_the_worked_example_from_domain_md() -> None:
    result = timeline_for(shipped_rules("nel"), date(2026, 12, 18))

    assert [(stage.number, stage.due_on) for stage in result.stages] == [
        (1, date(2026, 12, 21)),
        (2, date(2026, 12, 31)),
        (3, date(2027, 1, 6)),
        (4, date(2027, 1, 12)),
        (5, date(2027, 1, 21)),
    ]
    assert result.target_due_on == date(2027, 1, 21)
    assert result.raised_on == date(2026, 12, 18)


# --- each shipped policy over Christmas and New Year, and over Easter 2027 -------------

NONE_5: list[date | None] = [None] * 5
NONE_6: list[date | None] = [None] * 6


@pytest.mark.parametrize(
    ("short_name", "raised_on", "expected_dues", "expected_target"),
    [
        pytest.param(
            "nel",
            date(2026, 12, 27),  # a Sunday: working day 1 is Tue 29 Dec
            [
                date(2026, 12, 30),
                date(2027, 1, 8),
                date(2027, 1, 13),
                date(2027, 1, 19),
                date(2027, 1, 28),
            ],
            date(2027, 1, 28),
            id="nel-raised-sunday-27-dec-2026",
        ),
        pytest.param(
            "nel",
            date(2027, 3, 25),
            [
                date(2027, 3, 30),
                date(2027, 4, 7),
                date(2027, 4, 12),
                date(2027, 4, 16),
                date(2027, 4, 27),
            ],
            date(2027, 4, 27),
            id="nel-raised-maundy-thursday-2027",
        ),
        pytest.param(
            "worcestershire",
            date(2026, 12, 24),
            [date(2026, 12, 29), date(2026, 12, 31), None, None],
            None,
            id="worcestershire-raised-christmas-eve-2026",
        ),
        pytest.param(
            "worcestershire",
            date(2026, 12, 31),
            [date(2027, 1, 4), date(2027, 1, 6), None, None],
            None,
            id="worcestershire-raised-new-years-eve-2026",
        ),
        pytest.param(
            "worcestershire",
            date(2027, 3, 25),
            [date(2027, 3, 30), date(2027, 4, 1), None, None],
            None,
            id="worcestershire-raised-maundy-thursday-2027",
        ),
        pytest.param(
            "devon-preschool", date(2026, 12, 24), NONE_5, None, id="devon-preschool-christmas"
        ),
        pytest.param(
            "devon-preschool", date(2027, 3, 25), NONE_5, None, id="devon-preschool-easter"
        ),
        pytest.param("cscp", date(2026, 12, 24), NONE_5, None, id="cscp-christmas"),
        pytest.param("cscp", date(2027, 3, 25), NONE_5, None, id="cscp-easter"),
        pytest.param("greenwich", date(2026, 12, 24), NONE_6, None, id="greenwich-christmas"),
        pytest.param("greenwich", date(2027, 3, 25), NONE_6, None, id="greenwich-easter"),
    ],
)
def test_shipped_policy_timeline(
    short_name: str,
    raised_on: date,
    expected_dues: list[date | None],
    expected_target: date | None,
) -> None:
    result = timeline_for(shipped_rules(short_name), raised_on)

    assert due_dates(result) == expected_dues
    assert [stage.number for stage in result.stages] == list(range(1, len(expected_dues) + 1))
    assert result.target_due_on == expected_target


def test_stage_names_come_from_the_policy() -> None:
    rules = shipped_rules("greenwich")
    result = timeline_for(rules, date(2026, 12, 24))

    assert [stage.name for stage in result.stages] == [stage.name for stage in rules.stages]


def test_worcestershire_stages_are_entered_when_the_previous_falls_due() -> None:
    result = timeline_for(shipped_rules("worcestershire"), date(2026, 12, 24))

    assert [(stage.number, stage.entered_on, stage.due_on) for stage in result.stages] == [
        (1, date(2026, 12, 24), date(2026, 12, 29)),
        (2, date(2026, 12, 29), date(2026, 12, 31)),
        (3, date(2026, 12, 31), None),
        # Stage 3 has no due date, so there is no honest day to say stage 4 starts.
        (4, None, None),
    ]


def test_a_policy_without_timescales_is_entered_on_the_raise_date_only() -> None:
    result = timeline_for(shipped_rules("cscp"), date(2027, 3, 25))

    assert [stage.entered_on for stage in result.stages] == [date(2027, 3, 25), *[None] * 4]


# --- immediate risk (docs/domain.md decision 5) ---------------------------------------------


def test_immediate_risk_makes_the_first_stage_due_the_raise_day() -> None:
    result = timeline_for(shipped_rules("nel"), date(2026, 12, 18), immediate_risk=True)

    assert due_dates(result) == [
        date(2026, 12, 18),
        date(2026, 12, 31),
        date(2027, 1, 6),
        date(2027, 1, 12),
        date(2027, 1, 21),
    ]
    assert result.target_due_on == date(2027, 1, 21)


def test_immediate_risk_on_a_saturday_is_still_due_that_day() -> None:
    result = timeline_for(shipped_rules("nel"), date(2026, 12, 19), immediate_risk=True)

    assert result.stages[0].due_on == date(2026, 12, 19)
    # Working day 8 counted from Mon 21 Dec, over Christmas: Mon 4 Jan.
    assert result.stages[1].due_on == date(2027, 1, 4)


def test_immediate_risk_with_within_days_stages_counts_on_from_the_raise_day() -> None:
    result = timeline_for(shipped_rules("worcestershire"), date(2026, 12, 24), immediate_risk=True)

    # Stage 2 is entered on Christmas Eve; two working days on is Wed 30 Dec.
    assert due_dates(result) == [date(2026, 12, 24), date(2026, 12, 30), None, None]


def test_immediate_risk_gives_a_due_date_even_without_timescales() -> None:
    result = timeline_for(
        shipped_rules("devon-preschool"), date(2027, 3, 26), immediate_risk=True, start_at=3
    )

    assert [(stage.number, stage.due_on) for stage in result.stages] == [
        (3, date(2027, 3, 26)),
        (4, None),
        (5, None),
    ]


def test_immediate_risk_starts_at_the_lowest_allowed_stage_by_default() -> None:
    result = timeline_for(shipped_rules("devon-preschool"), date(2027, 3, 25), immediate_risk=True)

    assert [stage.number for stage in result.stages] == [1, 2, 3, 4, 5]
    assert result.stages[0].due_on == date(2027, 3, 25)


@pytest.mark.parametrize(
    ("short_name", "immediate_risk", "start_at", "message"),
    [
        pytest.param(
            "greenwich", True, 2, "may start only at stage 1", id="greenwich-immediate-at-stage-2"
        ),
        pytest.param("nel", True, 5, "may start only at stage 1", id="nel-immediate-at-stage-5"),
        pytest.param("nel", False, 9, "has no stage 9", id="nel-stage-9"),
        pytest.param("nel", True, 9, "has no stage 9", id="nel-immediate-stage-9"),
        pytest.param("greenwich", False, 0, "has no stage 0", id="greenwich-stage-0"),
    ],
)
def test_starting_at_a_stage_the_policy_does_not_allow_is_refused(
    short_name: str, immediate_risk: bool, start_at: int, message: str
) -> None:
    with pytest.raises(TimelineRefused, match=message):
        timeline_for(
            shipped_rules(short_name),
            date(2026, 12, 18),
            immediate_risk=immediate_risk,
            start_at=start_at,
        )


# --- starting part-way up the ladder ---------------------------------------------------


def test_greenwich_refused_icpc_route_enters_at_stage_4() -> None:
    rules = shipped_rules("greenwich")
    route = rules.entry_route("refused_icpc")

    result = timeline_for(rules, date(2026, 12, 24), route_key=route.key)

    assert route.enters_at == 4
    assert [(stage.number, stage.entered_on, stage.due_on) for stage in result.stages] == [
        (4, date(2026, 12, 24), None),
        (5, None, None),
        (6, None, None),
    ]


def test_starting_at_a_later_stage_keeps_by_working_day_deadlines() -> None:
    nel_starting_at_3 = replace(
        shipped_rules("nel"),
        immediate_risk=replace(shipped_rules("nel").immediate_risk, may_start_at=(1, 3)),
    )

    result = timeline_for(nel_starting_at_3, date(2026, 12, 18), immediate_risk=True, start_at=3)

    assert [(stage.number, stage.due_on) for stage in result.stages] == [
        (3, date(2026, 12, 18)),
        (4, date(2027, 1, 12)),
        (5, date(2027, 1, 21)),
    ]


@pytest.mark.parametrize("policy", ["nel", "cscp", "worcestershire", "greenwich"])
def test_a_timeline_the_product_would_refuse_to_raise_is_refused(policy: str) -> None:
    with pytest.raises(TimelineRefused, match="starts at stage 1 unless"):
        timeline_for(shipped_rules(policy), date(2026, 12, 18), start_at=3)


# --- another nation's bank holidays ----------------------------------------------------


def nel_in_scotland() -> PolicyRules:
    text = shipped_text("nel")
    assert text.count('nation = "england-and-wales"') == 1
    rules = rules_from(text.replace('nation = "england-and-wales"', 'nation = "scotland"'))
    assert rules.nation is Nation.SCOTLAND
    return rules


@pytest.mark.parametrize(
    ("raised_on", "expected_dues"),
    [
        pytest.param(
            date(2026, 12, 18),
            # Mon 4 Jan 2027 is the 2 January substitute: stages 3 to 5 move a day later.
            [
                date(2026, 12, 21),
                date(2026, 12, 31),
                date(2027, 1, 7),
                date(2027, 1, 13),
                date(2027, 1, 22),
            ],
            id="worked-example-in-scotland",
        ),
        pytest.param(
            date(2025, 11, 28),
            # Mon 1 Dec 2025 is the St Andrew's Day substitute; Fri 2 Jan 2026 a holiday.
            [
                date(2025, 12, 2),
                date(2025, 12, 10),
                date(2025, 12, 15),
                date(2025, 12, 19),
                date(2026, 1, 5),
            ],
            id="st-andrews-day-substitute-2025",
        ),
        pytest.param(
            date(2027, 3, 25),
            # No Easter Monday in Scotland: one day earlier than in England from stage 1.
            [
                date(2027, 3, 29),
                date(2027, 4, 6),
                date(2027, 4, 9),
                date(2027, 4, 15),
                date(2027, 4, 26),
            ],
            id="easter-2027-in-scotland",
        ),
    ],
)
def test_nel_on_the_scottish_calendar(raised_on: date, expected_dues: list[date]) -> None:
    result = timeline_for(nel_in_scotland(), raised_on)

    assert due_dates(result) == expected_dues
    assert result.target_due_on == expected_dues[-1]


def test_the_same_raise_in_england_and_wales_for_comparison() -> None:
    result = timeline_for(shipped_rules("nel"), date(2025, 11, 28))

    assert due_dates(result) == [
        date(2025, 12, 1),
        date(2025, 12, 9),
        date(2025, 12, 12),
        date(2025, 12, 18),
        date(2025, 12, 31),
    ]
