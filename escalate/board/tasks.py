"""The board's background work, run by any worker on the housekeeping queue."""

from __future__ import annotations

from django_tasks import task

from escalate.board.figures import recount_changed_months


@task(queue_name="housekeeping")
def count_board_figures() -> int:
    """Tally again every month whose cases changed; harmless to run twice or side by side."""
    return recount_changed_months()
