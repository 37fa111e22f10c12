"""The arithmetic of the board's figures: periods, medians, shares and small numbers.

Plain values in, plain values out: the queries that count live in ``board/figures.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

SMALL_NUMBER_LIMIT = 5
"""Counts from 1 up to this, exclusive, are not published: they could identify a child."""
FEWER_THAN_LIMIT = f"fewer than {SMALL_NUMBER_LIMIT}"


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def label(self) -> str:
        """'Mar 2026': short enough for a chart's axis."""
        return f"{self.first_day:%b %Y}"


@dataclass(frozen=True)
class Period:
    """Whole months, from the first day of ``first`` to the last day of ``last``."""

    first: Month
    last: Month

    def __post_init__(self) -> None:
        if self.last.first_day < self.first.first_day:
            raise ValueError("A period ends on or after the month it starts.")

    @classmethod
    def year_to(cls, last: Month) -> Period:
        """The twelve months ending with ``last``."""
        first = last
        for _ in range(11):
            first = first.previous()
        return cls(first, last)

    @property
    def start(self) -> date:
        return self.first.first_day

    @property
    def end(self) -> date:
        return self.last.last_day

    def months(self) -> list[Month]:
        months, month = [], self.first
        while month.first_day <= self.last.first_day:
            months.append(month)
            month = month.next()
        return months

    def previous(self) -> Period:
        """The period of as many months just before this one: what the trend compares with."""
        length = len(self.months())
        last = self.first.previous()
        first = last
        for _ in range(length - 1):
            first = first.previous()
        return Period(first, last)

    def label(self) -> str:
        if self.first == self.last:
            return self.first.label()
        return f"{self.first.label()} to {self.last.label()}"


def median_of(histogram: Mapping[int, int]) -> float | None:
    """The median of values counted in ``histogram`` (value: how many), or None if empty.

    Counted from a histogram because the figures read counts per number of working days,
    not every case's number.
    """
    total = sum(histogram.values())
    if total == 0:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    lower = upper = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if lower is None and seen > lower_rank:
            lower = value
        if seen > upper_rank:
            upper = value
            break
    assert lower is not None and upper is not None
    return (lower + upper) / 2


def count_text(number: int) -> str:
    """A count as people read it: 83,032, not 83032."""
    return f"{number:,}"


def share(part: int, whole: int) -> float | None:
    """``part`` as a fraction of ``whole``; None when there is nothing to share."""
    return part / whole if whole else None


def percent_text(fraction: float | None) -> str:
    return "No data" if fraction is None else f"{round(fraction * 100)}%"


def days_text(days: float | None) -> str:
    if days is None:
        return "No data"
    shown = f"{days:g}"
    return f"{shown} working day" if days == 1 else f"{shown} working days"


def publishable(count: int) -> str:
    """A count as it may appear in anything published: 1 to 4 hidden, 0 and 5 up shown."""
    if 0 < count < SMALL_NUMBER_LIMIT:
        return FEWER_THAN_LIMIT
    return count_text(count)


def change_text(now: int, before: int) -> str:
    """How a count moved against the previous period, in words."""
    if now == before:
        return "no change on the previous period"
    direction = "up" if now > before else "down"
    return (
        f"{direction} {count_text(abs(now - before))} on the previous period ({count_text(before)})"
    )
