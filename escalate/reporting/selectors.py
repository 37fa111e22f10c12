"""What the partnership sees: the register of open escalations and the practice issues log.

Everything starts from ``escalations_visible_to`` and is then narrowed to the
partnerships the person oversees (business manager or chair). Rows carry references,
agencies, stages and dates: never the subject's name or the case narrative.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from escalate.board.dimensions import Figure
from escalate.domain import engine
from escalate.domain.access import PARTNERSHIP_OVERSIGHT
from escalate.escalations import presenters
from escalate.escalations.access import escalations_visible_to
from escalate.escalations.models import Escalation
from escalate.escalations.selectors import (
    PAGE_SIZE,
    ListFilters,
    ListOrder,
    ListStatus,
    Page,
    RulesCache,
    filtered_list,
    keyset_page,
    list_options,
    list_order,
    party_agency_names,
)
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership
from escalate.reporting.models import BoardAction, GoodPractice, PracticeIssue

AS_SOON_AS_POSSIBLE = "As soon as possible"


def overseen_partnership_ids(person: Person) -> list[int]:
    """The partnerships whose register ``person`` may see; empty for everyone else."""
    viewer = person.viewer()
    return viewer.partnerships_holding(PARTNERSHIP_OVERSIGHT) if viewer.is_active else []


@dataclass(frozen=True)
class RegisterOptions:
    """Choices for the register's filters, from the overseen partnerships' procedures."""

    partnerships: QuerySet[Partnership]
    agencies: QuerySet[Agency]
    categories: list[tuple[str, str]]
    stage_numbers: list[int]


def register_options(partnership_ids: list[int]) -> RegisterOptions:
    options = list_options(partnership_ids)
    return RegisterOptions(
        partnerships=Partnership.objects.filter(pk__in=partnership_ids),
        agencies=options.agencies,
        categories=options.categories,
        stage_numbers=options.stage_numbers,
    )


@dataclass(frozen=True)
class RegisterFilters:
    status: ListStatus = ListStatus.OPEN
    partnership_id: int | None = None
    stage_number: int | None = None
    agency_id: int | None = None
    category: str = ""
    overdue_only: bool = False
    raised_from: date | None = None
    raised_to: date | None = None
    reference: str = ""
    """One escalation by its reference, as typed (any case, spaces around ignored)."""
    figure: Figure | None = None
    """The cases behind one of the board's figures (``board/dimensions.py``)."""

    def list_filters(self) -> ListFilters:
        return ListFilters(
            status=self.status,
            stage_number=self.stage_number,
            agency_id=self.agency_id,
            category=self.category,
            overdue_only=self.overdue_only,
        )


@dataclass(frozen=True)
class RegisterRow:
    """One escalation, display-ready. No subject name, no narrative."""

    reference: str
    url: str
    partnership: str
    stage_number: int
    stage_name: str
    raising_agency: str
    other_agency: str
    category: str
    raised_on: date
    due_on: date | None
    """The stage's due date while open; none once it has ended."""
    working_days_open: int
    """Working days after the day it was raised, up to and including today (or the day it
    closed)."""
    deadline_state: engine.DeadlineState
    practice_issue_count: int
    waiting_on: str = ""
    """Whose move it is now: 'Waiting on you', 'Waiting on <agency>', 'Waiting on the chair'."""
    is_waiting_on_you: bool = False
    status: str = Escalation.Status.OPEN.value

    @property
    def is_overdue(self) -> bool:
        return self.deadline_state is engine.DeadlineState.OVERDUE

    @property
    def is_open(self) -> bool:
        return self.status == Escalation.Status.OPEN

    @property
    def status_label(self) -> str:
        return Escalation.Status(self.status).label

    @property
    def raised_text(self) -> str:
        """'2 Dec 2026': formatted here, not by a template filter 25 times a page."""
        return _day_month_year(self.raised_on)

    @property
    def due_text(self) -> str:
        return _day_month_year(self.due_on) if self.due_on else AS_SOON_AS_POSSIBLE

    @property
    def deadline_tag(self) -> presenters.TagView:
        return _REGISTER_DEADLINE_TAGS[self.deadline_state]


