"""The board's figures for one partnership: counted by the database, a few queries in all.

Every breakdown counts the partnership's escalations raised in the period (narrowed by
agency and category as the register narrows them) from the columns of the
``escalation_partnership_raised`` index, which holds each column counted: PostgreSQL
counts them in one pass with ``GROUPING SETS``, other databases (SQLite, for the demo
and tests) with one ``GROUP BY`` per grouping; Python sums the four groupings into the
nine breakdowns. Working days are kept by the services when a stage ends
(``StageEntry.working_days``, ``Escalation.resolved_in_working_days``), so no calendar is
walked here, and stages carry their case's partnership and raise day, so timeliness reads
its own index (``stage_entry_board``). Names come from the partnership's small tables.

Unfiltered by agency or category, the breakdowns are summed from each month's tallies
(``board/tallies.py``), and only the months with a change not yet tallied are counted
from their cases (decision 15).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from django.db import connection
from django.db.models import Case, Count, F, QuerySet, Value, When

from escalate.board import tallies
from escalate.board.dimensions import Dimension, Figure, Outcome
from escalate.domain import figures
from escalate.domain.access import BOARD_FIGURE_READERS, PARTNERSHIP_OVERSIGHT
from escalate.domain.figures import Month, Period
from escalate.domain.policy import PolicyRules
from escalate.escalations.models import Escalation, StageEntry, Subject
from escalate.escalations.selectors import ListFilters, ListStatus, filtered_list
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership


def board_partnership_ids(person: Person) -> list[int]:
    """The partnerships whose figures ``person`` sees; empty for everyone else."""
    viewer = person.viewer()
    return viewer.partnerships_holding(BOARD_FIGURE_READERS) if viewer.is_active else []


def opens_lists_behind_figures(person: Person, partnership_id: int) -> bool:
    """Whether the figures link to the register's rows: business managers and chairs only."""
    return person.viewer().has_partnership_role(partnership_id, PARTNERSHIP_OVERSIGHT)


@dataclass(frozen=True)
class BoardFilters:
    partnership_id: int
    period: Period
    agency_id: int | None = None
    """Any agency in the disagreement, on either side, as the register's agency filter."""
    category: str = ""


@dataclass(frozen=True)
class FigureRow:
    label: str
    count: int
    share: float | None
    figure: Figure

    @property
    def share_text(self) -> str:
        return figures.percent_text(self.share)


@dataclass(frozen=True)
class Breakdown:
    dimension: Dimension
    rows: list[FigureRow]

    @property
    def title(self) -> str:
        return self.dimension.heading

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)


@dataclass(frozen=True)
class StageTimeliness:
    number: int
    name: str
    ended: int
    """Stages that ended in the period's cases (escalated, resolved or withdrawn)."""
    with_due_date: int
    on_time: int
    """Ended on or before their due date."""
    median_working_days: float | None

    @property
    def on_time_share(self) -> float | None:
        return figures.share(self.on_time, self.with_due_date)

    @property
    def on_time_text(self) -> str:
        if not self.with_due_date:
            return "No due date"
        share = figures.percent_text(self.on_time_share)
        done, due = figures.count_text(self.on_time), figures.count_text(self.with_due_date)
        return f"{share} ({done} of {due})"

    @property
    def median_text(self) -> str:
        return figures.days_text(self.median_working_days)


@dataclass(frozen=True)
class OldestOpen:
    escalation_id: str
    reference: str
    raised_on: date


@dataclass(frozen=True)
class Timeliness:
    stages: list[StageTimeliness]
    median_to_resolution: float | None
    resolved: int
    oldest_open: OldestOpen | None

    @property
    def on_time(self) -> int:
        return sum(stage.on_time for stage in self.stages)

    @property
    def with_due_date(self) -> int:
        return sum(stage.with_due_date for stage in self.stages)

    @property
    def on_time_share(self) -> float | None:
        return figures.share(self.on_time, self.with_due_date)


@dataclass(frozen=True)
class TrendPoint:
    month: Month
    count: int
    previous_month: Month
    previous_count: int


