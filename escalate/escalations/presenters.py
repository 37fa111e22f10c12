"""Display-ready values for the escalation pages: templates choose wording, never rules.

Dates, deadlines, ages and flags are worked out here from the domain (``engine``,
the working calendar) so every page says the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from escalate.audit.models import ReadEvent
from escalate.domain import engine
from escalate.domain.access import Action, can
from escalate.domain.calendar import SkippedDay, WorkingCalendar
from escalate.domain.policy import (
    CHECKLIST_LABELS,
    FINAL_STAGE_LABELS,
    AgencyKind,
    ChecklistItem,
    ContactKind,
    DeadlineKind,
    FinalStageKind,
    PolicyRules,
    StageRule,
    SubjectKind,
)
from escalate.domain.policy import (
    Contact as PolicyContact,
)
from escalate.escalations.clock import calendar_for
from escalate.escalations.forms import DateParts, GovukDateField, GovukForm, PersonChoiceField
from escalate.escalations.identifiers import format_nhs_number
from escalate.escalations.models import AgreedAction, Escalation, Subject
from escalate.escalations.selectors import EscalationRecord
from escalate.escalations.services import PanelCheck
from escalate.organisations.models import Person

# --- Small formats -----------------------------------------------------------------------


def long_date(day: date) -> str:
    """'Fri 18 Dec 2026'."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def short_date(day: date) -> str:
    """'Sat 19 Dec': for days listed beside a date that already gives the year."""
    return f"{day:%a} {day.day} {day:%b}"


def moment(at: datetime) -> str:
    """'18 Dec 2026 at 2:05pm', in the service's time zone."""
    local = timezone.localtime(at)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%b %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def working_days_text(count: int) -> str:
    return f"{count} working day" if count == 1 else f"{count} working days"


def person_status(person: Person | None) -> str:
    """Name, job title and agency, as the recording template lists people."""
    if person is None:
        return "Not named"
    return f"{person.name} ({person.status})" if person.status else person.name


def _join(words: Sequence[str], last: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


@dataclass(frozen=True)
class TagView:
    text: str
    css: str


_STATUS_TAGS = {
    Escalation.Status.OPEN: TagView("Open", "govuk-tag--blue"),
    Escalation.Status.RESOLVED: TagView("Resolved", "govuk-tag--green"),
    Escalation.Status.WITHDRAWN: TagView("Withdrawn", "govuk-tag--grey"),
    Escalation.Status.CLOSED: TagView("Closed", "govuk-tag--grey"),
}
_DEADLINE_TAGS = {
    engine.DeadlineState.OVERDUE: TagView("Overdue", "govuk-tag--red"),
    engine.DeadlineState.DUE_TODAY: TagView("Due today", "govuk-tag--orange"),
    engine.DeadlineState.DUE_SOON: TagView("Due soon", "govuk-tag--yellow"),
}
AS_SOON_AS_POSSIBLE = "As soon as possible"


# --- Deadlines and ages ------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    due: str
    """'Thu 31 Dec 2026' or 'As soon as possible'."""
    state: engine.DeadlineState
    tag: TagView | None
    """Overdue, due today or due soon; only while the escalation is open."""
    age: str
    """How long the escalation has run, in working days."""


def deadline(escalation: Escalation, *, today: date, calendar: WorkingCalendar) -> Deadline:
    is_open = escalation.status == Escalation.Status.OPEN
    state = engine.deadline_state(
        escalation.stage_due_on if is_open else None, today=today, calendar=calendar
    )
    until = timezone.localdate(escalation.closed_at) if escalation.closed_at else today
    return Deadline(
        due=long_date(escalation.stage_due_on) if escalation.stage_due_on else AS_SOON_AS_POSSIBLE,
        state=state,
        tag=_DEADLINE_TAGS.get(state),
        age=working_days_text(calendar.working_days_between(escalation.raised_on, until)),
    )


def skipped_days_text(skipped: Iterable[SkippedDay]) -> str:
    """'Sat 19 Dec and Sun 20 Dec (weekend), Fri 25 Dec (Christmas Day)': runs of days
    skipped for the same reason are listed together."""
    runs: list[list[SkippedDay]] = []
    for day in skipped:
        last = runs[-1][-1] if runs else None
        if last and last.reason == day.reason and day.day - last.day == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        f"{_join([short_date(day.day) for day in run])} ({run[0].reason})" for run in runs
    )


