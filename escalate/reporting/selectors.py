"""What the partnership sees: the register of open escalations and the practice issues log.

Everything starts from ``escalations_visible_to`` and is then narrowed to the
partnerships the person oversees (business manager or chair). Rows carry references,
agencies, stages and dates: never the subject's name or the case narrative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from escalate.domain import engine
from escalate.domain.access import PARTNERSHIP_OVERSIGHT
from escalate.domain.policy import PolicyRules
from escalate.escalations import presenters
from escalate.escalations.access import escalations_visible_to
from escalate.escalations.clock import calendar_for
from escalate.escalations.models import Escalation
from escalate.escalations.selectors import with_case_rows
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership, Policy
from escalate.policies.selectors import current_policies
from escalate.reporting.models import PracticeIssue

AS_SOON_AS_POSSIBLE = "As soon as possible"


def overseen_partnership_ids(person: Person) -> list[int]:
    """The partnerships whose register ``person`` may see; empty for everyone else."""
    viewer = person.viewer()
    if not viewer.is_active:
        return []
    return sorted({pid for pid, role in viewer.partnership_roles if role in PARTNERSHIP_OVERSIGHT})


@dataclass(frozen=True)
class RegisterOptions:
    """Choices for the register's filters, from the overseen partnerships' procedures."""

    partnerships: QuerySet[Partnership]
    agencies: QuerySet[Agency]
    categories: list[tuple[str, str]]
    stage_numbers: list[int]


def register_options(partnership_ids: list[int]) -> RegisterOptions:
    categories: dict[str, str] = {}
    stage_numbers: set[int] = set()
    for policy in current_policies().filter(partnership_id__in=partnership_ids):
        rules = policy.rules
        for category in rules.categories:
            categories.setdefault(category.key, category.label)
        stage_numbers.update(stage.number for stage in rules.stages)
    return RegisterOptions(
        partnerships=Partnership.objects.filter(pk__in=partnership_ids),
        agencies=Agency.objects.filter(partnership_id__in=partnership_ids),
        categories=sorted(categories.items(), key=lambda item: item[1]),
        stage_numbers=sorted(stage_numbers),
    )


@dataclass(frozen=True)
class RegisterFilters:
    partnership_id: int | None = None
    stage_number: int | None = None
    agency_id: int | None = None
    category: str = ""
    overdue_only: bool = False
    raised_from: date | None = None
    raised_to: date | None = None


@dataclass(frozen=True)
class RegisterRow:
    """One open escalation, display-ready. No subject name, no narrative."""

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
    working_days_open: int
    """Working days after the day it was raised, up to and including today."""
    deadline_state: engine.DeadlineState
    practice_issue_count: int
    waiting_on: str = ""
    """Whose move it is now: 'Waiting on you', 'Waiting on <agency>', 'Waiting on the chair'."""
    is_waiting_on_you: bool = False

    @property
    def is_overdue(self) -> bool:
        return self.deadline_state is engine.DeadlineState.OVERDUE


def register(person: Person, *, filters: RegisterFilters, today: date) -> list[RegisterRow]:
    """Every open escalation of the partnerships ``person`` oversees, most pressing first.

    The same number of queries however many rows: the person's roles, the escalations
    (with agencies and partnership joined, practice issues counted in a subquery), what
    the stage machine needs to say whose move it is (``with_case_rows``), and the
    procedure versions they run under, each read once.
    """
    partnership_ids = overseen_partnership_ids(person)
    escalations = _register_queryset(person, partnership_ids, filters=filters, today=today)
    rows = list(with_case_rows(escalations))
    rules = _rules_by_policy({row.policy_id for row in rows})
    actors = presenters.ActorCache(person)
    return [
        _register_row(escalation, rules[escalation.policy_id], today, actors) for escalation in rows
    ]


def _register_queryset(
    person: Person, partnership_ids: list[int], *, filters: RegisterFilters, today: date
) -> QuerySet[Escalation]:
    visible = escalations_visible_to(person).values("pk")
    escalations = Escalation.objects.filter(
        pk__in=visible, partnership_id__in=partnership_ids, status=Escalation.Status.OPEN
    )
    if filters.partnership_id is not None:
        escalations = escalations.filter(partnership_id=filters.partnership_id)
    if filters.stage_number is not None:
        escalations = escalations.filter(stage_number=filters.stage_number)
    if filters.agency_id is not None:
        escalations = escalations.filter(
            Q(raising_agency_id=filters.agency_id) | Q(other_agency_id=filters.agency_id)
        )
    if filters.category:
        escalations = escalations.filter(category=filters.category)
    if filters.overdue_only:
        escalations = escalations.filter(stage_due_on__lt=today)
    if filters.raised_from is not None:
        escalations = escalations.filter(raised_on__gte=filters.raised_from)
    if filters.raised_to is not None:
        escalations = escalations.filter(raised_on__lte=filters.raised_to)
    issue_count = (
        PracticeIssue.objects.filter(escalation=OuterRef("pk"))
        .order_by()
        .values("escalation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        escalations.select_related("partnership", "raising_agency", "other_agency")
        .only(
            "reference",
            "policy_id",
            "partnership",
            "status",
            "raised_by_id",
            "counterpart_id",
            "immediate_risk",
            "waiting_on",
            "panel_reason",
            "raising_agency",
            "other_agency",
            "category",
            "stage_number",
            "stage_due_on",
            "raised_on",
            "partnership__name",
            "raising_agency__name",
            "other_agency__name",
        )
        .annotate(
            is_overdue=Case(
                When(stage_due_on__lt=today, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            practice_issue_count=Coalesce(
                Subquery(issue_count, output_field=IntegerField()), Value(0)
            ),
        )
        .order_by("-is_overdue", F("stage_due_on").asc(nulls_last=True), "raised_on", "reference")
    )


def _rules_by_policy(policy_ids: set[int]) -> dict[int, PolicyRules]:
    return {policy.pk: policy.rules for policy in Policy.objects.filter(pk__in=policy_ids)}


def _register_row(
    escalation: Escalation, rules: PolicyRules, today: date, actors: presenters.ActorCache
) -> RegisterRow:
    calendar = calendar_for(rules)
    categories = {category.key: category.label for category in rules.categories}
    waiting = presenters.list_waiting(escalation, rules=rules, actors=actors)
    try:
        stage_name = rules.stage(escalation.stage_number).name
    except KeyError:
        stage_name = ""
    return RegisterRow(
        reference=escalation.reference,
        url=escalation.get_absolute_url(),
        partnership=escalation.partnership.name,
        stage_number=escalation.stage_number,
        stage_name=stage_name,
        raising_agency=escalation.raising_agency.name,
        other_agency=escalation.other_agency.name,
        category=categories.get(escalation.category, escalation.category),
        raised_on=escalation.raised_on,
        due_on=escalation.stage_due_on,
        working_days_open=calendar.working_days_between(escalation.raised_on, today),
        deadline_state=engine.deadline_state(
            escalation.stage_due_on, today=today, calendar=calendar
        ),
        practice_issue_count=escalation.practice_issue_count,  # type: ignore[attr-defined]
        waiting_on=waiting.text,
        is_waiting_on_you=waiting.is_you,
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
