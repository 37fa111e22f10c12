"""WorkingCalendar: counting working days across real weekends and bank holidays.

The table-driven tests build a calendar from a hand-written list of the England and
Wales bank holidays of 2026 and 2027, so they need neither the ``holidays`` library
nor Django. The property tests at the end check the real England and Wales calendar
against numpy's business-day functions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import holidays
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate.domain.calendar import OutsideCalendar, SkippedDay, WorkingCalendar

# England and Wales, as gov.uk publishes them. Boxing Day 2026 falls on a Saturday
# (substitute Monday 28 December); Christmas and Boxing Day 2027 fall on a weekend
# (substitutes Monday 27 and Tuesday 28 December).
HOLIDAYS_2026_2027 = {
    date(2026, 1, 1): "New Year's Day",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 6): "Easter Monday",
    date(2026, 5, 4): "Early May bank holiday",
    date(2026, 5, 25): "Spring bank holiday",
    date(2026, 8, 31): "Summer bank holiday",
    date(2026, 12, 25): "Christmas Day",
    date(2026, 12, 26): "Boxing Day",
    date(2026, 12, 28): "Boxing Day (substitute day)",
    date(2027, 1, 1): "New Year's Day",
    date(2027, 3, 26): "Good Friday",
    date(2027, 3, 29): "Easter Monday",
    date(2027, 5, 3): "Early May bank holiday",
    date(2027, 5, 31): "Spring bank holiday",
    date(2027, 8, 30): "Summer bank holiday",
    date(2027, 12, 27): "Christmas Day (substitute day)",
    date(2027, 12, 28): "Boxing Day (substitute day)",
}


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar(holidays=HOLIDAYS_2026_2027, first_year=2026, last_year=2027)


# --- add_working_days: "within N working days", the entry day is day 0 ----------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(date(2026, 12, 17), 1, date(2026, 12, 18), id="thursday+1-is-friday"),
        pytest.param(date(2026, 12, 18), 1, date(2026, 12, 21), id="friday+1-skips-weekend"),
        pytest.param(date(2026, 12, 14), 5, date(2026, 12, 21), id="monday+5-is-next-monday"),
        pytest.param(date(2026, 12, 19), 1, date(2026, 12, 21), id="entered-saturday+1-is-monday"),
        pytest.param(date(2026, 12, 20), 2, date(2026, 12, 22), id="entered-sunday+2-is-tuesday"),
        pytest.param(
            date(2026, 12, 24), 1, date(2026, 12, 29), id="christmas-eve+1-skips-boxing-substitute"
        ),
        pytest.param(
            date(2026, 12, 25), 1, date(2026, 12, 29), id="entered-christmas-day+1-is-tuesday"
        ),
        pytest.param(date(2026, 12, 23), 2, date(2026, 12, 29), id="wednesday-23-dec+2"),
        pytest.param(date(2026, 12, 31), 1, date(2027, 1, 4), id="new-years-eve+1-is-monday"),
        pytest.param(
            date(2026, 12, 18), 10, date(2027, 1, 6), id="ten-over-christmas-and-new-year"
        ),
        pytest.param(date(2027, 3, 25), 1, date(2027, 3, 30), id="maundy-thursday+1-over-easter"),
        pytest.param(date(2027, 3, 26), 2, date(2027, 3, 31), id="entered-good-friday+2"),
        pytest.param(
            date(2027, 12, 24), 1, date(2027, 12, 29), id="christmas-2027-two-substitute-days"
        ),
        pytest.param(date(2027, 4, 30), 1, date(2027, 5, 4), id="friday+1-over-early-may-holiday"),
    ],
)
def test_add_working_days(
    calendar: WorkingCalendar, start: date, days: int, expected: date
) -> None:
    assert calendar.add_working_days(start, days) == expected


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(date(2026, 12, 18), id="working-day"),
        pytest.param(date(2026, 12, 19), id="saturday"),
        pytest.param(date(2026, 12, 25), id="bank-holiday"),
    ],
)
def test_adding_zero_working_days_gives_the_same_day(
    calendar: WorkingCalendar, start: date
) -> None:
    assert calendar.add_working_days(start, 0) == start


def test_adding_negative_working_days_is_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        calendar.add_working_days(date(2026, 12, 18), -1)


# --- working_day_of_procedure: "by working day N", the raise day is day 1 if it can be --


@pytest.mark.parametrize(
    ("raised_on", "day_number", "expected"),
    [
        pytest.param(date(2026, 12, 18), 1, date(2026, 12, 18), id="raised-friday-is-day-1"),
        pytest.param(date(2026, 12, 18), 2, date(2026, 12, 21), id="raised-friday-day-2-is-monday"),
        pytest.param(
            date(2026, 12, 19), 1, date(2026, 12, 21), id="raised-saturday-monday-is-day-1"
        ),
        pytest.param(
            date(2026, 12, 20), 2, date(2026, 12, 22), id="raised-sunday-day-2-is-tuesday"
        ),
        pytest.param(
            date(2026, 12, 25), 1, date(2026, 12, 29), id="raised-christmas-day-day-1-is-tuesday"
        ),
        pytest.param(date(2026, 12, 24), 2, date(2026, 12, 29), id="raised-christmas-eve-day-2"),
        pytest.param(date(2026, 12, 18), 8, date(2026, 12, 31), id="raised-18-dec-day-8"),
        pytest.param(date(2026, 12, 18), 22, date(2027, 1, 21), id="raised-18-dec-day-22"),
        pytest.param(date(2027, 3, 26), 1, date(2027, 3, 30), id="raised-good-friday-day-1"),
    ],
)
def test_working_day_of_procedure(
    calendar: WorkingCalendar, raised_on: date, day_number: int, expected: date
) -> None:
    assert calendar.working_day_of_procedure(raised_on, day_number) == expected


@pytest.mark.parametrize("day_number", [0, -1], ids=["day-0", "day-minus-1"])
def test_working_days_of_a_procedure_are_numbered_from_1(
    calendar: WorkingCalendar, day_number: int
) -> None:
    with pytest.raises(ValueError, match="numbered from 1"):
        calendar.working_day_of_procedure(date(2026, 12, 18), day_number)


def test_working_day_of_procedure_on_the_first_day_of_the_calendar(
    calendar: WorkingCalendar,
) -> None:
    # 1 Jan 2026 is a bank holiday, so working day 1 is Friday 2 January.
    assert calendar.working_day_of_procedure(date(2026, 1, 1), 1) == date(2026, 1, 2)


# --- working_days_between and is_working_day ------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2026, 12, 18), date(2026, 12, 18), 0, id="same-day"),
        pytest.param(date(2026, 12, 21), date(2026, 12, 18), 0, id="end-before-start"),
        pytest.param(date(2026, 12, 18), date(2026, 12, 21), 1, id="friday-to-monday"),
        pytest.param(date(2026, 12, 19), date(2026, 12, 21), 1, id="saturday-to-monday"),
        pytest.param(date(2026, 12, 21), date(2026, 12, 26), 3, id="monday-to-boxing-day"),
        pytest.param(date(2026, 12, 24), date(2026, 12, 29), 1, id="over-christmas"),
        pytest.param(date(2026, 12, 18), date(2027, 1, 21), 21, id="raise-to-working-day-22"),
        pytest.param(date(2027, 3, 25), date(2027, 4, 1), 3, id="over-easter"),
    ],
)
def test_working_days_between(
    calendar: WorkingCalendar, start: date, end: date, expected: int
) -> None:
    assert calendar.working_days_between(start, end) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 12, 24), True, id="christmas-eve"),
        pytest.param(date(2026, 12, 25), False, id="christmas-day"),
        pytest.param(date(2026, 12, 27), False, id="sunday"),
        pytest.param(date(2026, 12, 28), False, id="boxing-day-substitute"),
        pytest.param(date(2026, 12, 29), True, id="tuesday-after"),
    ],
)
def test_is_working_day(calendar: WorkingCalendar, day: date, expected: bool) -> None:
    assert calendar.is_working_day(day) is expected


# --- skipped_days: what was not counted, and why --------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2026, 12, 14), date(2026, 12, 18), [], id="a-plain-week"),
        pytest.param(
            date(2026, 12, 18),
            date(2026, 12, 21),
            [(date(2026, 12, 19), "weekend"), (date(2026, 12, 20), "weekend")],
            id="a-weekend",
        ),
        pytest.param(
            date(2026, 12, 24),
            date(2026, 12, 29),
            [
                (date(2026, 12, 25), "Christmas Day"),
                # A bank holiday on a Saturday is named, not called "weekend".
                (date(2026, 12, 26), "Boxing Day"),
                (date(2026, 12, 27), "weekend"),
                (date(2026, 12, 28), "Boxing Day (substitute day)"),
            ],
            id="christmas-2026",
        ),
        pytest.param(
            date(2026, 12, 25),
            date(2026, 12, 26),
            [(date(2026, 12, 26), "Boxing Day")],
            id="start-excluded-end-included",
        ),
        pytest.param(
            date(2027, 3, 25),
            date(2027, 3, 30),
            [
                (date(2027, 3, 26), "Good Friday"),
                (date(2027, 3, 27), "weekend"),
                (date(2027, 3, 28), "weekend"),
                (date(2027, 3, 29), "Easter Monday"),
            ],
            id="easter-2027",
        ),
    ],
)
def test_skipped_days_give_the_reason(
    calendar: WorkingCalendar, start: date, end: date, expected: list[tuple[date, str]]
) -> None:
    assert calendar.skipped_days(start, end) == [SkippedDay(day, why) for day, why in expected]


# --- dates outside the years the calendar knows ---------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.add_working_days(date(2025, 12, 31), 1), id="add-before"),
        pytest.param(lambda c: c.add_working_days(date(2028, 1, 4), 1), id="add-after"),
        pytest.param(lambda c: c.add_working_days(date(2027, 12, 31), 1), id="add-runs-past-end"),
        pytest.param(
            lambda c: c.add_working_days(date(2027, 12, 1), 30), id="add-30-runs-past-end"
        ),
        pytest.param(
            lambda c: c.working_day_of_procedure(date(2028, 1, 4), 1), id="procedure-after"
        ),
        pytest.param(
            lambda c: c.working_days_between(date(2025, 12, 1), date(2026, 1, 5)),
            id="between-starts-before",
        ),
        pytest.param(
            lambda c: c.working_days_between(date(2027, 12, 1), date(2028, 1, 5)),
            id="between-ends-after",
        ),
        pytest.param(lambda c: c.is_working_day(date(1850, 1, 1)), id="is-working-day-1850"),
        pytest.param(
            lambda c: c.add_working_days_batch(
                np.array(["2026-06-01", "2028-06-01"], dtype="datetime64[D]"), [1, 1]
            ),
            id="batch-start-after",
        ),
        pytest.param(
            lambda c: c.add_working_days_batch(
                np.array(["2027-12-31"], dtype="datetime64[D]"), [1]
            ),
            id="batch-runs-past-end",
        ),
    ],
)
def test_dates_outside_the_calendar_are_refused(
    calendar: WorkingCalendar, call: Callable[[WorkingCalendar], object]
) -> None:
    with pytest.raises(OutsideCalendar):
        call(calendar)


def test_outside_calendar_names_the_years(calendar: WorkingCalendar) -> None:
    with pytest.raises(OutsideCalendar, match=r"1850-01-01 .*2026 to 2027"):
        calendar.add_working_days(date(1850, 1, 1), 1)


def test_outside_calendar_is_a_value_error() -> None:
    assert issubclass(OutsideCalendar, ValueError)


def test_calendar_years_must_be_in_order() -> None:
    with pytest.raises(ValueError, match="first_year"):
        WorkingCalendar(holidays={}, first_year=2027, last_year=2026)


def test_batch_refuses_zero_working_days(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="at least one"):
        calendar.add_working_days_batch(np.array(["2026-06-01"], dtype="datetime64[D]"), [0])


def test_batch_matches_the_scalar_table(calendar: WorkingCalendar) -> None:
    starts = [date(2026, 12, 18), date(2026, 12, 19), date(2026, 12, 24), date(2027, 3, 25)]
    days = [10, 1, 1, 1]
    result = calendar.add_working_days_batch(np.array(starts, dtype="datetime64[D]"), days)
    assert result.tolist() == [
        date(2027, 1, 6),
        date(2026, 12, 21),
        date(2026, 12, 29),
        date(2027, 3, 30),
    ]


# --- properties of the real England and Wales calendar, checked against numpy ---------

FIRST_DAY = date(2000, 1, 1)
# Leaves room to count 60 working days forward before the calendar ends in 2080.
LAST_START = date(2080, 9, 30)
WEEKMASK = "1111100"

any_start = st.dates(min_value=FIRST_DAY, max_value=LAST_START)
working_days = st.integers(min_value=1, max_value=60)
quick = settings(max_examples=200, deadline=None, database=None)


@pytest.fixture(scope="module")
def england_and_wales() -> WorkingCalendar:
    # Built as escalate.calendars builds it; importing that module from the domain
    # package would break the import contract in pyproject.toml.
    table = holidays.country_holidays("GB", subdiv="ENG", years=range(2000, 2081))
    days_off = {day: str(name) for day, name in table.items()}
    return WorkingCalendar(holidays=days_off, first_year=2000, last_year=2080)


@pytest.fixture(scope="module")
def numpy_days_off(england_and_wales: WorkingCalendar) -> np.busdaycalendar:
    holidays = np.array(sorted(england_and_wales.holidays), dtype="datetime64[D]")
    return np.busdaycalendar(weekmask=WEEKMASK, holidays=holidays)


@quick
@given(start=any_start, days=working_days)
def test_a_due_date_is_always_a_working_day(
    england_and_wales: WorkingCalendar, start: date, days: int
) -> None:
    due = england_and_wales.add_working_days(start, days)
    assert due > start
    assert england_and_wales.is_working_day(due)


@quick
@given(start=any_start, first=working_days, second=working_days)
def test_more_working_days_give_a_later_date(
    england_and_wales: WorkingCalendar, start: date, first: int, second: int
) -> None:
    fewer, more = sorted((first, second))
    earlier = england_and_wales.add_working_days(start, fewer)
    later = england_and_wales.add_working_days(start, more)
    assert (earlier < later) if fewer < more else (earlier == later)
    assert england_and_wales.working_days_between(earlier, later) == more - fewer


@settings(max_examples=3000, deadline=None, database=None)
@given(start=any_start, days=working_days)
def test_add_working_days_agrees_with_numpy(
    england_and_wales: WorkingCalendar,
    numpy_days_off: np.busdaycalendar,
    start: date,
    days: int,
) -> None:
    expected = np.busday_offset(start, days, roll="backward", busdaycal=numpy_days_off)
    assert england_and_wales.add_working_days(start, days) == expected.astype(date)


@quick
# From 2 January 2000: see test_working_day_of_procedure_on_the_first_day_of_the_calendar.
@given(
    raised_on=st.dates(min_value=date(2000, 1, 2), max_value=LAST_START), day_number=working_days
)
def test_working_day_of_procedure_agrees_with_numpy(
    england_and_wales: WorkingCalendar,
    numpy_days_off: np.busdaycalendar,
    raised_on: date,
    day_number: int,
) -> None:
    expected = np.busday_offset(raised_on, day_number - 1, roll="forward", busdaycal=numpy_days_off)
    assert england_and_wales.working_day_of_procedure(raised_on, day_number) == expected.astype(
        date
    )


def test_batch_agrees_with_numpy_over_100_000_random_pairs(
    england_and_wales: WorkingCalendar,
) -> None:
    rng = np.random.default_rng(20261218)
    first = np.datetime64(FIRST_DAY, "D")
    span = (np.datetime64(LAST_START, "D") - first).astype(int)
    starts = first + rng.integers(0, span + 1, size=100_000)
    days = rng.integers(1, 61, size=100_000)
    holidays = np.array(sorted(england_and_wales.holidays), dtype="datetime64[D]")

    expected = np.busday_offset(starts, days, roll="backward", weekmask=WEEKMASK, holidays=holidays)
    result = england_and_wales.add_working_days_batch(starts, days)

    mismatches = np.flatnonzero(result != expected)
    assert mismatches.size == 0, [
        (str(starts[i]), int(days[i]), str(result[i]), str(expected[i])) for i in mismatches[:5]
    ]


def test_the_property_range_is_inside_the_real_calendar(england_and_wales: WorkingCalendar) -> None:
    assert england_and_wales.first_year == FIRST_DAY.year
    last = england_and_wales.add_working_days(LAST_START, 60)
    assert last <= date(england_and_wales.last_year, 12, 31)