def explain_due(
    stage: StageRule,
    *,
    raised_on: date,
    entered_on: date,
    due: date | None,
    same_day: bool,
    calendar: WorkingCalendar,
) -> str:
    """How a stored due date was counted, in a sentence (DOMAIN.md decisions 1, 4 and 5)."""
    if due is None:
        return "The procedure sets no timescale for this stage, so it is due as soon as possible."
    if same_day:
        return (
            "The same day the stage started, because a child or adult is at immediate risk "
            "of significant harm."
        )
    rule = stage.deadline
    if rule.kind is DeadlineKind.BY_WORKING_DAY:
        start, skipped = raised_on, calendar.skipped_days(raised_on - timedelta(days=1), due)
    elif rule.kind is DeadlineKind.WITHIN_WORKING_DAYS:
        start, skipped = entered_on, calendar.skipped_days(entered_on, due)
    else:
        return f"Due {long_date(due)}."
    described = rule.describe()
    sentence = f"{described[0].upper()}{described[1:]}: counted from {long_date(start)}"
    if skipped:
        return f"{sentence}, skipping {skipped_days_text(skipped)}."
    return f"{sentence}, with no weekends or bank holidays in between."


# --- The list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationRow:
    reference: str
    url: str
    stage: str
    other_agency: str
    due: str
    age: str
    status: TagView
    deadline_tag: TagView | None


def _other_agency_for(person: Person, escalation: Escalation) -> str:
    if person.agency_id == escalation.raising_agency_id:
        return escalation.other_agency.name
    if person.agency_id == escalation.other_agency_id:
        return escalation.raising_agency.name
    return f"{escalation.raising_agency.name} and {escalation.other_agency.name}"


def escalation_rows(
    escalations: Iterable[Escalation],
    *,
    person: Person,
    rules_by_policy: dict[int, PolicyRules],
    today: date,
) -> list[EscalationRow]:
    rows = []
    for escalation in escalations:
        rules = rules_by_policy[escalation.policy_id]
        due = deadline(escalation, today=today, calendar=calendar_for(rules))
        stage = rules.stage(escalation.stage_number)
        rows.append(
            EscalationRow(
                reference=escalation.reference,
                url=escalation.get_absolute_url(),
                stage=f"Stage {stage.number}: {stage.name}",
                other_agency=_other_agency_for(person, escalation),
                due=due.due,
                age=due.age,
                status=_STATUS_TAGS[Escalation.Status(escalation.status)],
                deadline_tag=due.tag,
            )
        )
    return rows


# --- The detail page ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One row of a GOV.UK summary list."""

    key: str
    value: str
    href: str = ""
    action: str = ""


@dataclass(frozen=True)
class ActorView:
    """Who must act next in one agency: the job titles, and named people where known."""

    agency: str
    titles: str
    people: list[str]


@dataclass(frozen=True)
class StageNow:
    number: int
    name: str
    summary: str
    due: str
    explanation: str
    acting: list[ActorView]
    partnership_acts: str
    next_step: str


@dataclass(frozen=True)
class StageRecordRow:
    title: str
    entered: str
    due: str
    outcome: str
    reason: str
    ended: str


@dataclass(frozen=True)
class ContactView:
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class AgreedActionView:
    description: str
    owner: str
    due: str
    understanding: str
    check_back: TagView
    check_note: str
    confirm_url: str
    check_back_url: str


@dataclass(frozen=True)
class ChecklistRow:
    label: str
    state: TagView
    detail: str
    url: str


