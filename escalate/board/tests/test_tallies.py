"""The monthly tallies give the figures counting every case would give, at every moment:
a month changed since it was tallied is counted from its cases until it is tallied again."""

from __future__ import annotations

import io
from datetime import date

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks import TaskResult
from django_tasks.signals import task_enqueued

from escalate.board import tallies
from escalate.board.dimensions import Dimension
from escalate.board.figures import (
    BoardFigures,
    BoardFilters,
    board_figures,
    live_counts,
    recount_changed_months,
)
from escalate.board.models import FigureChange, FigureTally
from escalate.board.tasks import count_board_figures
from escalate.board.tests.conftest import PERIOD, BoardWorld
from escalate.domain.figures import Month, Period
from escalate.escalations import bulk_seed, services
from escalate.escalations.models import Escalation
from escalate.reporting.tests.conftest import raise_between

pytestmark = pytest.mark.django_db

NOVEMBER = Month(2026, 11)


def figures_of(board: BoardWorld, period: Period = PERIOD) -> BoardFigures:
    return board_figures(BoardFilters(board.places.school.partnership_id, period))


def outcomes(figures: BoardFigures) -> dict[str, int]:
    return {row.label: row.count for row in figures.breakdown(Dimension.OUTCOME).rows}


def test_tallied_figures_are_the_figures_counted_from_the_cases(board: BoardWorld) -> None:
    counted = figures_of(board)

    assert recount_changed_months() >= 4  # July, September, October, November at least

    assert not FigureChange.objects.exists()
    assert FigureTally.objects.filter(grouping="stages").exists()
    assert figures_of(board) == counted
    assert figures_of(board, Period(Month(2026, 6), NOVEMBER)).total == 5


def test_the_figures_read_the_tallies_of_a_month_with_no_change_waiting(
    board: BoardWorld,
) -> None:
    recount_changed_months()
    # A write that bypasses save() notes nothing, so the tally still holds the old count.
    Escalation.objects.filter(pk=board.withdrawn.pk).update(status=Escalation.Status.OPEN)

    assert outcomes(figures_of(board))["Withdrawn"] == 1


def test_a_change_after_tallying_counts_at_once_and_the_next_recount_tallies_it(
    board: BoardWorld,
) -> None:
    recount_changed_months()
    services.withdraw_escalation(
        escalation=board.escalated,
        actor=board.escalated.raised_by,
        reason="Agreed at the meeting.",
        today=date(2026, 11, 5),
    )

    assert tallies.waiting_months(board.places.school.partnership_id, PERIOD) == {NOVEMBER}
    now = figures_of(board)
    assert outcomes(now) == {"Withdrawn": 2, "Still open": 1, "Resolved": 1}

    recount_changed_months()

    assert not tallies.waiting_months(board.places.school.partnership_id, PERIOD)
    assert figures_of(board) == now


def test_a_change_noted_while_its_month_is_counted_waits_for_the_next_count(
    board: BoardWorld,
) -> None:
    partnership_id = board.places.school.partnership_id

    def counting_while_a_case_changes(partnership: int, periods: list[Period]):
        counts = live_counts(partnership, periods)
        tallies.note_change(partnership, date(2026, 11, 20))  # commits during the count
        return counts

    assert tallies.count_month(partnership_id, NOVEMBER, counting_while_a_case_changes)

    assert FigureChange.objects.filter(partnership_id=partnership_id, month=date(2026, 11, 1))
    assert NOVEMBER in tallies.waiting_months(partnership_id, PERIOD)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's; set DATABASE_URL"
)
def test_a_month_another_worker_is_counting_is_left_to_it(board: BoardWorld) -> None:
    partnership_id = board.places.school.partnership_id
    settings = connection.settings_dict
    other_worker = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    )
    with other_worker:
        key = tallies.month_lock_key(partnership_id, NOVEMBER)
        other_worker.execute("SELECT pg_advisory_lock(%s::bigint)", [key])

        assert not tallies.count_month(partnership_id, NOVEMBER, live_counts)

    assert NOVEMBER in tallies.waiting_months(partnership_id, PERIOD)
    assert tallies.count_month(partnership_id, NOVEMBER, live_counts)  # let go: counted


@pytest.mark.django_db(transaction=True)  # real commits: the recount runs after each
def test_every_saved_case_notes_its_month_and_the_worker_tallies_it(board: BoardWorld) -> None:
    places = board.places
    assert not FigureChange.objects.exists()  # the fixture's own changes were counted

    queued: list[str] = []

    def note_queued(sender: object, task_result: TaskResult[int], **kwargs: object) -> None:
        queued.append(task_result.task.module_path)

    task_enqueued.connect(note_queued)
    try:
        raise_between(places.school, places.social_care, on=date(2026, 10, 12))
    finally:
        task_enqueued.disconnect(note_queued)

    assert not FigureChange.objects.exists()
    assert queued.count(count_board_figures.module_path) == 1  # one per change, not per row
    october = FigureTally.objects.filter(
        partnership_id=places.school.partnership_id, month=date(2026, 10, 1), grouping="day"
    )
    assert sorted(october.values_list("key", "count")) == [
        (["2026-10-05"], 1),
        (["2026-10-12"], 1),
    ]


def test_the_bulk_seeder_notes_every_month_it_wrote(world) -> None:
    call_command("load_policies", verbosity=0, stdout=io.StringIO())
    FigureChange.objects.all().delete()

    bulk_seed.seed(40, batch_size=20, agencies=2, today=date(2026, 11, 16))

    seeded = {
        (pk, Month.of(day).first_day)
        for pk, day in Escalation.objects.values_list("partnership_id", "raised_on")
    }
    assert set(FigureChange.objects.values_list("partnership_id", "month")) >= seeded


def test_the_command_tallies_what_is_waiting(board: BoardWorld) -> None:
    out = io.StringIO()

    call_command("count_board_figures", stdout=out)

    assert out.getvalue().startswith("Counted ")
    assert not FigureChange.objects.exists()


def test_the_migration_leaves_every_month_with_cases_waiting(board: BoardWorld) -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("escalate.board.migrations.0001_board_tallies")
    FigureChange.objects.all().delete()

    migration.note_every_month_with_cases(apps, None)

    partnership_id = board.places.school.partnership_id
    months = set(FigureChange.objects.filter(partnership_id=partnership_id).values_list("month"))
    assert {date(2026, m, 1) for m in (7, 9, 10, 11)} <= {month for (month,) in months}


def test_months_in_a_row_are_counted_as_one_period() -> None:
    months = [Month(2026, 3), Month(2026, 1), Month(2026, 2), Month(2026, 6)]

    assert tallies.runs_of(months) == [
        Period(Month(2026, 1), Month(2026, 3)),
        Period(Month(2026, 6), Month(2026, 6)),
    ]
