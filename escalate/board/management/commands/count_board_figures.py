"""``escalate count_board_figures``: tally now every month whose cases changed."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from escalate.board.figures import recount_changed_months


class Command(BaseCommand):
    help = (
        "Count again the board's monthly tallies that a change left behind (a worker does "
        "this after each change; run it after a bulk load or a migration to catch up at once)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        counted = recount_changed_months()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Counted {counted} partnership months in {elapsed:.1f} s.")
