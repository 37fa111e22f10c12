"""The annual report: a board paper for one reporting year, as PDF, DOCX and CSV.

Built once from the dashboard's figures (``figures.board_figures``) into an
``AnnualReport`` of publishable tables, then only formatted three ways. A report is meant
for publication, so every count from 1 to 4 reads "fewer than 5", its share is not given,
and its chart bar is not drawn (``domain/figures.publishable``). Cases are never named:
the practice issues carry their lead agency and their words, not a reference.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string

from escalate.board import charts
from escalate.board.figures import BoardFigures, BoardFilters, Breakdown, board_figures
from escalate.domain import figures
from escalate.domain.figures import SMALL_NUMBER_LIMIT, Month, Period
from escalate.reporting.models import PracticeIssue
from escalate.reporting.selectors import LearningFigures, learning_figures

REPORT_YEAR_STARTS = 4
"""Partnerships report by financial year, April to March."""
PRACTICE_ISSUES_LISTED = 100
"""The newest issues the paper lists; the log holds the rest."""
SUPPRESSED_SHARE = "not given"


def report_period(year: int) -> Period:
    """The reporting year that starts in April of ``year``."""
    return Period(Month(year, REPORT_YEAR_STARTS), Month(year + 1, REPORT_YEAR_STARTS - 1))


def report_years(today: date, *, count: int = 5) -> list[int]:
    """The years a report can be asked for: the current one first, then those before."""
    current = today.year if today.month >= REPORT_YEAR_STARTS else today.year - 1
    return [current - back for back in range(count)]


def year_label(year: int) -> str:
    return f"{year} to {year + 1}"


@dataclass(frozen=True)
class ReportRow:
    label: str
    count: str
    share: str


@dataclass(frozen=True)
class ReportTable:
    title: str
    rows: list[ReportRow]
    chart: charts.BarChart
    """Bars only for counts that may be published, and only the largest (``MOST_BARS``)."""


@dataclass(frozen=True)
class IssueLine:
    lead_agency: str
    issue: str
    resolved: str


@dataclass(frozen=True)
class AnnualReport:
    partnership: str
    year: int
    period: Period
    prepared_on: date
    summary: list[tuple[str, str]]
    trend: list[tuple[str, str]]
    timeliness: list[tuple[str, str, str, str]]
    tables: list[ReportTable]
    learning: list[tuple[str, str]]
    issues: list[IssueLine]
    issues_not_listed: int

    @property
    def title(self) -> str:
        return f"Escalations annual report {year_label(self.year)}"

    @property
    def file_stem(self) -> str:
        return f"escalations-annual-report-{self.year}-{self.year + 1}"


def build_report(partnership_id: int, *, year: int, today: date) -> AnnualReport:
    period = report_period(year)
    counted = board_figures(BoardFilters(partnership_id, period))
    learning = learning_figures([partnership_id], start=period.start, end=period.end)
    issues, more = _practice_issues(partnership_id, period)
    return AnnualReport(
        partnership=counted.partnership.name,
        year=year,
        period=period,
        prepared_on=today,
        summary=_summary(counted),
        trend=[(p.month.label(), figures.publishable(p.count)) for p in counted.trend],
        timeliness=_timeliness(counted),
        tables=[_table(breakdown) for breakdown in counted.breakdowns],
        learning=_learning(learning),
        issues=issues,
        issues_not_listed=more,
    )


def _summary(counted: BoardFigures) -> list[tuple[str, str]]:
    timeliness = counted.timeliness
    resolved = timeliness.resolved
    return [
        ("Escalations raised", figures.publishable(counted.total)),
        ("Raised in the year before", figures.publishable(counted.previous_total)),
        (
            "Stages done by their due date",
            figures.percent_text(timeliness.on_time_share)
            if timeliness.with_due_date >= SMALL_NUMBER_LIMIT
            else SUPPRESSED_SHARE,
        ),
        (
            "Median working days to resolution",
            figures.days_text(timeliness.median_to_resolution)
            if resolved >= SMALL_NUMBER_LIMIT
            else SUPPRESSED_SHARE,
        ),
    ]


def _timeliness(counted: BoardFigures) -> list[tuple[str, str, str, str]]:
    rows = []
    for stage in counted.timeliness.stages:
        enough = stage.ended >= SMALL_NUMBER_LIMIT
        rows.append(
            (
                f"Stage {stage.number}: {stage.name}" if stage.name else f"Stage {stage.number}",
                figures.publishable(stage.ended),
                figures.percent_text(stage.on_time_share)
                if stage.with_due_date >= SMALL_NUMBER_LIMIT
                else SUPPRESSED_SHARE,
                stage.median_text if enough else SUPPRESSED_SHARE,
            )
        )
    return rows


def _table(breakdown: Breakdown) -> ReportTable:
    rows, bars, texts = [], [], []
    for row in breakdown.rows:
        shown = row.count >= SMALL_NUMBER_LIMIT or row.count == 0
        rows.append(
            ReportRow(
                label=row.label,
                count=figures.publishable(row.count),
                share=row.share_text if shown else SUPPRESSED_SHARE,
            )
        )
        bars.append((row.label, row.count if shown else 0))
        texts.append(figures.publishable(row.count))
    ranks = [row.count for row in breakdown.rows]
    return ReportTable(breakdown.title, rows, charts.bar_chart(bars, texts=texts, ranks=ranks))


def _learning(learning: LearningFigures) -> list[tuple[str, str]]:
    return [
        (
            "Escalations reporting policy or practice issues",
            figures.publishable(learning.escalations_with_practice_issues),
        ),
        ("Board actions made", figures.publishable(learning.board_actions_made)),
        ("Board actions done", figures.publishable(learning.board_actions_done)),
        ("Done: procedure changed", figures.publishable(learning.done_procedure_changed)),
        ("Done: training", figures.publishable(learning.done_training)),
        ("Done: guidance", figures.publishable(learning.done_guidance)),
        ("Done: no change needed", figures.publishable(learning.done_no_change)),
        ("Open at the year's end", figures.publishable(learning.board_actions_open)),
        ("Good practice recognised", figures.publishable(learning.good_practice)),
    ]


def _practice_issues(partnership_id: int, period: Period) -> tuple[list[IssueLine], int]:
    """Each escalation's latest word on its issues in the year, newest first, no reference."""
    newer = PracticeIssue.objects.filter(
        escalation=OuterRef("escalation"),
        pk__gt=OuterRef("pk"),
        updated_at__date__lte=period.end,
    )
    latest = (
        PracticeIssue.objects.filter(
            escalation__partnership_id=partnership_id,
            updated_at__date__gte=period.start,
            updated_at__date__lte=period.end,
        )
        .filter(~Exists(newer))
        .order_by("-updated_at", "-pk")
    )
    listed = list(
        latest.select_related("lead_agency").only("issue", "is_resolved", "lead_agency__name")[
            :PRACTICE_ISSUES_LISTED
        ]
    )
    more = latest.count() - len(listed) if len(listed) == PRACTICE_ISSUES_LISTED else 0
    return [
        IssueLine(issue.lead_agency.name, issue.issue, "Resolved" if issue.is_resolved else "Open")
        for issue in listed
    ], more


