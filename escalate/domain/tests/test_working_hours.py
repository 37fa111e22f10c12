"""Working hours: is it now a time when a partnership's reminders may go out?

Hand-written calendars (no ``holidays`` library, no Django): England and Wales with
Christmas 2026 and a partnership closure day on Tuesday 29 December; Scotland with
St Andrew's Day (Monday 30 November 2026), which is a working day in England. Moments
are given in UTC so that the UK clock, GMT in winter and BST in summer, is tested too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from escalate.domain.calendar import WorkingCalendar
from escalate.domain.working_hours import (
    DEFAULT_WORKING_HOURS,
    BadWorkingHours,
    WorkingHours,
    is_within_working_hours,
    parse_working_hours,
    uk_time,
)

ENGLAND = WorkingCalendar(
    holidays={
        date(2026, 12, 25): "Christmas Day",
        date(2026, 12, 28): "Boxing Day (substitute day)",
        date(2026, 12, 29): "partnership closure day",
        date(2027, 3, 26): "Good Friday",
        date(2027, 3, 29): "Easter Monday",
    },
    first_year=2026,
    last_year=2027,
)
SCOTLAND = WorkingCalendar(
    holidays={date(2026, 11, 30): "St Andrew's Day"}, first_year=2026, last_year=2027
)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- the decision -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "calendar", "expected"),
    [
        # Winter (GMT): the UK clock is UTC. Wednesday 2 December 2026.
        pytest.param(utc(2026, 12, 2, 7, 59), ENGLAND, False, id="weekday-07:59-before-opening"),
        pytest.param(utc(2026, 12, 2, 8, 0), ENGLAND, True, id="weekday-08:00-opens"),
        pytest.param(utc(2026, 12, 2, 17, 59), ENGLAND, True, id="weekday-17:59-still-open"),
        pytest.param(utc(2026, 12, 2, 18, 0), ENGLAND, False, id="weekday-18:00-closed"),
        pytest.param(utc(2026, 12, 2, 23, 30), ENGLAND, False, id="weekday-night"),
        pytest.param(utc(2026, 12, 5, 10, 0), ENGLAND, False, id="saturday-morning"),
        pytest.param(utc(2026, 12, 6, 12, 0), ENGLAND, False, id="sunday-noon"),
        pytest.param(utc(2026, 12, 7, 8, 0), ENGLAND, True, id="monday-08:00-after-a-weekend"),
        pytest.param(utc(2026, 12, 25, 10, 0), ENGLAND, False, id="christmas-day-bank-holiday"),
        pytest.param(utc(2026, 12, 28, 10, 0), ENGLAND, False, id="substitute-boxing-day"),
        pytest.param(utc(2026, 12, 29, 10, 0), ENGLAND, False, id="partnership-closure-day"),
        pytest.param(utc(2026, 12, 30, 10, 0), ENGLAND, True, id="first-working-day-after"),
        # St Andrew's Day is a bank holiday in Scotland only.
        pytest.param(utc(2026, 11, 30, 10, 0), SCOTLAND, False, id="st-andrews-day-in-scotland"),
        pytest.param(utc(2026, 11, 30, 10, 0), ENGLAND, True, id="st-andrews-day-in-england"),
    ],
)
def test_reminders_go_out_on_working_days_within_working_hours(
    moment: datetime, calendar: WorkingCalendar, expected: bool
) -> None:
    assert (
        is_within_working_hours(moment, hours=DEFAULT_WORKING_HOURS, calendar=calendar) is expected
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # British Summer Time ends at 01:00 UTC on Sunday 25 October 2026.
        pytest.param(utc(2026, 10, 23, 6, 59), False, id="bst-friday-07:59-uk"),
        pytest.param(utc(2026, 10, 23, 7, 0), True, id="bst-friday-08:00-uk-is-07:00-utc"),
        pytest.param(utc(2026, 10, 23, 16, 59), True, id="bst-friday-17:59-uk"),
        pytest.param(utc(2026, 10, 23, 17, 0), False, id="bst-friday-18:00-uk-is-17:00-utc"),
        pytest.param(utc(2026, 10, 26, 7, 0), False, id="gmt-monday-07:00-utc-is-07:00-uk"),
        pytest.param(utc(2026, 10, 26, 8, 0), True, id="gmt-monday-08:00-uk"),
        pytest.param(utc(2026, 10, 26, 17, 30), True, id="gmt-monday-17:30-uk"),
        # BST starts at 01:00 UTC on Sunday 28 March 2027 (Easter Monday 29th is a holiday).
        pytest.param(utc(2027, 3, 30, 6, 30), False, id="bst-tuesday-07:30-uk"),
        pytest.param(utc(2027, 3, 30, 7, 0), True, id="bst-tuesday-08:00-uk"),
        pytest.param(utc(2027, 3, 30, 17, 0), False, id="bst-tuesday-18:00-uk"),
    ],
)
def test_working_hours_are_on_the_uk_clock_across_the_summer_time_changes(
    moment: datetime, expected: bool
) -> None:
    assert (
        is_within_working_hours(moment, hours=DEFAULT_WORKING_HOURS, calendar=ENGLAND) is expected
    )


def test_the_day_is_the_uk_day_not_the_utc_day() -> None:
    # 23:30 UTC on Friday 23 October 2026 is 00:30 BST on Saturday; a moment given in
    # another zone is placed on the UK clock too.
    assert uk_time(utc(2026, 10, 23, 23, 30)).date().isoformat() == "2026-10-24"
    sydney = timezone(timedelta(hours=11))
    monday_9am_uk = datetime(2026, 12, 7, 20, 0, tzinfo=sydney)
    assert is_within_working_hours(monday_9am_uk, hours=DEFAULT_WORKING_HOURS, calendar=ENGLAND)


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        is_within_working_hours(
            datetime(2026, 12, 2, 10, 0),  # noqa: DTZ001 - the naive moment under test
            hours=DEFAULT_WORKING_HOURS,
            calendar=ENGLAND,
        )


def test_a_partnerships_own_hours_apply() -> None:
    hours = parse_working_hours("09:30-16:00")

    assert not is_within_working_hours(utc(2026, 12, 2, 9, 29), hours=hours, calendar=ENGLAND)
    assert is_within_working_hours(utc(2026, 12, 2, 9, 30), hours=hours, calendar=ENGLAND)
    assert not is_within_working_hours(utc(2026, 12, 2, 16, 0), hours=hours, calendar=ENGLAND)


# --- reading the setting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "opens", "closes"),
    [
        pytest.param("08:00-18:00", time(8), time(18), id="the-default"),
        pytest.param("9:30-17:00", time(9, 30), time(17), id="one-digit-hour"),
        pytest.param(" 07:45 - 19:15 ", time(7, 45), time(19, 15), id="spaces"),
        pytest.param("00:00-23:59", time(0), time(23, 59), id="the-whole-day"),
    ],
)
def test_working_hours_are_read_from_text(text: str, opens: time, closes: time) -> None:
    assert parse_working_hours(text) == WorkingHours(opens=opens, closes=closes)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("18:00-08:00", "closes before it opens", id="overnight"),
        pytest.param("08:00-08:00", "opens and closes at the same time", id="empty"),
        pytest.param("25:00-26:00", "'25:00' is not a time of day", id="hour-25"),
        pytest.param("08:00-18:60", "'18:60' is not a time of day", id="minute-60"),
        pytest.param("08:00-24:00", "'24:00' is not a time of day", id="midnight-as-24"),
        pytest.param("25:00", "is not a range of times", id="one-time"),
        pytest.param("8am-6pm", "is not a range of times", id="words"),
        pytest.param("", "is not a range of times", id="blank"),
    ],
)
def test_bad_working_hours_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(BadWorkingHours, match=fragment):
        parse_working_hours(text)


def test_the_default_is_eight_to_six() -> None:
    assert DEFAULT_WORKING_HOURS.text() == "08:00-18:00"
    assert DEFAULT_WORKING_HOURS.describe() == "08:00 to 18:00 UK time on working days"
