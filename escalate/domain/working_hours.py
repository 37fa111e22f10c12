"""Working hours: when a partnership's reminders may go out (decision record 0019).

A policy's ``[notifications] working_hours`` (default 08:00 to 18:00) says the times of
day; the partnership's working days (``WorkingCalendar``: weekends, the nation's bank
holidays and its closure days) say the days. The times are UK clock times, so a moment
is read in Europe/London whatever the server's time zone: 08:00 is 08:00 GMT in winter
and 08:00 BST in summer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from escalate.domain.calendar import WorkingCalendar

UK_TIME = ZoneInfo("Europe/London")

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class BadWorkingHours(ValueError):
    """A working-hours text that cannot be read; the message says why, in a sentence."""


@dataclass(frozen=True)
class WorkingHours:
    """From ``opens`` (inclusive) to ``closes`` (exclusive), UK time, on working days."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise BadWorkingHours("Working hours must open before they close on the same day.")

    def describe(self) -> str:
        return f"{self.opens:%H:%M} to {self.closes:%H:%M} UK time on working days"

    def text(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


DEFAULT_WORKING_HOURS = WorkingHours(opens=time(8, 0), closes=time(18, 0))


def parse_working_hours(text: str) -> WorkingHours:
    """Read ``"HH:MM-HH:MM"``; raise ``BadWorkingHours`` naming what is wrong."""
    match = _RANGE.match(text)
    if match is None:
        raise BadWorkingHours(
            f'{text!r} is not a range of times: write it as "08:00-18:00" (HH:MM-HH:MM)'
        )
    opens = _clock_time(match.group(1), match.group(2))
    closes = _clock_time(match.group(3), match.group(4))
    if opens >= closes:
        raise BadWorkingHours(
            f"{text!r} closes before it opens: working hours run forward within one "
            f'day (overnight hours are not allowed), for example "{closes:%H:%M}-{opens:%H:%M}"'
            if opens > closes
            else f"{text!r} opens and closes at the same time, so no reminder could go out"
        )
    return WorkingHours(opens=opens, closes=closes)


def _clock_time(hours: str, minutes: str) -> time:
    hour, minute = int(hours), int(minutes)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise BadWorkingHours(
            f"'{hours}:{minutes}' is not a time of day: hours run 00 to 23, minutes 00 to 59"
        )
    return time(hour, minute)


def uk_time(moment: datetime) -> datetime:
    """``moment`` on the UK clock; refuses a naive datetime, which names no instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("A moment needs its time zone to be placed on the UK clock.")
    return moment.astimezone(UK_TIME)


def is_within_working_hours(
    moment: datetime, *, hours: WorkingHours, calendar: WorkingCalendar
) -> bool:
    """Whether reminders may go out at ``moment``: a working day, and within its hours."""
    local = uk_time(moment)
    if not calendar.is_working_day(local.date()):
        return False
    return hours.opens <= local.time().replace(tzinfo=None) < hours.closes
