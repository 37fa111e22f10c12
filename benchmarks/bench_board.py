"""The board's figures summed from monthly tallies, against counting every case, in one run.

Run after ``make bench-web`` has seeded its database (or on any seeded PostgreSQL
database), from the repository root:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/escalate_bench \\
        python benchmarks/bench_board.py

For the largest partnership, over 12 months and over 36 (its whole seeded history),
it times ``figure_counts`` (tallies, with the months that have a change waiting counted
from their cases; then again with a change waiting in the latest one and three months)
against the same counts taken from the cases alone (decision 14's path,
``figures.live_counts``), and the whole ``board_figures`` (labels, the oldest open case,
the previous period's trend). Each figure is the median of ``--repeats`` runs after one
warm-up; the ratio is live over tallied. It also times tallying one month again.
Nothing is written except the tallies of the months it recounts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        parser.error("set BENCH_DATABASE_URL to a seeded PostgreSQL database")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.web.settings_app")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    _report(args.repeats)
    return 0


def _report(repeats: int) -> None:
    from django.db.models import Count

    from escalate.board import tallies
    from escalate.board.figures import (
        BoardFilters,
        board_figures,
        figure_counts,
        live_counts,
        recount_changed_months,
    )
    from escalate.domain.figures import Month, Period
    from escalate.escalations.clock import local_today
    from escalate.escalations.models import Escalation

    started = time.perf_counter()
    counted = recount_changed_months()
    print(f"Tallied {counted} waiting months first, in {time.perf_counter() - started:.1f} s")
    biggest = (
        Escalation.objects.values("partnership_id").annotate(n=Count("pk")).order_by("-n").first()
    )
    assert biggest is not None, "the database holds no escalations: seed it first"
    partnership_id, cases = biggest["partnership_id"], biggest["n"]
    this_month = Month.of(local_today())
    print(f"Partnership {partnership_id}: {cases:,} escalations; medians of {repeats} runs\n")
    print("| period | cases in it | tallied ms | live ms | live / tallied | dashboard ms |")
    print("|---|---|---|---|---|---|")
    for months, changed in ((12, 0), (36, 0), (36, 1), (36, 3)):
        # A change waiting in this month, and in each of the two before it: what the
        # dashboard meets between a write and the worker's recount.
        changed_month = this_month
        for _ in range(changed):
            tallies.note_change(partnership_id, changed_month.first_day)
            changed_month = changed_month.previous()
        first = this_month
        for _ in range(months - 1):
            first = first.previous()
        period = Period(first, this_month)
        filters = BoardFilters(partnership_id, period)
        in_period = Escalation.objects.filter(
            partnership_id=partnership_id, raised_on__range=(period.start, period.end)
        ).count()
        tallied = _median(partial(figure_counts, filters), repeats)
        live = _median(partial(live_counts, partnership_id, [period]), repeats)
        whole = _median(partial(board_figures, filters), repeats)
        waiting = len(tallies.waiting_months(partnership_id, period))
        print(
            f"| {months} months ({waiting} waiting) | {in_period:,} | {tallied:.1f} "
            f"| {live:.1f} | {live / tallied:.1f}x | {whole:.1f} |"
        )
    recount_changed_months()
    month = this_month.previous()
    recount = _median(lambda: tallies.count_month(partnership_id, month, live_counts), repeats)
    print(f"\nTallying one month again ({month.label()}): {recount:.1f} ms")


def _median(run: Callable[[], Any], repeats: int) -> float:
    run()  # warm-up: caches, the connection, the plan
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    raise SystemExit(main())
