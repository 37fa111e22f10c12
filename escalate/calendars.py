"""Working calendars built from a maintained bank-holiday library.

The one place that knows which library supplies bank holidays; the domain core
receives a ready ``WorkingCalendar``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import holidays

from escalate.domain.calendar import WorkingCalendar
from escalate.domain.policy import Nation

FIRST_YEAR = 2000
LAST_YEAR = 2080

# England and Wales share one set of bank holidays; the library files it under England.
_SUBDIVISIONS = {
    Nation.ENGLAND_AND_WALES: "ENG",
    Nation.SCOTLAND: "SCT",
    Nation.NORTHERN_IRELAND: "NIR",
}


def bank_holidays(
    nation: Nation, *, first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR
) -> dict[date, str]:
    table = holidays.country_holidays(
        "GB", subdiv=_SUBDIVISIONS[nation], years=range(first_year, last_year + 1)
    )
    return {day: str(name) for day, name in table.items()}


@lru_cache(maxsize=32)
def _calendar(nation: Nation, closure_days: tuple[date, ...]) -> WorkingCalendar:
    days_off = bank_holidays(nation)
    for day in closure_days:
        days_off.setdefault(day, "partnership closure day")
    return WorkingCalendar(holidays=days_off, first_year=FIRST_YEAR, last_year=LAST_YEAR)


def working_calendar(nation: Nation, closure_days: Iterable[date] = ()) -> WorkingCalendar:
    """The calendar for a nation's bank holidays plus a partnership's closure days."""
    return _calendar(nation, tuple(sorted(set(closure_days))))