@dataclass(frozen=True)
class HistoryRow:
    label: str
    who: str
    when: str
    stage: str


@dataclass(frozen=True)
class Links:
    """Where the person may go from here; empty where the move is not open to them."""

    contact: str = ""
    escalate: str = ""
    resolve: str = ""
    withdraw: str = ""
    close: str = ""
    representation: str = ""
    panel: str = ""
    decision: str = ""

    @property
    def has_any(self) -> bool:
        return any(vars(self).values())


@dataclass(frozen=True)
class EscalationPage:
    reference: str
    url: str
    revision: int
    status: TagView
    deadline: Deadline
    raised: str
    immediate_risk: str
    subject: list[Row]
    parties: list[Row]
    disagreement: list[Row]
    stage: StageNow
    stage_record: list[StageRecordRow]
    contacts: list[ContactView]
    agreed_actions: list[AgreedActionView]
    checklist_title: str
    checklist: list[ChecklistRow]
    representations: list[ContactView]
    panel: list[str]
    final_decision: list[Row]
    history: list[HistoryRow]
    links: Links
    policy: str = ""
    notes: list[str] = field(default_factory=list)


def escalation_page(record: EscalationRecord, *, person: Person, today: date) -> EscalationPage:
    escalation = record.escalation
    rules = escalation.policy.rules
    calendar = calendar_for(rules)
    viewer = person.viewer()
    facts = escalation.access_facts()
    may_act, may_decide = can(viewer, Action.ACT, facts), can(viewer, Action.DECIDE, facts)
    status = Escalation.Status(escalation.status)
    return EscalationPage(
        reference=escalation.reference,
        url=escalation.get_absolute_url(),
        revision=escalation.revision,
        status=_STATUS_TAGS[status],
        deadline=deadline(escalation, today=today, calendar=calendar),
        raised=f"{long_date(escalation.raised_on)} by {person_status(escalation.raised_by)}",
        immediate_risk=_immediate_risk_text(escalation),
        subject=_subject_rows(escalation.subject),
        parties=_party_rows(record),
        disagreement=_disagreement_rows(escalation, rules),
        stage=_stage_now(record, rules, calendar),
        stage_record=_stage_record(record, rules),
        contacts=_contacts(record),
        agreed_actions=_agreed_actions(record, may_act=may_act),
        checklist_title=f"Checklist for stage {escalation.stage_number}",
        checklist=_checklist(record, rules, may_act=may_act),
        representations=[
            ContactView(
                title=f"Written representation from {item.agency.name}",
                rows=[
                    Row("Representation", item.text),
                    Row("Submitted", f"{moment(item.submitted_at)} by {item.author.name}"),
                ],
            )
            for item in record.representations
        ],
        panel=[person_status(member) for member in record.panel_members],
        final_decision=_final_decision_rows(record),
        history=[
            HistoryRow(
                label=event.label,
                who=event.actor.name if event.actor else "Escalate",
                when=moment(event.occurred_at),
                stage=f"Stage {event.stage_number}" if event.stage_number else "",
            )
            for event in reversed(record.history)
        ],
        links=_links(escalation, rules, person, may_act=may_act, may_decide=may_decide),
        policy=f"{rules.title} ({escalation.partnership.name}, "
        f"version {escalation.policy.version})",
    )


def _immediate_risk_text(escalation: Escalation) -> str:
    if not escalation.immediate_risk:
        return ""
    if escalation.same_day_route_taken:
        return "Yes: the raiser confirmed they took the same-day safeguarding route"
    return "Yes: the raiser had not yet taken the same-day safeguarding route"


def _subject_rows(subject: Subject) -> list[Row]:
    rows = [
        Row("Name", subject.name),
        Row("Who", subject.get_kind_display()),
        Row(
            "Date of birth",
            long_date(subject.date_of_birth) if subject.date_of_birth else "Not known",
        ),
    ]
    if subject.case_reference:
        rows.append(Row("Case reference or PID", subject.case_reference))
    if subject.nhs_number:
        rows.append(Row("NHS number", format_nhs_number(subject.nhs_number)))
    return rows


