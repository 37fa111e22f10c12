"""The board's figures count what the partnership's cases did, from the rows the services
keep; and the list behind each figure holds exactly the cases it counts."""

from __future__ import annotations

from datetime import date

import pytest

from escalate.board.dimensions import BadFigure, Dimension, Figure, Outcome
from escalate.board.figures import BoardFigures, BoardFilters, board_figures, counted_escalations
from escalate.board.tests.conftest import PERIOD, BoardWorld
from escalate.escalations.models import StageEntry

pytestmark = pytest.mark.django_db


def counts(figures: BoardFigures, dimension: Dimension) -> dict[str, int]:
    return {row.label: row.count for row in figures.breakdown(dimension).rows}


def test_the_period_counts_the_cases_raised_in_it(board: BoardWorld) -> None:
    figures = board_figures(BoardFilters(board.places.school.partnership_id, PERIOD))
    assert figures.total == 4
    assert figures.previous_total == 1
    assert counts(figures, Dimension.OUTCOME) == {"Still open": 2, "Resolved": 1, "Withdrawn": 1}
    assert counts(figures, Dimension.RAISING_AGENCY) == {
        board.places.school.name: 2,
        board.places.police.name: 2,
    }
    assert counts(figures, Dimension.SUBJECT_KIND) == {
        "Child": 3,
        "Adult with care and support needs": 1,
    }
    assert counts(figures, Dimension.IMMEDIATE_RISK) == {"No": 3, "Yes": 1}


def test_stages_reached_and_resolved_at(board: BoardWorld) -> None:
    figures = board_figures(BoardFilters(board.places.school.partnership_id, PERIOD))
    reached = figures.breakdown(Dimension.STAGE_REACHED).rows
    assert [(row.figure.value, row.count) for row in reached] == [("1", 3), ("2", 1)]
    resolved_at = figures.breakdown(Dimension.RESOLVED_AT)
    assert [(row.figure.value, row.count, row.share) for row in resolved_at.rows] == [("1", 1, 1.0)]


def test_timeliness_comes_from_working_days_kept_when_stages_end(board: BoardWorld) -> None:
    figures = board_figures(BoardFilters(board.places.school.partnership_id, PERIOD))
    timeliness = figures.timeliness
    assert timeliness.median_to_resolution == 3  # Monday 7 to Thursday 10 September
    assert timeliness.resolved == 1
    first = timeliness.stages[0]
    assert first.number == 1
    assert first.ended == 3  # resolved, withdrawn, escalated
    assert first.median_working_days == 1  # 3, 1 and 1 working days
    assert timeliness.oldest_open is not None
    assert timeliness.oldest_open.reference == board.before.reference


def test_the_services_keep_the_working_days_a_stage_took(board: BoardWorld) -> None:
    entry = StageEntry.objects.get(escalation=board.resolved, number=1)
    assert (entry.ended_on, entry.working_days) == (date(2026, 9, 10), 3)
    board.resolved.refresh_from_db()
    assert board.resolved.resolved_in_working_days == 3


def test_the_trend_sets_each_month_beside_the_same_month_of_the_previous_period(
    board: BoardWorld,
) -> None:
    figures = board_figures(BoardFilters(board.places.school.partnership_id, PERIOD))
    assert [
        (p.month.label(), p.count, p.previous_month.label(), p.previous_count)
        for p in figures.trend
    ] == [
        ("Sep 2026", 1, "Jun 2026", 0),
        ("Oct 2026", 1, "Jul 2026", 1),
        ("Nov 2026", 2, "Aug 2026", 0),
    ]


def test_an_agency_filter_counts_cases_it_is_party_to_on_either_side(board: BoardWorld) -> None:
    police = board.places.police
    figures = board_figures(BoardFilters(police.partnership_id, PERIOD, agency_id=police.pk))
    assert figures.total == 2


@pytest.mark.parametrize("dimension", list(Dimension))
def test_every_figure_s_list_holds_exactly_the_cases_it_counts(
    board: BoardWorld, dimension: Dimension
) -> None:
    filters = BoardFilters(board.places.school.partnership_id, PERIOD)
    for row in board_figures(filters).breakdown(dimension).rows:
        behind = counted_escalations(filters).filter(row.figure.q())
        assert behind.count() == row.count, row


@pytest.mark.parametrize(
    "text", ["", "nonsense:1", "raised_by:police", "outcome:lost", "kind:robot", "immediate_risk:1"]
)
def test_a_figure_in_a_link_that_names_nothing_is_refused(text: str) -> None:
    with pytest.raises(BadFigure):
        Figure.parse(text)


def test_a_figure_survives_its_link() -> None:
    figure = Figure(Dimension.OUTCOME, Outcome.RESOLVED.value)
    assert Figure.parse(str(figure)) == figure


def test_the_migration_fills_the_figures_of_cases_raised_before_it(board: BoardWorld) -> None:
    """Migration 0013 counts, for existing cases, what the services now keep."""
    from importlib import import_module

    from django.apps import apps

    from escalate.escalations.models import Escalation

    migration = import_module("escalate.escalations.migrations.0013_board_figures")
    Escalation.objects.update(resolved_in_working_days=None, subject_kind="")
    StageEntry.objects.update(working_days=None)

    migration.keep_figures_of_existing_cases(apps, None)

    resolved = Escalation.objects.get(pk=board.resolved.pk)
    assert resolved.resolved_in_working_days == 3
    assert Escalation.objects.get(pk=board.adult.pk).subject_kind == "adult"
    entry = StageEntry.objects.get(escalation=board.resolved, number=1)
    assert entry.working_days == 3
    assert not StageEntry.objects.filter(ended_on__isnull=False, working_days=None).exists()


def test_the_migration_gives_each_stage_its_case_s_partnership_and_raise_day(
    board: BoardWorld,
) -> None:
    from importlib import import_module

    from django.apps import apps

    from escalate.escalations.tests.factories import shipped_policy

    migration = import_module("escalate.escalations.migrations.0014_stage_entries_for_the_board")
    elsewhere = shipped_policy("cscp").partnership
    StageEntry.objects.update(partnership=elsewhere, case_raised_on=date(2000, 1, 3))

    migration.copy_from_escalations(apps, None)

    entry = StageEntry.objects.get(escalation=board.resolved, number=1)
    assert (entry.partnership_id, entry.case_raised_on) == (
        board.resolved.partnership_id,
        board.resolved.raised_on,
    )
    assert not StageEntry.objects.filter(partnership=elsewhere).exists()