@dataclass(frozen=True)
class BoardFigures:
    filters: BoardFilters
    partnership: Partnership
    total: int
    previous_total: int
    breakdowns: list[Breakdown]
    timeliness: Timeliness
    trend: list[TrendPoint]
    outcome_counts: dict[Outcome, int] = field(default_factory=dict)

    def breakdown(self, dimension: Dimension) -> Breakdown:
        return next(b for b in self.breakdowns if b.dimension is dimension)

    @property
    def change_text(self) -> str:
        return figures.change_text(self.total, self.previous_total)


# --- the queries -----------------------------------------------------------------------------

# Each breakdown's grouping, as columns of the counted rows (aliases, so the SQL that wraps
# them needs no knowledge of the table's column names).
_COLUMNS = {
    "raising": F("raising_agency_id"),
    "other": F("other_agency_id"),
    "category": F("category"),
    "stage": F("stage_number"),
    "status": F("status"),
    "kind": F("subject_kind"),
    "risk": F("immediate_risk"),
    "route": F("entry_route"),
    "resolved_days": F("resolved_in_working_days"),
    "day": F("raised_on"),
}
# Few groupings, each of columns whose values combine into few rows (a few hundred at most:
# the partnership's agencies, its procedure's categories and stages), folded into the
# breakdowns in Python: hashing fewer keys per case is most of the counting's cost. Days,
# not months: truncating each date to a month costs the database more than it saves.
_SETS: dict[str, tuple[str, ...]] = {
    "agencies": ("raising", "other"),
    "case": ("category", "kind", "risk", "route", "stage", "status"),
    "day": ("day",),
    "resolved_days": ("resolved_days",),
}
_BREAKDOWN_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "raising": ("agencies", ("raising",)),
    "other": ("agencies", ("other",)),
    "category": ("case", ("category",)),
    "kind": ("case", ("kind",)),
    "risk": ("case", ("risk",)),
    "route": ("case", ("route",)),
    "stage_status": ("case", ("stage", "status")),
    "day": ("day", ("day",)),
    "resolved_days": ("resolved_days", ("resolved_days",)),
}
TALLIED = (*_BREAKDOWN_COLUMNS, "stages")
"""What a month's tallies keep: each breakdown's counts, and the ended stages'. Breakdowns,
not the groupings counted: the agencies pair alone runs to some 1,500 keys a month, the two
agencies' breakdowns to some 80."""
StageKey = tuple[int, int | None, bool | None]
"""An ended stage's grouping: its number, its working days, whether it ended by its due date."""
Counts = dict[tuple[object, ...], int]


def figure_counts(
    filters: BoardFilters, *, period: Period | None = None, names: Sequence[str] = TALLIED
) -> dict[str, Counts]:
    """The breakdowns ``names`` (of ``TALLIED``) for the cases ``filters`` count, raised in
    ``period`` (by default the filters' own): summed from the tallies where no agency or
    category narrows them, counted from the cases where one does and for the months with
    a change not yet tallied."""
    period = period or filters.period
    if filters.agency_id is not None or filters.category:
        return _counted(filters, [period], names)
    waiting = tallies.waiting_months(filters.partnership_id, period)
    summed = tallies.summed_tallies(filters.partnership_id, period, skip=waiting, groupings=names)
    counted = _counted(filters, tallies.runs_of(waiting), names)
    return tallies.add_counts({name: dict(summed.get(name, {})) for name in names}, counted)


def live_counts(partnership_id: int, periods: list[Period]) -> dict[str, Counts]:
    """Every tallied breakdown, counted from the partnership's cases raised in ``periods``."""
    return _counted(BoardFilters(partnership_id, periods[0]), periods, TALLIED)


def recount_changed_months(*, limit: int | None = None) -> int:
    """Tally again each month with a change waiting; how many months were counted."""
    return tallies.count_changed_months(live_counts, limit=limit)


