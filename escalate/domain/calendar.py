"""Working days: weekends, bank holidays and a partnership's own closure days.

Two ways of counting appear in the source procedures (docs/domain.md decision 1):

* "within N working days of entering a stage": the entry day is day 0 and the
  stage is due on the Nth working day after it (``add_working_days``);
* "by working day N of the procedure": the day the disagreement is raised is
  working day 1 if it is a working day, otherwise the next working day is
  (``working_day_of_procedure``).

Lookups are answered from a precomputed table, so each is a couple of list
indexings rather than a walk over the calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - numpy is only needed for batch work
    import numpy as np
    import numpy.typing as npt

SATURDAY, SUNDAY = 5, 6
_UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class OutsideCalendar(ValueError):
    """A date falls outside the years whose bank holidays this calendar knows."""


@dataclass(frozen=True)
class SkippedDay:
    """A day that was not counted, and why: shown beside a due date."""

    day: date
    reason: str


class WorkingCalendar:
    """Working days between ``first_year`` and ``last_year`` inclusive."""

    def __init__(
        self,
        *,
        holidays: Mapping[date, str],
        first_year: int,
        last_year: int,
        weekend: Iterable[int] = (SATURDAY, SUNDAY),
    ) -> None:
        if first_year > last_year:
            raise ValueError("first_year must not be after last_year.")
        self.first_year = first_year
        self.last_year = last_year
        self.weekend = frozenset(weekend)
        self.holidays = dict(holidays)
        self._first_day = date(first_year, 1, 1)
        self._last_day = date(last_year, 12, 31)
        self._base = self._first_day.toordinal()
        # _worked_through[i]: working days in [first_day, first_day + i]
        # _working_ordinals[k]: ordinal of the (k+1)th working day in range
        self._worked_through: list[int] = []
        self._working_ordinals: list[int] = []
        count = 0
        day = self._first_day
        while day <= self._last_day:
            if self._is_working(day):
                count += 1
                self._working_ordinals.append(day.toordinal())
            self._worked_through.append(count)
            day += timedelta(days=1)

    def _is_working(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def _offset(self, day: date) -> int:
        offset = day.toordinal() - self._base
        if not 0 <= offset < len(self._worked_through):
            raise OutsideCalendar(
                f"{day.isoformat()} is outside the years this calendar covers "
                f"({self.first_year} to {self.last_year})."
            )
        return offset

    def _nth_working_ordinal(self, index: int, *, counting_from: date) -> date:
        if index >= len(self._working_ordinals):
            raise OutsideCalendar(
                f"Counting from {counting_from.isoformat()} runs past the end of "
                f"{self.last_year}, the last year this calendar covers."
            )
        return date.fromordinal(self._working_ordinals[index])

    def is_working_day(self, day: date) -> bool:
        self._offset(day)
        return self._is_working(day)

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself is day 0).

        ``days == 0`` returns ``start`` unchanged: "the same day".
        """
        if days < 0:
            raise ValueError("A number of working days cannot be negative.")
        if days == 0:
            return start
        index = self._worked_through[self._offset(start)] + days - 1
        return self._nth_working_ordinal(index, counting_from=start)

    def working_day_of_procedure(self, raised_on: date, day_number: int) -> date:
        """Working day ``day_number`` of a procedure raised on ``raised_on``.

        The raise day is working day 1 if it is a working day; otherwise the next one is.
        """
        if day_number < 1:
            raise ValueError("Working days of a procedure are numbered from 1.")
        offset = self._offset(raised_on)
        first_index = self._worked_through[offset] - (1 if self._is_working(raised_on) else 0)
        return self._nth_working_ordinal(first_index + day_number - 1, counting_from=raised_on)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        if end <= start:
            return 0
        return self._worked_through[self._offset(end)] - self._worked_through[self._offset(start)]

    def skipped_days(self, start: date, end: date) -> list[SkippedDay]:
        """Days after ``start`` up to ``end`` that were not counted, with the reason."""
        skipped: list[SkippedDay] = []
        day = start + timedelta(days=1)
        while day <= end:
            if day in self.holidays:
                skipped.append(SkippedDay(day, self.holidays[day]))
            elif day.weekday() in self.weekend:
                skipped.append(SkippedDay(day, "weekend"))
            day += timedelta(days=1)
        return skipped

    def add_working_days_batch(
        self, starts: npt.NDArray[np.datetime64], days: Sequence[int] | npt.NDArray[np.int64]
    ) -> npt.NDArray[np.datetime64]:
        """``add_working_days`` over arrays of start dates and day counts (all >= 1)."""
        import numpy as np

        worked_through, working_ordinals = self._as_arrays()
        offsets = starts.astype("datetime64[D]").astype(np.int64) + (
            _UNIX_EPOCH_ORDINAL - self._base
        )
        if offsets.size and (offsets.min() < 0 or offsets.max() >= worked_through.size):
            raise OutsideCalendar("A start date is outside the years this calendar covers.")
        day_counts = np.asarray(days, dtype=np.int64)
        if day_counts.size and day_counts.min() < 1:
            raise ValueError("Batch counting needs at least one working day.")
        indexes = worked_through[offsets] + day_counts - 1
        if indexes.size and indexes.max() >= working_ordinals.size:
            raise OutsideCalendar("Counting runs past the last year this calendar covers.")
        due: npt.NDArray[np.datetime64] = (working_ordinals[indexes] - _UNIX_EPOCH_ORDINAL).astype(
            "datetime64[D]"
        )
        return due

    def _as_arrays(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        import numpy as np

        cached = getattr(self, "_arrays", None)
        if cached is None:
            cached = (
                np.asarray(self._worked_through, dtype=np.int64),
                np.asarray(self._working_ordinals, dtype=np.int64),
            )
            self._arrays = cached
        return cached