def _day_month_year(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


_REGISTER_DEADLINE_TAGS = {
    **presenters.DEADLINE_TAGS,
    engine.DeadlineState.ON_TRACK: presenters.TagView("On track", "govuk-tag--green"),
    engine.DeadlineState.NO_DEADLINE: presenters.TagView("No fixed timescale", "govuk-tag--grey"),
}


def register(
    person: Person,
    *,
    filters: RegisterFilters,
    today: date,
    cursor: str = "",
    size: int = PAGE_SIZE,
) -> Page[RegisterRow]:
    """One page of the register of the partnerships ``person`` oversees, open escalations
    nearest their due date first (so the overdue), ended ones newest first.

    The same number of queries however many rows: the person's roles, the page's
    escalations (the partnership joined, practice issues counted in a subquery, and the
    stage machine's facts each row holds, see ``authority.stored_case``) and the names of
    their party agencies, raising and other among them, for the rows and for saying whose
    move it is. Procedure versions are held per process. Raises ``InvalidCursor`` for a
    link it did not make.
    """
    escalations = _register_queryset(person, filters=filters, today=today, names_joined=False)
    page = keyset_page(escalations, list_order(filters.status), cursor, size=size)
    return page.with_items(_RowMaker(person, today)(page.items))


def register_rows(
    person: Person, *, filters: RegisterFilters, today: date, chunk_size: int = 2000
) -> Iterator[RegisterRow]:
    """Every row of the register, in the page's order, for the export: read a keyset page
    of ``chunk_size`` at a time, each through the register's index, so any number of rows
    streams in constant memory and no query holds a cursor open between chunks.

    Whose move comes from the state the services store (``Escalation.waiting_on``), not from
    the stage machine per row: the export names who acts at the stage, not whether the
    reader may act.
    """
    order = list_order(filters.status)
    # Plain values, no model per row: building 200,000 models was a third of the export's
    # time. Whose move comes from ``waiting_on`` alone, so the stage machine's facts are
    # not read.
    escalations = _register_queryset(person, filters=filters, today=today).values(*_EXPORT_VALUES)
    make = _RowMaker(person, today, from_stored_state=True)
    cursor = ""
    while True:
        page = keyset_page(escalations, order, cursor, size=chunk_size)
        yield from make(page.items)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def register_total(person: Person, *, filters: RegisterFilters, today: date) -> int:
    """How many rows the export will write: counted once when an export starts (so its
    progress bar has an end), never on the page, which reads only the rows it shows."""
    escalations = _register_queryset(person, filters=filters, today=today, names_joined=False)
    return escalations.order_by().count()


def _register_queryset(
    person: Person, *, filters: RegisterFilters, today: date, names_joined: bool = True
) -> QuerySet[Escalation]:
    """The register's rows. ``names_joined``: the agencies' names as columns, for the export,
    which reads no names apart. A page names its agencies from ``party_agency_names``
    instead: joined to a page, PostgreSQL looped over the whole agency table for each row."""
    partnership_ids = overseen_partnership_ids(person)
    if filters.partnership_id is not None:
        partnership_ids = [pid for pid in partnership_ids if pid == filters.partnership_id]
    escalations = filtered_list(
        escalations_visible_to(person).filter(partnership_id__in=partnership_ids),
        filters.list_filters(),
        today=today,
    )
    if filters.raised_from is not None:
        escalations = escalations.filter(raised_on__gte=filters.raised_from)
    if filters.raised_to is not None:
        escalations = escalations.filter(raised_on__lte=filters.raised_to)
    if filters.reference:
        escalations = escalations.filter(reference=filters.reference)
    if filters.figure is not None:
        escalations = escalations.filter(filters.figure.q())
    issue_count = (
        PracticeIssue.objects.filter(escalation=OuterRef("pk"))
        .order_by()
        .values("escalation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    escalations = escalations.only(
        "reference",
        "policy_id",
        "partnership",
        "status",
        "raised_by_id",
        "counterpart_id",
        "immediate_risk",
        "waiting_on",
        "case_facts",
        "panel_reason",
        "raising_agency",
        "other_agency",
        "category",
        "stage_number",
        "stage_due_on",
        "raised_on",
        "closed_at",
    ).annotate(
        # Names as columns of the row, not joined objects: an export builds no model
        # per agency per row.
        partnership_name=F("partnership__name"),
        practice_issue_count=Coalesce(Subquery(issue_count, output_field=IntegerField()), Value(0)),
    )
    if names_joined:
        escalations = escalations.annotate(
            raising_agency_name=F("raising_agency__name"),
            other_agency_name=F("other_agency__name"),
        )
    return escalations


_EXPORT_VALUES = (
    "pk",
    "reference",
    "policy_id",
    "status",
    "waiting_on",
    "category",
    "stage_number",
    "stage_due_on",
    "raised_on",
    "closed_at",
    "partnership_name",
    "raising_agency_name",
    "other_agency_name",
    "practice_issue_count",
)


class _RowMaker:
    """Turns escalations into rows, reading each procedure version, its calendar and its
    categories once for the whole register, and the viewer's facts once per partnership."""

    def __init__(self, person: Person, today: date, *, from_stored_state: bool = False) -> None:
        self.today = today
        self.from_stored_state = from_stored_state
        self.rules = RulesCache()
        self.actors = presenters.ActorCache(person)
        self.urls = presenters.DetailUrls()
        self.agency_names: dict[int, str] = {}

    def __call__(self, escalations: list[Escalation]) -> list[RegisterRow]:
        self.rules.load(escalation.policy_id for escalation in escalations)
        if not self.from_stored_state:
            self.agency_names = party_agency_names(escalations)
        return [self.row(escalation) for escalation in escalations]

    def _name(self, escalation: Escalation, agency: str) -> str:
        """An agency's name: a column of an export's row, or from the page's party names."""
        if self.from_stored_state:
            return str(getattr(escalation, f"{agency}_name"))
        return self.agency_names[getattr(escalation, f"{agency}_id")]

    def row(self, escalation: Escalation) -> RegisterRow:
        policy_id, today = escalation.policy_id, self.today
        rules = self.rules.rules(policy_id)
        calendar = self.rules.calendar(policy_id)
        is_open = escalation.status == Escalation.Status.OPEN
        due_on = escalation.stage_due_on if is_open else None
        until = today
        if not is_open and escalation.closed_at is not None:
            until = min(timezone.localdate(escalation.closed_at), today)
        if self.from_stored_state:
            waiting = presenters.stored_waiting(
                escalation,
                rules=rules,
                raising_agency=escalation.raising_agency_name,  # type: ignore[attr-defined]
            )
        else:
            waiting = presenters.list_waiting(
                escalation, rules=rules, actors=self.actors, agency_names=self.agency_names
            )
        try:
            stage_name = rules.stage(escalation.stage_number).name
        except KeyError:
            stage_name = ""
        return RegisterRow(
            reference=escalation.reference,
            url=self.urls(escalation.pk),
            partnership=escalation.partnership_name,  # type: ignore[attr-defined]
            stage_number=escalation.stage_number,
            stage_name=stage_name,
            raising_agency=self._name(escalation, "raising_agency"),
            other_agency=self._name(escalation, "other_agency"),
            category=self.rules.category(policy_id, escalation.category),
            raised_on=escalation.raised_on,
            due_on=due_on,
            working_days_open=calendar.working_days_between(escalation.raised_on, until),
            deadline_state=engine.deadline_state(due_on, today=today, calendar=calendar),
            practice_issue_count=escalation.practice_issue_count,  # type: ignore[attr-defined]
            waiting_on=waiting.text,
            is_waiting_on_you=waiting.is_you,
            status=escalation.status,
        )


@dataclass(frozen=True)
class PracticeIssueFilters:
    partnership_id: int | None = None
    lead_agency_id: int | None = None
    is_resolved: bool | None = None
    latest_only: bool = False
    recorded_from: date | None = None
    recorded_to: date | None = None


def practice_issues(person: Person, *, filters: PracticeIssueFilters) -> QuerySet[PracticeIssue]:
    """The practice issues log of the partnerships ``person`` oversees, newest first.

    Every update is a row; ``latest_only`` keeps each escalation's most recent one.
    """
    partnership_ids = overseen_partnership_ids(person)
    visible = escalations_visible_to(person).values("pk")
    issues = PracticeIssue.objects.filter(
        escalation__in=visible, escalation__partnership_id__in=partnership_ids
    )
    if filters.partnership_id is not None:
        issues = issues.filter(escalation__partnership_id=filters.partnership_id)
    if filters.lead_agency_id is not None:
        issues = issues.filter(lead_agency_id=filters.lead_agency_id)
    if filters.is_resolved is not None:
        issues = issues.filter(is_resolved=filters.is_resolved)
    if filters.latest_only:
        newer = PracticeIssue.objects.filter(
            escalation=OuterRef("escalation"), pk__gt=OuterRef("pk")
        )
        issues = issues.filter(~Exists(newer))
    if filters.recorded_from is not None:
        issues = issues.filter(updated_at__date__gte=filters.recorded_from)
    if filters.recorded_to is not None:
        issues = issues.filter(updated_at__date__lte=filters.recorded_to)
    return (
        issues.select_related("escalation__partnership", "lead_agency", "updated_by")
        .only(
            "stage_number",
            "issue",
            "is_resolved",
            "updated_at",
            "escalation",
            "lead_agency",
            "updated_by",
            "escalation__reference",
            "escalation__partnership",
            "escalation__partnership__name",
            "lead_agency__name",
            "updated_by__name",
        )
        .order_by("-updated_at", "-pk")
    )


NEWEST_UPDATE_FIRST = ListOrder("updated", "updated_at", descending=True)


def practice_issue_page(
    person: Person, *, filters: PracticeIssueFilters, cursor: str = "", size: int = PAGE_SIZE
) -> Page[PracticeIssue]:
    """One page of the log, newest update first, by keyset on (updated_at, id): a page
    reads its own rows, not the ones before it. Raises ``InvalidCursor`` for a link it did
    not make."""
    return keyset_page(
        practice_issues(person, filters=filters), NEWEST_UPDATE_FIRST, cursor, size=size
    )


# --- board actions ---------------------------------------------------------------------------


class BoardActionShow(StrEnum):
    OPEN = "open"
    DONE = "done"
    ALL = "all"


NEWEST_ACTION_FIRST = ListOrder("created", "created_at", descending=True)


def board_actions(partnership_ids: list[int], *, show: BoardActionShow) -> QuerySet[BoardAction]:
    """The board actions of ``partnership_ids`` (those the person oversees), newest first."""
    actions = BoardAction.objects.filter(partnership_id__in=partnership_ids)
    if show is BoardActionShow.OPEN:
        actions = actions.filter(status=BoardAction.Status.OPEN)
    elif show is BoardActionShow.DONE:
        actions = actions.filter(status=BoardAction.Status.DONE)
    return actions.select_related("partnership", "owner", "practice_issue__escalation").order_by(
        "-created_at", "-pk"
    )


def board_action_page(
    partnership_ids: list[int], *, show: BoardActionShow, cursor: str = "", size: int = PAGE_SIZE
) -> Page[BoardAction]:
    """One page of board actions by keyset on (created_at, id). Raises ``InvalidCursor`` for
    a link it did not make."""
    return keyset_page(
        board_actions(partnership_ids, show=show), NEWEST_ACTION_FIRST, cursor, size=size
    )


@dataclass(frozen=True)
class BoardActionRow:
    action: BoardAction
    is_overdue: bool


def board_action_rows(actions: list[BoardAction], *, today: date) -> list[BoardActionRow]:
    """The page's actions, each saying whether it is overdue today."""
    return [BoardActionRow(action, action.is_overdue(today=today)) for action in actions]


# --- good practice ---------------------------------------------------------------------------

NEWEST_GOOD_PRACTICE_FIRST = ListOrder("recorded", "recorded_at", descending=True)


def good_practice_page(
    partnership_ids: list[int], *, cursor: str = "", size: int = PAGE_SIZE
) -> Page[GoodPractice]:
    """One page of the good practice recognised in ``partnership_ids``' escalations, newest
    first, by keyset on (recorded_at, id)."""
    entries = (
        GoodPractice.objects.filter(partnership_id__in=partnership_ids)
        .select_related("partnership", "recorded_by", "escalation")
        .only(
            "description",
            "recorded_at",
            "partnership__name",
            "recorded_by__name",
            "escalation__reference",
        )
        .order_by("-recorded_at", "-pk")
    )
    return keyset_page(entries, NEWEST_GOOD_PRACTICE_FIRST, cursor, size=size)


# --- the learning loop's figures, for the board's dashboard ---------------------------------


@dataclass(frozen=True)
class LearningFigures:
    """The learning loop of ``partnership_ids`` over a period (both dates included).

    Practice issues count escalations, not updates: one with any update in the period, as
    resolved or not by its latest update in the period. Board actions open and overdue are
    as they stood at the end of the period; those done count completions within it.
    """

    escalations_with_practice_issues: int
    practice_issues_resolved: int
    practice_issues_not_resolved: int
    board_actions_made: int
    """Made within the period."""
    board_actions_open: int
    board_actions_overdue: int
    """Open at the end of the period and due before its last day."""
    board_actions_done: int
    done_procedure_changed: int
    done_training: int
    done_guidance: int
    done_no_change: int
    good_practice: int
    """'Recognise good practice' entries recorded in the period."""

    @property
    def done_by_outcome(self) -> dict[str, int]:
        """Done actions by ``BoardAction.Outcome`` value, for a table or chart."""
        return {
            BoardAction.Outcome.PROCEDURE_CHANGED: self.done_procedure_changed,
            BoardAction.Outcome.TRAINING: self.done_training,
            BoardAction.Outcome.GUIDANCE: self.done_guidance,
            BoardAction.Outcome.NO_CHANGE: self.done_no_change,
        }


def _period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as [first instant, instant after the last day), in local time, so each
    bound is a range an index on the datetime serves (``__date`` lookups are not)."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def learning_figures(partnership_ids: list[int], *, start: date, end: date) -> LearningFigures:
    """The figures of ``LearningFigures`` in three aggregate queries, one per table.

    Returns counts only: no case narrative, names or references reach the board this way.
    """
    since, until = _period_bounds(start, end)
    in_period = Q(updated_at__gte=since, updated_at__lt=until)
    issues = PracticeIssue.objects.filter(in_period, escalation__partnership_id__in=partnership_ids)
    later = PracticeIssue.objects.filter(
        in_period, escalation=OuterRef("escalation"), pk__gt=OuterRef("pk")
    )
    latest = issues.filter(~Exists(later)).aggregate(
        resolved=Count("pk", filter=Q(is_resolved=True)),
        not_resolved=Count("pk", filter=Q(is_resolved=False)),
    )
    made = Q(created_at__gte=since, created_at__lt=until)
    open_at_end = Q(created_at__lt=until) & (Q(completed_at=None) | Q(completed_at__gte=until))
    done = Q(completed_at__gte=since, completed_at__lt=until)
    outcome = BoardAction.Outcome
    actions = BoardAction.objects.filter(partnership_id__in=partnership_ids).aggregate(
        made=Count("pk", filter=made),
        open=Count("pk", filter=open_at_end),
        overdue=Count("pk", filter=open_at_end & Q(due_on__lt=end)),
        done=Count("pk", filter=done),
        **{value: Count("pk", filter=done & Q(outcome=value)) for value in outcome.values},
    )
    good = GoodPractice.objects.filter(
        partnership_id__in=partnership_ids, recorded_at__gte=since, recorded_at__lt=until
    ).count()
    return LearningFigures(
        escalations_with_practice_issues=latest["resolved"] + latest["not_resolved"],
        practice_issues_resolved=latest["resolved"],
        practice_issues_not_resolved=latest["not_resolved"],
        board_actions_made=actions["made"],
        board_actions_open=actions["open"],
        board_actions_overdue=actions["overdue"],
        board_actions_done=actions["done"],
        done_procedure_changed=actions[outcome.PROCEDURE_CHANGED],
        done_training=actions[outcome.TRAINING],
        done_guidance=actions[outcome.GUIDANCE],
        done_no_change=actions[outcome.NO_CHANGE],
        good_practice=good,
    )