def _counted(
    filters: BoardFilters, periods: Iterable[Period], names: Sequence[str]
) -> dict[str, Counts]:
    counts: dict[str, Counts] = {name: {} for name in names}
    breakdowns = [name for name in names if name in _BREAKDOWN_COLUMNS]
    sets = {_BREAKDOWN_COLUMNS[name][0] for name in breakdowns}
    for period in periods:
        escalations = counted_escalations(filters, period=period)
        if sets:
            grouped = grouped_counts(escalations, {name: _SETS[name] for name in sets})
            tallies.add_counts(counts, breakdown_counts(grouped, breakdowns))
        if "stages" in names:
            tallies.add_counts(
                counts, {"stages": stage_counts(filters, escalations, period=period)}
            )
    return counts


def counted_escalations(
    filters: BoardFilters, *, period: Period | None = None
) -> QuerySet[Escalation]:
    """The partnership's escalations the figures count: raised in the period, narrowed as
    the register narrows by agency and category."""
    period = period or filters.period
    escalations = filtered_list(
        Escalation.objects.filter(
            partnership_id=filters.partnership_id,
            raised_on__gte=period.start,
            raised_on__lte=period.end,
        ),
        ListFilters(status=ListStatus.ALL, agency_id=filters.agency_id, category=filters.category),
        today=period.end,
    )
    return escalations.order_by()


def grouped_counts(
    escalations: QuerySet[Escalation], sets: dict[str, tuple[str, ...]] = _SETS
) -> dict[str, Counts]:
    """How many of ``escalations`` have each value of each grouping in ``sets``."""
    if connection.vendor == "postgresql":
        return _grouping_sets(escalations, sets)
    return {
        name: {
            tuple(row[_alias(c)] for c in columns): row["n"]
            for row in escalations.values(**_selected(columns)).annotate(n=Count("pk")).order_by()
        }
        for name, columns in sets.items()
    }


def _grouping_sets(
    escalations: QuerySet[Escalation], sets: dict[str, tuple[str, ...]]
) -> dict[str, Counts]:
    """One scan for every breakdown: PostgreSQL's GROUPING SETS over the counted rows."""
    columns = sorted({c for group in sets.values() for c in group})
    inner, params = escalations.values(**_selected(columns)).query.sql_with_params()
    quoted = {c: connection.ops.quote_name(_alias(c)) for c in columns}
    grouping = ", ".join("(" + ", ".join(quoted[c] for c in group) + ")" for group in sets.values())
    select = ", ".join(quoted[c] for c in columns)
    sql = (
        f"SELECT GROUPING({select}), {select}, COUNT(*) "  # noqa: S608 (names are ours)
        f"FROM ({inner}) AS counted GROUP BY GROUPING SETS ({grouping})"
    )
    # GROUPING() sets a bit for each column *not* grouped in a row: read the set from it.
    by_mask = {_mask(columns, group): name for name, group in sets.items()}
    results: dict[str, Counts] = {name: {} for name in sets}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for mask, *values, count in cursor.fetchall():
            name = by_mask[mask]
            row = dict(zip(columns, values, strict=True))
            results[name][tuple(row[c] for c in sets[name])] = count
    return results


def _alias(column: str) -> str:
    """A counted column's name in SQL: apart from the model's own field names."""
    return f"counted_{column}"


def _selected(columns: Iterable[str]) -> dict[str, Any]:
    return {_alias(c): _COLUMNS[c] for c in columns}


def _mask(columns: Sequence[str], group: tuple[str, ...]) -> int:
    bits = 0
    for column in columns:
        bits = (bits << 1) | (column not in group)
    return bits


def stage_counts(
    filters: BoardFilters, escalations: QuerySet[Escalation], *, period: Period | None = None
) -> Counts:
    """Ended stages of ``escalations`` by (stage, working days taken, ended by due date),
    the due date's flag None where the stage had none.

    Read from the stages' own copy of the partnership and raise day (``stage_entry_board``
    index); only an agency or category filter asks which escalations they belong to.
    """
    on_time = Case(
        When(due_on__isnull=True, then=Value(None)),
        When(ended_on__lte=F("due_on"), then=Value(True)),
        default=Value(False),
    )
    period = period or filters.period
    stages = StageEntry.objects.filter(
        partnership_id=filters.partnership_id,
        case_raised_on__gte=period.start,
        case_raised_on__lte=period.end,
        ended_on__isnull=False,
    )
    if filters.agency_id is not None or filters.category:
        stages = stages.filter(escalation__in=escalations.values("pk"))
    rows = stages.values("number", "working_days", flag=on_time).annotate(n=Count("pk")).order_by()
    return {(row["number"], row["working_days"], row["flag"]): row["n"] for row in rows}


