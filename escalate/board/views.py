"""The partnership board's dashboard: figures first, names never.

Business managers, chairs, the executive and the independent scrutineer see it; everyone
else gets a 404, as if it did not exist. Only those who may see the register follow a
figure to the cases behind it (``figures.opens_lists_behind_figures``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.board import charts, report
from escalate.board.dimensions import Dimension, Figure, Outcome
from escalate.board.figures import (
    BoardFigures,
    BoardFilters,
    Breakdown,
    TrendPoint,
    board_figures,
    board_partnership_ids,
    opens_lists_behind_figures,
)
from escalate.board.forms import BoardFilterForm
from escalate.common.text import whole_number
from escalate.domain.figures import Month, count_text, days_text, percent_text
from escalate.escalations.clock import local_today
from escalate.escalations.selectors import ListStatus
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership
from escalate.reporting.selectors import learning_figures


@dataclass(frozen=True)
class BreakdownView:
    breakdown: Breakdown
    chart: charts.BarChart
    links: dict[str, str]
    """The register's list behind each row, by the row's figure; empty for those who may
    not open lists."""

    @property
    def rows(self) -> list[tuple[object, str]]:
        return [(row, self.links.get(str(row.figure), "")) for row in self.breakdown.rows]


def _board_reader(request: HttpRequest) -> tuple[Person, list[int]]:
    person = getattr(request, "person", None)
    partnership_ids = board_partnership_ids(person) if person is not None else []
    if person is None or not partnership_ids:
        raise Http404("No such page.")
    return person, partnership_ids


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    person, partnership_ids = _board_reader(request)
    partnerships = Partnership.objects.filter(pk__in=partnership_ids).order_by("name")
    chosen = _chosen_partnership(request, partnership_ids)
    partnership = Partnership.objects.get(pk=chosen)
    form = BoardFilterForm(
        request.GET or None,
        partnerships=partnerships,
        agencies=Agency.objects.filter(partnership_id=chosen).order_by("name"),
        categories=[(c.key, c.label) for c in partnership.current_policy().rules.categories],
        today=local_today(),
    )
    filters = form.filters(default_partnership_id=chosen)
    figures = board_figures(filters, partnership=partnership)
    register = _RegisterLinks(filters) if opens_lists_behind_figures(person, chosen) else None
    response = render(
        request,
        "board/dashboard.html",
        {
            "form": form,
            "figures": figures,
            "breakdowns": [_breakdown_view(b, register) for b in figures.breakdowns],
            "trend": charts.trend_chart(
                [(p.month.label(), p.count, p.previous_count) for p in figures.trend]
            ),
            "headline": _headline(figures, register),
            "trend_rows": _trend_rows(figures.trend, register),
            "learning": learning_figures(
                [filters.partnership_id], start=filters.period.start, end=filters.period.end
            ),
            "register": register,
            "show_partnership": len(partnership_ids) > 1,
            "nav": "board",
        },
    )
    add_never_cache_headers(response)
    return response


def _chosen_partnership(request: HttpRequest, partnership_ids: list[int]) -> int:
    """The partnership asked for, if the person sees its figures; else their first."""
    asked = whole_number(request.GET.get("partnership", ""))
    return asked if asked in partnership_ids else partnership_ids[0]


class _RegisterLinks:
    """Links to the register's rows behind a figure: the dashboard's filters as the
    register's, and the figure."""

    def __init__(self, filters: BoardFilters) -> None:
        self.base = {
            "status": ListStatus.ALL.value,
            "partnership": str(filters.partnership_id),
            "raised_from": filters.period.start.isoformat(),
            "raised_to": filters.period.end.isoformat(),
        }
        if filters.agency_id is not None:
            self.base["agency"] = str(filters.agency_id)
        if filters.category:
            self.base["category"] = filters.category

    def __call__(self, figure: Figure | None = None) -> str:
        query = dict(self.base)
        if figure is not None:
            query["figure"] = str(figure)
        return f"{reverse('reporting:register')}?{urlencode(query)}"

    def month(self, month: Month) -> str:
        """The cases raised in one month of the trend, with the dashboard's other filters."""
        query = {
            **self.base,
            "raised_from": month.first_day.isoformat(),
            "raised_to": month.last_day.isoformat(),
        }
        return f"{reverse('reporting:register')}?{urlencode(query)}"


