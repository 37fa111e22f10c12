"""The annual report: one year's published figures, small numbers hidden, no case named,
as PDF, DOCX and CSV for those who see the board's figures."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from escalate.audit.models import ReadEvent
from escalate.board import charts, report
from escalate.board.tests.conftest import BoardWorld
from escalate.domain.figures import Month
from escalate.escalations.tests.factories import partnership_person
from escalate.organisations.models import Person

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)
YEAR = 2026  # April 2026 to March 2027: every case of the board world


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("escalate.board.views.local_today", lambda: TODAY)


def rows_of(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_reporting_year_runs_april_to_march() -> None:
    period = report.report_period(2026)
    assert (period.first, period.last) == (Month(2026, 4), Month(2027, 3))
    assert report.report_years(date(2026, 3, 31))[0] == 2025
    assert report.report_years(date(2026, 4, 1))[0] == 2026


def test_counts_under_five_are_published_as_fewer_than_five(board: BoardWorld) -> None:
    built = report.build_report(board.places.school.partnership_id, year=YEAR, today=TODAY)
    assert ("Escalations raised", "5") in built.summary
    outcome = next(table for table in built.tables if table.title == "Outcome")
    assert [(row.label, row.count, row.share) for row in outcome.rows] == [
        ("Still open", "fewer than 5", "not given"),
        ("Resolved", "fewer than 5", "not given"),
        ("Withdrawn", "fewer than 5", "not given"),
    ]
    assert all(bar.width == 0 for bar in outcome.chart.bars)  # no bar gives the count away
    assert {bar.value_text for bar in outcome.chart.bars} == {"fewer than 5"}


def test_the_csv_holds_the_papers_figures_and_no_case(board: BoardWorld) -> None:
    built = report.build_report(board.places.school.partnership_id, year=YEAR, today=TODAY)
    rows = rows_of(report.report_csv(built))
    assert rows[0] == ["Table", "Row", "Escalations", "Share"]
    assert ["Category", "Referral and thresholds", "5", "100%"] in rows
    text = report.report_csv(built)
    for escalation in (board.resolved, board.withdrawn, board.before):
        assert escalation.reference not in text
    assert "Alex Invented" not in text


@pytest.mark.parametrize("kind", ["pdf", "docx", "csv"])
def test_the_business_manager_downloads_each_format_and_the_trail_records_it(
    client: Client, board: BoardWorld, manager: Person, kind: str
) -> None:
    client.force_login(manager.user)
    url = reverse("board:annual_report_file", args=[YEAR, kind])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'annual-report-2026-2027.{kind}"')
    body = response.content
    magic = {"pdf": b"%PDF", "docx": b"PK", "csv": "\ufeff".encode()}[kind]
    assert body.startswith(magic)
    assert ReadEvent.objects.filter(reader=manager, what=ReadEvent.What.EXPORT).count() == 1


def test_the_word_paper_holds_the_tables_and_a_chart(board: BoardWorld) -> None:
    from docx import Document

    built = report.build_report(board.places.school.partnership_id, year=YEAR, today=TODAY)
    document = Document(io.BytesIO(report.render_docx(built)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Escalations annual report 2026 to 2027" in text
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"Referral and thresholds", "5", "fewer than 5"} <= cells
    assert len(document.inline_shapes) >= 1  # the category chart: 5 may be drawn


def test_the_scrutineer_downloads_the_paper_and_a_practitioner_finds_none(
    client: Client, board: BoardWorld
) -> None:
    scrutineer = partnership_person(role="independent_scrutineer")
    client.force_login(scrutineer.user)
    assert client.get(reverse("board:annual_report_file", args=[YEAR, "csv"])).status_code == 200
    client.force_login(board.places.teacher.user)
    assert client.get(reverse("board:annual_report_file", args=[YEAR, "csv"])).status_code == 404
    assert client.get(reverse("board:annual_report")).status_code == 404


@pytest.mark.parametrize("path", ["2026.xls", "1990.pdf"])
def test_an_unknown_format_or_year_is_not_found(
    client: Client, board: BoardWorld, manager: Person, path: str
) -> None:
    client.force_login(manager.user)
    assert client.get(f"/board/annual-report/{path}").status_code == 404


def test_the_report_page_is_linked_from_the_dashboard(
    client: Client, board: BoardWorld, manager: Person
) -> None:
    client.force_login(manager.user)
    html = client.get(reverse("board:dashboard")).content.decode()
    assert reverse("board:annual_report") in html
    page = client.get(reverse("board:annual_report")).content.decode()
    assert reverse("board:annual_report_file", args=[YEAR, "pdf"]) in page


def test_a_long_breakdown_charts_its_largest_rows_and_tables_them_all() -> None:
    from escalate.board.dimensions import Dimension, Figure
    from escalate.board.figures import Breakdown, FigureRow

    rows = [
        FigureRow(f"Agency {n}", n, None, Figure(Dimension.RAISING_AGENCY, str(n)))
        for n in range(1, 21)
    ]
    table = report._table(Breakdown(Dimension.RAISING_AGENCY, rows))
    assert len(table.rows) == 20 and table.chart.is_cut
    assert [bar.label for bar in table.chart.bars][:2] == ["Agency 20", "Agency 19"]
    assert len(table.chart.bars) == charts.MOST_BARS