def oldest_open(filters: BoardFilters) -> OldestOpen | None:
    """The partnership's open escalation raised longest ago, whatever the period."""
    escalations = filtered_list(
        Escalation.objects.filter(partnership_id=filters.partnership_id),
        ListFilters(status=ListStatus.OPEN, agency_id=filters.agency_id, category=filters.category),
        today=filters.period.end,
    )
    row = escalations.order_by("raised_on", "id").values("pk", "reference", "raised_on").first()
    if row is None:
        return None
    return OldestOpen(str(row["pk"]), row["reference"], row["raised_on"])


# --- from counts to figures --------------------------------------------------------------------


def board_figures(filters: BoardFilters, *, partnership: Partnership | None = None) -> BoardFigures:
    """The figures; ``partnership``, the filters' own, where the caller has already read it."""
    if partnership is None or partnership.pk != filters.partnership_id:
        partnership = Partnership.objects.get(pk=filters.partnership_id)
    rules = partnership.current_policy().rules
    counts = figure_counts(filters)
    previous = figure_counts(filters, period=filters.period.previous(), names=("day",))
    previous_days = previous["day"]
    total = sum(counts["day"].values())
    labels = _Labels(rules, agency_ids=_ids(counts, "raising") | _ids(counts, "other"))
    outcome_counts = _outcomes(counts["stage_status"])
    return BoardFigures(
        filters=filters,
        partnership=partnership,
        total=total,
        previous_total=sum(previous_days.values()),
        breakdowns=_breakdowns(counts, labels, total),
        timeliness=_timeliness(
            cast(dict[StageKey, int], counts["stages"]),
            counts["resolved_days"],
            rules,
            oldest_open(filters),
        ),
        trend=_trend(filters.period, counts["day"], previous_days),
        outcome_counts=outcome_counts,
    )


def breakdown_counts(
    grouped: dict[str, Counts], names: Iterable[str] = _BREAKDOWN_COLUMNS
) -> dict[str, Counts]:
    """Each breakdown's counts, summed out of the grouping that holds its columns."""
    counts: dict[str, Counts] = {}
    for name in names:
        grouping, wanted = _BREAKDOWN_COLUMNS[name]
        columns = _SETS[grouping]
        positions = [columns.index(column) for column in wanted]
        summed: Counts = defaultdict(int)
        for key, n in grouped[grouping].items():
            summed[tuple(key[i] for i in positions)] += n
        counts[name] = dict(summed)
    return counts


def _ids(counts: dict[str, Counts], name: str) -> set[int]:
    return {int(key[0]) for key in counts[name] if key[0] is not None}  # type: ignore[call-overload]


class _Labels:
    """Names for the values counted: agencies from their table, the rest from the procedure."""

    def __init__(self, rules: PolicyRules, *, agency_ids: Iterable[int]) -> None:
        self.rules = rules
        self.agencies = dict(
            Agency.objects.filter(pk__in=set(agency_ids)).values_list("pk", "name")
        )
        self.categories = {category.key: category.label for category in rules.categories}
        self.stages = {stage.number: stage.name for stage in rules.stages}
        self.routes = {route.key: route.name for route in rules.entry_routes}

    def agency(self, pk: object) -> str:
        return str(self.agencies.get(pk, "An agency no longer listed"))  # type: ignore[call-overload]

    def stage(self, number: object) -> str:
        name = self.stages.get(number)  # type: ignore[call-overload]
        return f"Stage {number}: {name}" if name else f"Stage {number}"


