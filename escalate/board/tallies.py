"""The board's counts kept per partnership and month (decision 15): where they are stored.

Writers note which month changed (``note_change``: ``board/signals.py`` wires it to every
save and delete of an escalation or a stage, and to the bulk seeder's signal); a
background task counts each changed month again from its cases (``count_month``, given
the counting by ``board/figures.py``). Reading sums the tallies of the months with no
change waiting and counts the others from their cases, so a figure is always what
counting every case would give, however far behind the worker is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum

from escalate.board.models import FigureChange, FigureTally
from escalate.domain.figures import Month, Period

Counts = dict[tuple[object, ...], int]
Counter = Callable[[int, list[Period]], dict[str, Counts]]
"""Counts a partnership's cases raised in the periods, per grouping and key."""

_LOCK_NAMESPACE = 0x42 << 56
"""High bits of a month's advisory lock key: apart from every other lock of ours."""


# --- writers --------------------------------------------------------------------------------


def note_change(partnership_id: int, raised_on: date) -> None:
    """Record that a case raised on ``raised_on`` changed."""
    FigureChange.objects.create(partnership_id=partnership_id, month=Month.of(raised_on).first_day)


def note_months(months: Iterable[tuple[int, date]]) -> int:
    """Record a change in each (partnership, any day of the month): for bulk writers."""
    rows = {(p, Month.of(day).first_day) for p, day in months}
    FigureChange.objects.bulk_create(
        [FigureChange(partnership_id=p, month=m) for p, m in sorted(rows)], batch_size=1000
    )
    return len(rows)


# --- the recount ------------------------------------------------------------------------------


def count_changed_months(counter: Counter, *, limit: int | None = None) -> int:
    """Count again every month with a change waiting (at most ``limit``); how many it counted.

    Safe beside other workers: a month another worker is counting is left to it.
    """
    waiting = (
        FigureChange.objects.values_list("partnership_id", "month")
        .distinct()
        .order_by("partnership_id", "month")
    )
    counted = 0
    for partnership_id, month in waiting[:limit] if limit else waiting:
        counted += count_month(partnership_id, Month.of(month), counter)
    return counted


@transaction.atomic
def count_month(partnership_id: int, month: Month, counter: Counter) -> bool:
    """Replace the month's tallies with a fresh count; False if another worker holds it.

    Only the changes seen before the count are cleared, so a change that commits while
    the month is counted stays waiting and is counted next time.
    """
    if not _lock_month(partnership_id, month):
        return False
    tallies = FigureTally.objects.filter(partnership_id=partnership_id, month=month.first_day)
    tallies.delete()  # first, so SQLite takes its write lock before anything is read
    changes = FigureChange.objects.filter(partnership_id=partnership_id, month=month.first_day)
    seen = list(changes.values_list("pk", flat=True))
    fresh = counter(partnership_id, [Period(month, month)])
    FigureTally.objects.bulk_create(_tallies(partnership_id, month, fresh), batch_size=1000)
    FigureChange.objects.filter(pk__in=seen).delete()
    return True


def month_lock_key(partnership_id: int, month: Month) -> int:
    """The PostgreSQL advisory lock a worker holds while it counts this month."""
    return _LOCK_NAMESPACE | (partnership_id << 20) | (month.year * 12 + month.month - 1)


def _lock_month(partnership_id: int, month: Month) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite lets one writer at a time in
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s::bigint)", [month_lock_key(partnership_id, month)]
        )
        (locked,) = cursor.fetchone()
    return bool(locked)


def _tallies(partnership_id: int, month: Month, fresh: dict[str, Counts]) -> Iterator[FigureTally]:
    first_day = month.first_day
    for grouping, counts in fresh.items():
        for key, n in counts.items():
            yield FigureTally(
                partnership_id=partnership_id,
                month=first_day,
                grouping=grouping,
                key=[_json_value(value) for value in key],
                count=n,
            )


def _json_value(value: object) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# --- readers ----------------------------------------------------------------------------------


def waiting_months(partnership_id: int, period: Period) -> set[Month]:
    """The period's months with a change their tallies do not count yet."""
    days = (
        FigureChange.objects.filter(
            partnership_id=partnership_id, month__gte=period.start, month__lte=period.end
        )
        .values_list("month", flat=True)
        .distinct()
    )
    return {Month.of(day) for day in days}


def summed_tallies(
    partnership_id: int, period: Period, *, skip: set[Month], groupings: Iterable[str]
) -> dict[str, Counts]:
    """The tallies of the period's months but ``skip``, summed per grouping and key."""
    rows = (
        FigureTally.objects.filter(
            partnership_id=partnership_id,
            month__gte=period.start,
            month__lte=period.end,
            grouping__in=list(groupings),
        )
        .exclude(month__in=[month.first_day for month in skip])
        .values("grouping", "key")
        .annotate(n=Sum("count"))
        .order_by()
    )
    summed: dict[str, Counts] = defaultdict(dict)
    for row in rows:
        summed[row["grouping"]][_key(row["grouping"], row["key"])] = row["n"]
    return summed


def _key(grouping: str, values: list[Any]) -> tuple[object, ...]:
    if grouping == "day":
        return tuple(date.fromisoformat(value) for value in values)
    return tuple(values)


def runs_of(months: Iterable[Month]) -> list[Period]:
    """``months`` as the fewest periods of consecutive months."""
    runs: list[Period] = []
    for month in sorted(months, key=lambda m: m.first_day):
        if runs and runs[-1].last.next() == month:
            runs[-1] = Period(runs[-1].first, month)
        else:
            runs.append(Period(month, month))
    return runs


def add_counts(into: dict[str, Counts], more: dict[str, Counts]) -> dict[str, Counts]:
    for grouping, counts in more.items():
        target = into.setdefault(grouping, {})
        for key, n in counts.items():
            target[key] = target.get(key, 0) + n
    return into