def _party_rows(record: EscalationRecord) -> list[Row]:
    escalation = record.escalation
    named = {escalation.raised_by_id, escalation.counterpart_id}
    others = [person_status(p) for p in record.participants if p.pk not in named]
    rows = [
        Row("Raised by", person_status(escalation.raised_by)),
        Row("Raising agency", escalation.raising_agency.name),
        Row("Other agency", escalation.other_agency.name),
        Row("Other practitioner", person_status(escalation.counterpart)),
    ]
    if others:
        rows.append(Row("Also involved", "\n".join(others)))
    return rows


def _disagreement_rows(escalation: Escalation, rules: PolicyRules) -> list[Row]:
    categories = {category.key: category.label for category in rules.categories}
    rows = [
        Row("About", categories.get(escalation.category, escalation.category)),
        Row("Decision, action or inaction disputed", escalation.decision_disputed),
        Row("Why they disagree", escalation.evidence or "Not given"),
        Row("Outcome wanted", escalation.desired_outcome),
        Row("Views and wishes of the child or adult", escalation.subject_views or "Not known"),
    ]
    if escalation.entry_route:
        try:
            route = rules.entry_route(escalation.entry_route).name
        except KeyError:
            route = escalation.entry_route
        rows.append(Row("Route in", route))
    return rows


def _stage_now(record: EscalationRecord, rules: PolicyRules, calendar: WorkingCalendar) -> StageNow:
    escalation = record.escalation
    stage = rules.stage(escalation.stage_number)
    entry = next((e for e in record.stage_entries if e.number == stage.number), None)
    entered_on = entry.entered_on if entry else escalation.raised_on
    is_first = bool(record.stage_entries) and record.stage_entries[0].number == stage.number
    same_day = (
        escalation.immediate_risk
        and rules.immediate_risk.first_action_same_day
        and is_first
        and escalation.stage_due_on == entered_on
    )
    status = Escalation.Status(escalation.status)
    partnership_acts = ""
    if stage.ladder_role is None and stage.final is not None:
        chairs = record.chairs
        kinds = _join([FINAL_STAGE_LABELS[kind] for kind in stage.final.decided_by], "or")
        names = _join([person.name for person in chairs])
        partnership_acts = f"{kinds}." + (f" The chair: {names}." if names else "")
    return StageNow(
        number=stage.number,
        name=stage.name,
        summary=stage.summary,
        due=long_date(escalation.stage_due_on) if escalation.stage_due_on else AS_SOON_AS_POSSIBLE,
        explanation=explain_due(
            stage,
            raised_on=escalation.raised_on,
            entered_on=entered_on,
            due=escalation.stage_due_on,
            same_day=same_day,
            calendar=calendar,
        ),
        acting=_acting(record, stage) if status == Escalation.Status.OPEN else [],
        partnership_acts=partnership_acts if status == Escalation.Status.OPEN else "",
        next_step=_NEXT_STEPS[status],
    )


_NEXT_STEPS = {
    Escalation.Status.OPEN: "",
    Escalation.Status.RESOLVED: "Confirm and check back the agreed actions, complete the "
    "checklist, then close the escalation.",
    Escalation.Status.WITHDRAWN: "The escalation was withdrawn. Nothing more is due.",
    Escalation.Status.CLOSED: "The escalation is closed. Nothing more is due.",
}


def _acting(record: EscalationRecord, stage: StageRule) -> list[ActorView]:
    escalation, people = record.escalation, record.acting
    views = []
    for agency in (escalation.raising_agency, escalation.other_agency):
        try:
            titles = stage.titles_for(AgencyKind(agency.kind))
        except ValueError:
            titles = ()
        views.append(
            ActorView(
                agency=agency.name,
                titles=_join(list(titles), "or") or "Not named in the procedure",
                people=[person_status(p) for p in people.get(agency.pk, [])],
            )
        )
    return views