@dataclass(frozen=True)
class TrendRow:
    point: TrendPoint
    link: str
    previous_link: str


def _trend_rows(trend: list[TrendPoint], register: _RegisterLinks | None) -> list[TrendRow]:
    return [
        TrendRow(
            point,
            register.month(point.month) if register else "",
            register.month(point.previous_month) if register else "",
        )
        for point in trend
    ]


def _breakdown_view(breakdown: Breakdown, register: _RegisterLinks | None) -> BreakdownView:
    return BreakdownView(
        breakdown=breakdown,
        chart=charts.bar_chart([(row.label, row.count) for row in breakdown.rows]),
        links={str(row.figure): register(row.figure) for row in breakdown.rows} if register else {},
    )


@dataclass(frozen=True)
class Headline:
    label: str
    value: str
    detail: str = ""
    link: str = ""


def _headline(figures: BoardFigures, register: _RegisterLinks | None) -> list[Headline]:
    outcomes = figures.outcome_counts
    timeliness = figures.timeliness

    def link(outcome: Outcome | None) -> str:
        if register is None:
            return ""
        return register(Figure(Dimension.OUTCOME, outcome.value) if outcome else None)

    oldest = timeliness.oldest_open
    return [
        Headline("Raised", count_text(figures.total), figures.change_text, link(None)),
        Headline("Still open", count_text(outcomes.get(Outcome.OPEN, 0)), "", link(Outcome.OPEN)),
        Headline(
            "Resolved", count_text(outcomes.get(Outcome.RESOLVED, 0)), "", link(Outcome.RESOLVED)
        ),
        Headline(
            "Withdrawn", count_text(outcomes.get(Outcome.WITHDRAWN, 0)), "", link(Outcome.WITHDRAWN)
        ),
        Headline(
            "Stages done by their due date",
            percent_text(timeliness.on_time_share),
            f"{count_text(timeliness.on_time)} of {count_text(timeliness.with_due_date)} "
            "stages with a due date",
        ),
        Headline(
            "Median time to resolution",
            days_text(timeliness.median_to_resolution),
            f"over {count_text(timeliness.resolved)} resolved",
        ),
        Headline(
            "Oldest open",
            f"Raised {oldest.raised_on:%-d %B %Y}" if oldest else "None open",
            oldest.reference if oldest and register else "",
            reverse("escalations:detail", args=[oldest.escalation_id])
            if oldest and register
            else "",
        ),
    ]


# --- the annual report -----------------------------------------------------------------------

REPORT_FORMATS = {
    "pdf": ("application/pdf", report.render_pdf),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        report.render_docx,
    ),
    "csv": ("text/csv; charset=utf-8", lambda built: report.report_csv(built).encode("utf-8")),
}


@login_required
@require_GET
def annual_report(request: HttpRequest) -> HttpResponse:
    """Choose a reporting year and download its board paper."""
    _person, partnership_ids = _board_reader(request)
    chosen = _chosen_partnership(request, partnership_ids)
    years = report.report_years(local_today())
    response = render(
        request,
        "board/annual_report.html",
        {
            "partnership": Partnership.objects.get(pk=chosen),
            "partnerships": Partnership.objects.filter(pk__in=partnership_ids).order_by("name"),
            "years": [(year, report.year_label(year)) for year in years],
            "show_partnership": len(partnership_ids) > 1,
            "nav": "board",
        },
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def annual_report_file(request: HttpRequest, year: int, kind: str) -> HttpResponse:
    """One year's paper as PDF, DOCX or CSV; published figures, so small numbers hidden."""
    _person, partnership_ids = _board_reader(request)
    if kind not in REPORT_FORMATS or year not in report.report_years(local_today(), count=20):
        raise Http404("No such report.")
    chosen = _chosen_partnership(request, partnership_ids)
    built = report.build_report(chosen, year=year, today=local_today())
    content_type, render_as = REPORT_FORMATS[kind]
    filename = f"{built.file_stem}.{kind}"
    record_read(request, what=ReadEvent.What.EXPORT, detail=f"{filename} (partnership {chosen})")
    response = HttpResponse(render_as(built), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    add_never_cache_headers(response)
    return response