def _breakdowns(counts: dict[str, Counts], labels: _Labels, total: int) -> list[Breakdown]:
    stage_status = counts["stage_status"]
    reached: Counts = defaultdict(int)
    resolved_at: Counts = defaultdict(int)
    for (stage, status), n in stage_status.items():
        reached[(stage,)] += n
        if Outcome.of_status(str(status)) is Outcome.RESOLVED:
            resolved_at[(stage,)] += n
    outcomes = _outcomes(stage_status)
    kinds = dict(Subject.Kind.choices)
    routes_counted = counts["route"]

    def rows(
        dimension: Dimension,
        found: Counts,
        label: object,
        *,
        whole: int = total,
        ordered: bool = False,
    ) -> Breakdown:
        items = [
            FigureRow(
                label=label(key[0]),  # type: ignore[operator]
                count=n,
                share=figures.share(n, whole),
                figure=Figure(dimension, _figure_value(key[0])),
            )
            for key, n in found.items()
        ]
        if ordered:
            items.sort(key=lambda row: int(row.figure.value))
        else:
            items.sort(key=lambda row: (-row.count, row.label))
        return Breakdown(dimension, items)

    return [
        rows(
            Dimension.OUTCOME,
            {(o.value,): n for o, n in outcomes.items()},
            lambda v: Outcome(v).label,
        ),
        rows(Dimension.RAISING_AGENCY, counts["raising"], labels.agency),
        rows(Dimension.OTHER_AGENCY, counts["other"], labels.agency),
        rows(Dimension.CATEGORY, counts["category"], lambda v: labels.categories.get(v, v)),
        rows(Dimension.STAGE_REACHED, reached, labels.stage, ordered=True),
        rows(
            Dimension.RESOLVED_AT,
            resolved_at,
            labels.stage,
            whole=outcomes.get(Outcome.RESOLVED, 0),
            ordered=True,
        ),
        rows(Dimension.SUBJECT_KIND, counts["kind"], lambda v: kinds.get(v, v)),
        rows(
            Dimension.IMMEDIATE_RISK,
            _yes_no(counts["risk"]),
            lambda v: "Yes" if v == "yes" else "No",
        ),
        rows(
            Dimension.ENTRY_ROUTE,
            routes_counted,
            lambda v: (
                labels.routes.get(v, "The usual first stage") if v else "The usual first stage"
            ),
        ),
    ]


def _figure_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _yes_no(found: Counts) -> Counts:
    return {("yes" if key[0] else "no",): n for key, n in found.items()}


def _outcomes(stage_status: Counts) -> dict[Outcome, int]:
    outcomes: dict[Outcome, int] = defaultdict(int)
    for (_, status), n in stage_status.items():
        outcomes[Outcome.of_status(str(status))] += n
    return dict(outcomes)


def _timeliness(
    stages: dict[StageKey, int],
    resolved_days: Counts,
    rules: PolicyRules,
    oldest: OldestOpen | None,
) -> Timeliness:
    ended: dict[int, int] = defaultdict(int)
    due: dict[int, int] = defaultdict(int)
    on_time: dict[int, int] = defaultdict(int)
    days: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (number, working_days, flag), n in stages.items():
        ended[number] += n
        if flag is not None:
            due[number] += n
            on_time[number] += n if flag else 0
        if working_days is not None:
            days[number][working_days] += n
    names = {stage.number: stage.name for stage in rules.stages}
    resolution = {int(key[0]): n for key, n in resolved_days.items() if key[0] is not None}  # type: ignore[call-overload]
    return Timeliness(
        stages=[
            StageTimeliness(
                number=number,
                name=names.get(number, ""),
                ended=ended[number],
                with_due_date=due[number],
                on_time=on_time[number],
                median_working_days=figures.median_of(days[number]),
            )
            for number in sorted(ended)
        ],
        median_to_resolution=figures.median_of(resolution),
        resolved=sum(resolution.values()),
        oldest_open=oldest,
    )


def _trend(period: Period, days: Counts, previous_days: Counts) -> list[TrendPoint]:
    now = _by_month(days)
    before = _by_month(previous_days)
    return [
        TrendPoint(month, now.get(month, 0), earlier, before.get(earlier, 0))
        for month, earlier in zip(period.months(), period.previous().months(), strict=True)
    ]


def _by_month(days: Counts) -> dict[Month, int]:
    found: dict[Month, int] = defaultdict(int)
    for (day,), n in days.items():
        if day is not None:
            found[Month.of(day)] += n  # type: ignore[arg-type]
    return found