def _stage_record(record: EscalationRecord, rules: PolicyRules) -> list[StageRecordRow]:
    rows = []
    for entry in record.stage_entries:
        stage = rules.stage(entry.number)
        rows.append(
            StageRecordRow(
                title=f"Stage {entry.number}: {stage.name}",
                entered=long_date(entry.entered_on),
                due=long_date(entry.due_on) if entry.due_on else AS_SOON_AS_POSSIBLE,
                outcome=entry.get_outcome_display() if entry.outcome else "In progress",
                reason=entry.outcome_reason,
                ended=long_date(entry.ended_on) if entry.ended_on else "",
            )
        )
    return rows


def _contacts(record: EscalationRecord) -> list[ContactView]:
    return [
        ContactView(
            title=f"{contact.get_kind_display()} on {long_date(contact.happened_on)}, "
            f"stage {contact.stage_number}",
            rows=[
                Row("Contact between", contact.between),
                Row("Summary of the discussion", contact.summary),
                Row("Outcome and next steps", contact.outcome),
                Row("Decision-makers", contact.decision_makers or "None recorded"),
                Row("Recorded by", f"{contact.recorded_by.name} on {moment(contact.recorded_at)}"),
            ],
        )
        for contact in record.contacts
    ]


_CHECK_BACK_TAGS = {
    AgreedAction.Implementation.PENDING: TagView("Not checked yet", "govuk-tag--grey"),
    AgreedAction.Implementation.IMPLEMENTED: TagView("Done", "govuk-tag--green"),
    AgreedAction.Implementation.NOT_IMPLEMENTED: TagView("Not done", "govuk-tag--red"),
}


def _agreed_actions(record: EscalationRecord, *, may_act: bool) -> list[AgreedActionView]:
    escalation = record.escalation
    # Agreed actions are confirmed and checked back between resolving and closing.
    may_act = may_act and escalation.status == Escalation.Status.RESOLVED
    views = []
    for action in record.agreed_actions:
        confirmed = action.understanding_confirmed_at is not None
        understanding = (
            f"Confirmed by {action.understanding_confirmed_by.name} on "
            f"{moment(action.understanding_confirmed_at)}"
            if confirmed and action.understanding_confirmed_by and action.understanding_confirmed_at
            else "Not confirmed yet"
        )
        note = action.check_note
        if action.checked_by and action.checked_at:
            checked = f"Checked by {action.checked_by.name} on {moment(action.checked_at)}."
            note = f"{checked} {note}".strip()
        kwargs = {"pk": escalation.pk, "action_id": action.pk}
        views.append(
            AgreedActionView(
                description=action.description,
                owner=person_status(action.owner),
                due=long_date(action.due_on),
                understanding=understanding,
                check_back=_CHECK_BACK_TAGS[AgreedAction.Implementation(action.implementation)],
                check_note=note,
                confirm_url=reverse("escalations:confirm_action", kwargs=kwargs)
                if may_act and not confirmed
                else "",
                check_back_url=reverse("escalations:check_back_action", kwargs=kwargs)
                if may_act and confirmed
                else "",
            )
        )
    return views


