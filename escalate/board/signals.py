"""Every write to a case notes its month for the board's tallies, and a recount follows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from escalate.board import tallies
from escalate.board.tasks import count_board_figures
from escalate.escalations.models import Escalation, StageEntry
from escalate.escalations.signals import cases_written_in_bulk


def connect() -> None:
    for model in (Escalation, StageEntry):
        post_save.connect(case_written, sender=model, dispatch_uid=f"board-{model.__name__}-save")
        post_delete.connect(
            case_written, sender=model, dispatch_uid=f"board-{model.__name__}-delete"
        )
    cases_written_in_bulk.connect(cases_written, dispatch_uid="board-bulk")


def case_written(sender: type[Escalation | StageEntry], instance: Any, **kwargs: Any) -> None:
    raised_on = instance.raised_on if sender is Escalation else instance.case_raised_on
    if instance.partnership_id is not None and raised_on is not None:
        tallies.note_change(instance.partnership_id, raised_on)
        _count_after_commit()


def cases_written(sender: object, months: Iterable[tuple[int, date]], **kwargs: Any) -> None:
    if tallies.note_months(months):
        _count_after_commit()


def _count_after_commit() -> None:
    """One recount task per transaction, however many cases and stages it saved: each task
    counts every waiting month. (A callback registered in a savepoint that rolled back is
    gone from the list, so the next save registers it again.)"""
    pending = transaction.get_connection().run_on_commit
    if not any(callback is _enqueue_count for _, callback, _ in pending):
        transaction.on_commit(_enqueue_count, robust=True)


def _enqueue_count() -> None:
    count_board_figures.enqueue()