# --- CSV -----------------------------------------------------------------------------------

CSV_HEADINGS = ("Table", "Row", "Escalations", "Share")


def report_csv(report: AnnualReport) -> str:
    """The paper's figures, one row each, as published (small numbers hidden alike)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADINGS)
    for label, value in report.summary:
        writer.writerow(("Summary", label, value, ""))
    for month, count in report.trend:
        writer.writerow(("Raised each month", month, count, ""))
    for stage, ended, on_time, median in report.timeliness:
        writer.writerow(("Stages ended", stage, ended, ""))
        writer.writerow(("Stages done by their due date", stage, "", on_time))
        writer.writerow(("Median working days per stage", stage, median, ""))
    for table in report.tables:
        for row in table.rows:
            writer.writerow((table.title, row.label, row.count, row.share))
    for label, value in report.learning:
        writer.writerow(("Learning", label, value, ""))
    return "\ufeff" + out.getvalue()  # the mark tells spreadsheets it is UTF-8


# --- PDF -----------------------------------------------------------------------------------


def report_html(report: AnnualReport) -> str:
    """The HTML WeasyPrint lays out: charts as inline SVG, no external resource."""
    return render_to_string("board/report.html", {"report": report})


def render_pdf(report: AnnualReport) -> bytes:
    from weasyprint import HTML

    from escalate.escalations.documents import no_fetching

    pdf: bytes = HTML(string=report_html(report), url_fetcher=no_fetching()).write_pdf()
    return pdf


# --- DOCX ----------------------------------------------------------------------------------


def render_docx(report: AnnualReport) -> bytes:
    from docx import Document
    from docx.shared import Cm, Pt

    document = Document()
    document.styles["Normal"].font.size = Pt(10)
    properties = document.core_properties
    properties.title = report.title
    properties.author = "Escalate"
    properties.last_modified_by = "Escalate"
    document.add_heading(report.title, level=0)
    document.add_paragraph(_introduction(report))
    _docx_table(document, ("Figure", "Value"), report.summary)
    document.add_heading("Raised each month", level=1)
    _docx_table(document, ("Month", "Escalations"), report.trend)
    document.add_heading("Timeliness against the procedure", level=1)
    _docx_table(
        document,
        ("Stage", "Ended", "Done by their due date", "Median time taken"),
        report.timeliness,
    )
    for table in report.tables:
        document.add_heading(table.title, level=1)
        if any(bar.width for bar in table.chart.bars):
            document.add_picture(io.BytesIO(_chart_png(table.chart)), width=Cm(16))
        _docx_table(
            document,
            (table.title, "Escalations", "Share"),
            [(row.label, row.count, row.share) for row in table.rows],
        )
    document.add_heading("What the partnership is learning", level=1)
    _docx_table(document, ("Figure", "Value"), report.learning)
    document.add_heading("Policy and practice issues found", level=1)
    if report.issues:
        _docx_table(
            document,
            ("Lead agency", "Issue", "Status"),
            [(i.lead_agency, i.issue, i.resolved) for i in report.issues],
        )
    else:
        document.add_paragraph("No policy or practice issue was reported in the year.")
    if report.issues_not_listed:
        document.add_paragraph(_more_issues(report))
    document.add_paragraph(SMALL_NUMBERS_NOTE)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


SMALL_NUMBERS_NOTE = (
    f"Counts from 1 to {SMALL_NUMBER_LIMIT - 1} are shown as '{figures.FEWER_THAN_LIMIT}', "
    "without their share, so that no child or adult can be recognised from them."
)


def _introduction(report: AnnualReport) -> str:
    return (
        f"{report.partnership}. Escalations raised from {report.period.start:%-d %B %Y} to "
        f"{report.period.end:%-d %B %Y}, prepared on {report.prepared_on:%-d %B %Y}."
    )


def _more_issues(report: AnnualReport) -> str:
    return (
        f"The {PRACTICE_ISSUES_LISTED} newest are listed; {report.issues_not_listed} more are "
        "in the partnership's policy and practice issues log."
    )


def _docx_table(document: Any, headings: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        cell.text = heading
        cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value


def _chart_png(chart: charts.BarChart) -> bytes:
    """The same bars as the PDF's SVG, drawn as a picture for Word."""
    from PIL import Image, ImageDraw, ImageFont

    scale = 2
    image = Image.new("RGB", (charts.WIDTH * scale, chart.height * scale), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14 * scale)
    for bar in chart.bars:
        top = bar.y * scale
        draw.text(
            (chart.label_x * scale, (bar.text_y - 2) * scale),
            bar.label,
            fill="#0b0c0c",
            font=font,
            anchor="rs",
        )
        if bar.width:
            draw.rectangle(
                (bar.x * scale, top, (bar.x + bar.width) * scale, top + charts.BAR_HEIGHT * scale),
                fill="#1d70b8",
            )
        draw.text(
            (bar.value_x * scale, (bar.text_y - 2) * scale),
            bar.value_text,
            fill="#0b0c0c",
            font=font,
            anchor="ls",
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