def _checklist(
    record: EscalationRecord, rules: PolicyRules, *, may_act: bool
) -> list[ChecklistRow]:
    escalation = record.escalation
    if escalation.status not in {Escalation.Status.RESOLVED, Escalation.Status.CLOSED}:
        return []
    ticks = {
        tick.item: tick
        for tick in record.checklist_ticks
        if tick.stage_number == escalation.stage_number
    }
    may_tick = may_act and escalation.status == Escalation.Status.RESOLVED
    rows = []
    for item in rules.stage(escalation.stage_number).checklist:
        tick = ticks.get(item.value)
        if tick is None:
            state, detail = TagView("To do", "govuk-tag--grey"), ""
        elif tick.is_done:
            state = TagView("Done", "govuk-tag--green")
            detail = f"Review date {long_date(tick.review_on)}. " if tick.review_on else ""
            detail += f"Recorded by {tick.ticked_by.name}."
        else:
            state = TagView("Not done", "govuk-tag--yellow")
            detail = f"{tick.not_done_reason} Recorded by {tick.ticked_by.name}."
        url = reverse(
            "escalations:checklist_item", kwargs={"pk": escalation.pk, "item": item.value}
        )
        rows.append(ChecklistRow(CHECKLIST_LABELS[item], state, detail, url if may_tick else ""))
    return rows


def _final_decision_rows(record: EscalationRecord) -> list[Row]:
    decision = record.final_decision
    if decision is None:
        return []
    try:
        how = FINAL_STAGE_LABELS[FinalStageKind(decision.decided_by_kind)]
    except ValueError:
        how = decision.decided_by_kind
    rows = [
        Row("Decision", decision.decision),
        Row("How it was reached", how),
        Row("Recorded", f"{long_date(decision.decided_on)} by {decision.decided_by.name}"),
    ]
    if decision.chaired_by_agency:
        rows.append(Row("Chaired by a board member from", decision.chaired_by_agency.name))
    return rows


def _links(
    escalation: Escalation,
    rules: PolicyRules,
    person: Person,
    *,
    may_act: bool,
    may_decide: bool,
) -> Links:
    def url(name: str) -> str:
        return reverse(f"escalations:{name}", kwargs={"pk": escalation.pk})

    status = Escalation.Status(escalation.status)
    is_open = status == Escalation.Status.OPEN
    final = rules.final_stage.final if escalation.is_at_final_stage else None
    open_final = is_open and final is not None
    return Links(
        contact=url("record_contact") if may_act and is_open else "",
        escalate=url("escalate")
        if may_act and is_open and not escalation.is_at_final_stage
        else "",
        resolve=url("resolve") if may_act and is_open else "",
        withdraw=url("withdraw") if may_act and is_open else "",
        close=url("close") if may_act and status == Escalation.Status.RESOLVED else "",
        representation=url("new_representation")
        if may_act
        and open_final
        and final is not None
        and final.written_representations
        and person.agency_id in {escalation.raising_agency_id, escalation.other_agency_id}
        else "",
        panel=url("panel") if may_act and open_final and offers_panel(rules) else "",
        decision=url("decision") if may_decide and open_final else "",
    )


def offers_panel(rules: PolicyRules) -> bool:
    final = rules.final_stage.final
    return final is not None and FinalStageKind.RESOLUTION_PANEL in final.decided_by


# --- Who has seen this case --------------------------------------------------------------

SEEN_BY_LIMIT = 50
_READ_WHAT: dict[str, str] = {
    ReadEvent.What.ESCALATION: "Opened the escalation",
    ReadEvent.What.DOCUMENT: "Downloaded the record",
    ReadEvent.What.EXPORT: "Exported",
    ReadEvent.What.SUBJECT_ACCESS_EXPORT: "Subject access export",
}


@dataclass(frozen=True)
class SeenByRow:
    who: str
    agency: str
    when: str
    what: str


@dataclass(frozen=True)
class SeenBy:
    rows: list[SeenByRow]
    is_cut_short: bool
    """True when there are more reads than ``SEEN_BY_LIMIT``; the newest are shown."""


