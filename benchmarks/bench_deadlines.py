"""How fast are working-day due dates? WorkingCalendar against numpy.busday_offset.

Run from the repository root:  python benchmarks/bench_deadlines.py

One million (raise date, N working days) pairs, drawn with a fixed seed from
2000-2060 with N from 1 to 30, on the England and Wales calendar. Times numpy's
busday_offset (the baseline), WorkingCalendar.add_working_days_batch and the scalar
WorkingCalendar.add_working_days, and checks that all three give the same dates.
Exits non-zero if they disagree.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date

import numpy as np
import numpy.typing as npt

from escalate.calendars import working_calendar
from escalate.domain.policy import Nation

PAIRS = 1_000_000
REPEATS = 7
SCALAR_SAMPLE = 10_000
SEED = 20261218
WEEKMASK = "1111100"
FIRST_DAY = np.datetime64("2000-01-01", "D")
LAST_DAY = np.datetime64("2060-12-31", "D")

Dates = npt.NDArray[np.datetime64]


def random_pairs() -> tuple[Dates, npt.NDArray[np.int64]]:
    rng = np.random.default_rng(SEED)
    span = int((LAST_DAY - FIRST_DAY).astype(np.int64))
    starts = FIRST_DAY + rng.integers(0, span + 1, size=PAIRS)
    days = rng.integers(1, 31, size=PAIRS, dtype=np.int64)
    return starts, days


def median_seconds(run: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        run()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def report(label: str, seconds: float, numpy_seconds: float, how: str) -> None:
    rate = PAIRS / seconds
    print(
        f"{label:<7} {PAIRS:,} deadlines in {seconds:.3f} s {how} = {rate / 1e6:.1f}M/s; "
        f"{numpy_seconds / seconds:.2f}x numpy"
    )


def main() -> int:
    began = time.perf_counter()
    calendar = working_calendar(Nation.ENGLAND_AND_WALES)
    holidays = np.array(sorted(calendar.holidays), dtype="datetime64[D]")
    starts, days = random_pairs()
    calendar.add_working_days_batch(starts[:1], days[:1])  # builds the lookup arrays once
    setup = time.perf_counter() - began

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}; "
        f"England and Wales calendar {calendar.first_year}-{calendar.last_year} "
        f"({len(holidays)} bank holidays), built with the inputs in {setup:.2f} s"
    )
    print(f"{PAIRS:,} pairs, seed {SEED}: raise dates {FIRST_DAY} to {LAST_DAY}, N 1..30")

    def with_numpy() -> Dates:
        return np.busday_offset(starts, days, roll="backward", weekmask=WEEKMASK, holidays=holidays)

    def with_batch() -> Dates:
        return calendar.add_working_days_batch(starts, days)

    expected = with_numpy()
    batch = with_batch()
    mismatches = np.flatnonzero(batch != expected)
    if mismatches.size:
        first = int(mismatches[0])
        print(
            f"FAIL: batch and numpy disagree on {mismatches.size:,} pairs, e.g. "
            f"{starts[first]} + {days[first]}: {batch[first]} vs {expected[first]}"
        )
        return 1

    start_dates: list[date] = starts.astype(date).tolist()
    day_counts: list[int] = days.tolist()
    add = calendar.add_working_days
    began = time.perf_counter()
    scalar = [add(start, count) for start, count in zip(start_dates, day_counts, strict=True)]
    scalar_seconds = time.perf_counter() - began
    sample = np.random.default_rng(SEED + 1).choice(PAIRS, size=SCALAR_SAMPLE, replace=False)
    wrong = [int(i) for i in sample if scalar[i] != expected[i].astype(date)]
    if wrong:
        i = wrong[0]
        print(
            f"FAIL: scalar and numpy disagree on {len(wrong):,} of {SCALAR_SAMPLE:,} sampled "
            f"pairs, e.g. {start_dates[i]} + {day_counts[i]}: {scalar[i]} vs {expected[i]}"
        )
        return 1
    print(
        f"Checked: batch == numpy on all {PAIRS:,} pairs; "
        f"scalar == numpy on {SCALAR_SAMPLE:,} sampled pairs"
    )

    numpy_seconds = median_seconds(with_numpy)
    batch_seconds = median_seconds(with_batch)
    report("numpy:", numpy_seconds, numpy_seconds, f"median of {REPEATS}")
    report("batch:", batch_seconds, numpy_seconds, f"median of {REPEATS}")
    report("scalar:", scalar_seconds, numpy_seconds, "single run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