def seen_by(reads: QuerySet[ReadEvent], *, escalation: Escalation, person: Person) -> SeenBy | None:
    """Who has seen this escalation, newest first; None for anyone not entitled to know.

    Entitled: everyone who may act on it (the people named on it, the managers and leads
    of both party agencies, the partnership's business manager and chair). Read-only
    viewers, such as the independent scrutineer, are not. ``reads`` is only evaluated for
    those entitled. Addresses are recorded but never shown.
    """
    if not can(person.viewer(), Action.ACT, escalation.access_facts()):
        return None
    found = list(reads[: SEEN_BY_LIMIT + 1])
    return SeenBy(
        rows=[
            SeenByRow(
                who=read.reader.name,
                agency=read.reader.agency.name if read.reader.agency else "The partnership",
                when=moment(read.occurred_at),
                what=_read_what(read),
            )
            for read in found[:SEEN_BY_LIMIT]
        ],
        is_cut_short=len(found) > SEEN_BY_LIMIT,
    )


def _read_what(read: ReadEvent) -> str:
    what = _READ_WHAT.get(read.what) or str(read.get_what_display())
    if read.what == ReadEvent.What.DOCUMENT and read.detail:
        return f"{what} ({read.detail})"
    return what


# --- Pieces of the raise journey and the action pages ------------------------------------


def urgent_contacts(rules: PolicyRules, kind: Any) -> list[PolicyContact]:
    """The emergency and front-door contacts for a child or an adult, emergency first."""
    wanted = (ContactKind.EMERGENCY, ContactKind.FRONT_DOOR)
    found = [contact for contact in rules.contacts_for(kind) if contact.kind in wanted]
    return sorted(found, key=lambda contact: wanted.index(contact.kind))


def front_door_contacts(rules: PolicyRules, kind: Any) -> list[PolicyContact]:
    return [c for c in rules.contacts_for(kind) if c.kind is ContactKind.FRONT_DOOR]


@dataclass(frozen=True)
class NextStagePreview:
    """What escalating now would do, or why it cannot be done."""

    title: str
    due: str
    refusal: str


def next_stage_preview(escalation: Escalation, *, today: date) -> NextStagePreview:
    rules = escalation.policy.rules
    try:
        change = engine.escalate(
            escalation.facts(), rules, today=today, calendar=calendar_for(rules)
        )
    except engine.TransitionRefused as refused:
        return NextStagePreview(title="", due="", refusal=str(refused))
    return NextStagePreview(
        title=f"Stage {change.stage.number}: {change.stage.name}",
        due=long_date(change.due_on) if change.due_on else AS_SOON_AS_POSSIBLE,
        refusal="",
    )


def checklist_labels(items: Iterable[ChecklistItem]) -> list[str]:
    return [CHECKLIST_LABELS[item] for item in items]


def agreed_action_summary(action: AgreedAction) -> list[Row]:
    return [
        Row("Agreed action", action.description),
        Row("Who will do it", person_status(action.owner)),
        Row("Due date", long_date(action.due_on)),
    ]


@dataclass(frozen=True)
class EscalationHeading:
    """What every action page shows above its form."""

    reference: str
    url: str
    stage: str
    status: TagView


def escalation_heading(escalation: Escalation) -> EscalationHeading:
    stage = escalation.policy.rules.stage(escalation.stage_number)
    return EscalationHeading(
        reference=escalation.reference,
        url=escalation.get_absolute_url(),
        stage=f"Stage {stage.number}: {stage.name}",
        status=_STATUS_TAGS[Escalation.Status(escalation.status)],
    )


def subject_kind_label(kind: SubjectKind) -> str:
    return "A child" if kind is SubjectKind.CHILD else "An adult with care and support needs"


@dataclass(frozen=True)
class PanelView:
    members: list[str]
    missing: str
    advice: str


def panel_view(members: Iterable[Person], check: PanelCheck) -> PanelView:
    return PanelView(
        members=[person_status(member) for member in members],
        missing=check.missing,
        advice=check.advice,
    )


# --- Forms, as GOV.UK components want them -----------------------------------------------


@dataclass(frozen=True)
class OptionView:
    value: str
    label: str
    hint: str
    checked: bool
    id: str
    group: str = ""


@dataclass(frozen=True)
class FieldView:
    id: str
    name: str
    label: str
    hint: str
    error: str
    value: str
    anchor: str
    """Where the error summary links: the first radio, the day box, or the field."""
    describedby: str
    options: list[OptionView] = field(default_factory=list)
    date: DateParts = field(default_factory=DateParts)

    @property
    def option_groups(self) -> list[tuple[str, list[OptionView]]]:
        """Options by their group, in order, for a select with optgroups."""
        return [(group, list(items)) for group, items in groupby(self.options, key=_group)]


def _group(option: OptionView) -> str:
    return option.group


@dataclass(frozen=True)
class ErrorItem:
    text: str
    href: str = ""


@dataclass(frozen=True)
class FormView:
    fields: dict[str, FieldView]
    errors: list[ErrorItem]
    rows: list[dict[str, FieldView]] = field(default_factory=list)
    """One dict of fields per form of a formset, such as the agreed-action rows."""
    management: list[tuple[str, str]] = field(default_factory=list)
    """Hidden name and value pairs a formset needs."""


def form_view(form: forms.Form, formset: forms.BaseFormSet[Any] | None = None) -> FormView:
    fields = {name: _field_view(form, form[name]) for name in form.fields}
    errors = [ErrorItem(str(message)) for message in form.non_field_errors()]
    errors += [
        ErrorItem(view.error, "" if form.fields[name].widget.is_hidden else f"#{view.anchor}")
        for name, view in fields.items()
        if view.error
    ]
    rows: list[dict[str, FieldView]] = []
    management: list[tuple[str, str]] = []
    if formset is not None:
        rows = [{name: _field_view(row, row[name]) for name in row.fields} for row in formset.forms]
        first = next(iter(rows[0].values())) if rows else None
        errors += [
            ErrorItem(str(message), f"#{first.anchor}" if first else "")
            for message in formset.non_form_errors()
        ]
        errors += [
            ErrorItem(view.error, f"#{view.anchor}")
            for row in rows
            for view in row.values()
            if view.error
        ]
        management = [
            (bound.html_name, str(bound.value() if bound.value() is not None else ""))
            for bound in formset.management_form
        ]
    return FormView(fields=fields, errors=errors, rows=rows, management=management)


def _field_view(form: forms.Form, bound: forms.BoundField) -> FieldView:
    field_ = bound.field
    label = str(bound.label or "")
    if not field_.required and not field_.widget.is_hidden:
        label = f"{label} (optional)"
    id_ = bound.auto_id or bound.html_name
    hint = str(bound.help_text or "")
    error = str(bound.errors[0]) if bound.errors else ""
    describedby = " ".join(
        part for part, present in ((f"{id_}-hint", hint), (f"{id_}-error", error)) if present
    )
    value = bound.value()
    is_date = isinstance(field_, GovukDateField)
    hints = form.option_hints.get(bound.name, {}) if isinstance(form, GovukForm) else {}
    options = [] if is_date else _options(field_, id_, value, hints)
    return FieldView(
        id=id_,
        name=bound.html_name,
        label=label,
        hint=hint,
        error=error,
        value="" if value is None or is_date else str(value),
        anchor=f"{id_}-day" if is_date else id_,
        describedby=describedby,
        options=options,
        date=value if isinstance(value, DateParts) else DateParts(),
    )


def _options(field_: forms.Field, id_: str, value: Any, hints: dict[str, str]) -> list[OptionView]:
    choices = getattr(field_, "choices", None)
    if choices is None:
        return []
    chosen = "" if value is None else str(value)
    group_for = field_.group_for if isinstance(field_, PersonChoiceField) else None
    options: list[OptionView] = []
    for raw_value, label in choices:
        key = str(raw_value)
        instance = getattr(raw_value, "instance", None)
        index = len(options)
        options.append(
            OptionView(
                value=key,
                label=str(label),
                hint=hints.get(key, ""),
                checked=bool(key) and key == chosen,
                id=id_ if index == 0 else f"{id_}-{index + 1}",
                group=group_for(instance) if group_for and instance is not None else "",
            )
        )
    return options
