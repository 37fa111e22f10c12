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
from uuid import UUID

from django import forms
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from escalate.audit.models import ReadEvent
from escalate.domain import engine, moves
from escalate.domain.calendar import SkippedDay, WorkingCalendar
from escalate.domain.moves import Move, WaitingOn
from escalate.domain.policy import (
    CHECKLIST_LABELS,
    FINAL_STAGE_LABELS,
    SYSTEM_KNOWN_ITEMS,
    AgencyKind,
    Agreement,
    ChecklistItem,
    ContactKind,
    DeadlineKind,
    FinalStageKind,
    PartnershipRole,
    PolicyRules,
    StageAction,
    StageRule,
    SubjectKind,
)
from escalate.domain.policy import (
    Contact as PolicyContact,
)
from escalate.escalations import authority, selectors
from escalate.escalations.clock import calendar_for
from escalate.escalations.forms import DateParts, GovukDateField, GovukForm, PersonChoiceField
from escalate.escalations.identifiers import format_nhs_number
from escalate.escalations.models import (
    AgreedAction,
    Appointment,
    ChecklistTick,
    ContactVersion,
    Correction,
    Escalation,
    ResolutionProposal,
    Subject,
    corrections_of,
)
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
# A deadline tag where one calls for attention; lists that tag every row add the calm ones.
DEADLINE_TAGS = {
    engine.DeadlineState.OVERDUE: TagView("Overdue", "govuk-tag--red"),
    engine.DeadlineState.DUE_TODAY: TagView("Due today", "govuk-tag--orange"),
    engine.DeadlineState.DUE_SOON: TagView("Due soon", "govuk-tag--yellow"),
}
AS_SOON_AS_POSSIBLE = "As soon as possible"


# --- Deadlines and ages ------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    due: str
    """'Thu 31 Dec 2026' or 'As soon as possible'; empty once the escalation is no longer open."""
    state: engine.DeadlineState
    tag: TagView | None
    """Overdue, due today or due soon; only while the escalation is open."""
    age: str
    """How long the escalation has run, or ran until it ended, in working days."""
    age_label: str = "Age"


_AGE_LABELS = {
    Escalation.Status.OPEN: "Age",
    Escalation.Status.RESOLVED: "Resolved after",
    Escalation.Status.CLOSED: "Resolved after",
    Escalation.Status.WITHDRAWN: "Withdrawn after",
}


def deadline(
    escalation: Escalation,
    *,
    today: date,
    calendar: WorkingCalendar,
    ended_on: date | None = None,
) -> Deadline:
    """The stage's due date while open; the age in working days on the partnership's calendar.

    A resolved, closed or withdrawn escalation has no stage due date, and stopped ageing on
    ``ended_on``, the day its last stage ended (else the day it closed).
    """
    status = Escalation.Status(escalation.status)
    is_open = status == Escalation.Status.OPEN
    state = engine.deadline_state(
        escalation.stage_due_on if is_open else None, today=today, calendar=calendar
    )
    if is_open:
        until = today
        due = long_date(escalation.stage_due_on) if escalation.stage_due_on else AS_SOON_AS_POSSIBLE
    else:
        closed_on = timezone.localdate(escalation.closed_at) if escalation.closed_at else None
        until = ended_on or closed_on or today
        due = ""
    return Deadline(
        due=due,
        state=state,
        tag=DEADLINE_TAGS.get(state),
        age=working_days_text(calendar.working_days_between(escalation.raised_on, until)),
        age_label=_AGE_LABELS[status],
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
    """How a stored due date was counted, in a sentence (docs/domain.md decisions 1, 4 and 5)."""
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


# --- Whose move it is --------------------------------------------------------------------

# The moves that answer each state of ``Escalation.waiting_on``: whoever may make one of
# them now is the person the escalation waits on.
_ANSWERING_MOVES: dict[WaitingOn, frozenset[Move]] = {
    WaitingOn.PARTIES: frozenset({Move.ESCALATE, Move.PROPOSE_RESOLUTION}),
    WaitingOn.CONFIRMATION: frozenset({Move.CONFIRM_RESOLUTION}),
    WaitingOn.APPOINTMENT: frozenset(
        {Move.APPOINT_PANEL_MEMBER, Move.APPOINT_CHAIR, Move.EXPLAIN_PANEL}
    ),
    WaitingOn.DECISION: frozenset({Move.RECORD_DECISION}),
    WaitingOn.CHECK_BACK: frozenset(
        {Move.CONFIRM_UNDERSTANDING, Move.CHECK_BACK, Move.ANSWER_CHECKLIST, Move.CLOSE}
    ),
    WaitingOn.NOBODY: frozenset(),
}
_ROLE_WORDS = {
    PartnershipRole.BUSINESS_MANAGER: "the business manager",
    PartnershipRole.CHAIR: "the chair",
    PartnershipRole.EXECUTIVE_MEMBER: "the executive",
    PartnershipRole.PANEL_MEMBER: "the panel",
    PartnershipRole.INDEPENDENT_SCRUTINEER: "the independent scrutineer",
    PartnershipRole.ADMINISTRATOR: "an administrator",
    PartnershipRole.DATA_PROTECTION_OFFICER: "the data protection officer",
}
_DECIDER_WORDS = {
    FinalStageKind.CHAIR_DECISION: "the chair",
    FinalStageKind.RESOLUTION_PANEL: "the panel",
    FinalStageKind.INDEPENDENTLY_CHAIRED_MEETING: "the meeting's chair",
    FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING: "the meeting's chair",
    FinalStageKind.EXECUTIVE_DECISION: "the executive",
}
NOTHING_DUE = "Nothing due"
WAITING_ON_YOU = "Waiting on you"


@dataclass(frozen=True)
class WaitingView:
    text: str
    """'Waiting on you', 'Waiting on Invented Police', 'Waiting on the chair', 'Nothing due'."""
    is_you: bool
    tag: TagView | None


def waiting(
    escalation: Escalation,
    *,
    case: moves.Case,
    options: moves.Moves,
    rules: PolicyRules,
    agency_names: dict[int, str],
) -> WaitingView:
    """Whose move it is now, from ``Escalation.waiting_on`` and what the viewer may do."""
    state = WaitingOn(escalation.waiting_on)
    if state is WaitingOn.NOBODY:
        return WaitingView(NOTHING_DUE, is_you=False, tag=None)
    if _ANSWERING_MOVES[state] & options.allowed:
        return WaitingView(
            WAITING_ON_YOU, is_you=True, tag=TagView(WAITING_ON_YOU, "govuk-tag--pink")
        )
    return WaitingView(f"Waiting on {_waited_on(state, case, rules, agency_names)}", False, None)


def stored_waiting(
    escalation: Escalation, *, rules: PolicyRules, raising_agency: str
) -> WaitingView:
    """Whose move it is from the stored state alone, for exports of any size: who acts at
    the stage, named by role or, for the check-back, by the raising agency."""
    state = WaitingOn(escalation.waiting_on)
    if state is WaitingOn.NOBODY:
        return WaitingView(NOTHING_DUE, is_you=False, tag=None)
    if state is WaitingOn.CHECK_BACK:
        words = raising_agency
    else:
        words = _final_stage_words(state, rules) or _STORED_WORDS[state]
    return WaitingView(f"Waiting on {words}", False, None)


_STORED_WORDS = {
    WaitingOn.PARTIES: "the agencies at this stage",
    WaitingOn.CONFIRMATION: "the agencies to confirm the resolution",
    WaitingOn.APPOINTMENT: "the partnership to appoint the panel",
    WaitingOn.DECISION: "the final stage's decision",
}


def _waited_on(
    state: WaitingOn, case: moves.Case, rules: PolicyRules, agency_names: dict[int, str]
) -> str:
    words = _final_stage_words(state, rules)
    if words:
        return words
    agencies = moves.waiting_agencies(case, rules)
    return _join([agency_names.get(pk, "an agency") for pk in agencies]) or "the agencies"


def _final_stage_words(state: WaitingOn, rules: PolicyRules) -> str:
    """Who appoints or decides at the final stage, by role; "" for any other state."""
    final = rules.final_stage.final
    if state is WaitingOn.APPOINTMENT and final is not None:
        return _join([_ROLE_WORDS[role] for role in final.appointed_by], "or")
    if state is WaitingOn.DECISION and final is not None:
        return _join(list(dict.fromkeys(_DECIDER_WORDS[kind] for kind in final.decided_by)), "or")
    return ""


class ActorCache:
    """The viewer's facts per partnership, read once for a whole list."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self._by_partnership: dict[int, moves.Actor] = {}

    def __call__(self, partnership_id: int) -> moves.Actor:
        if partnership_id not in self._by_partnership:
            self._by_partnership[partnership_id] = authority.actor_of(self.person, partnership_id)
        return self._by_partnership[partnership_id]


def list_waiting(
    escalation: Escalation, *, rules: PolicyRules, actors: ActorCache, agency_names: dict[int, str]
) -> WaitingView:
    """``waiting`` for a row of a list, from the stage machine's facts the row itself holds
    (``authority.stored_case``): no other row of the case is read."""
    case = authority.stored_case(escalation)
    answering = _ANSWERING_MOVES[WaitingOn(escalation.waiting_on)]
    options = moves.moves_among(answering, case, actors(escalation.partnership_id), rules)
    return waiting(escalation, case=case, options=options, rules=rules, agency_names=agency_names)


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
    waiting: WaitingView


def _other_agency_for(person: Person, escalation: Escalation, names: dict[int, str]) -> str:
    raising, other = names[escalation.raising_agency_id], names[escalation.other_agency_id]
    if person.agency_id == escalation.raising_agency_id:
        return other
    if person.agency_id == escalation.other_agency_id:
        return raising
    return f"{raising} and {other}"


class DetailUrls:
    """Each escalation's page address, from one ``reverse()`` per list, not one per row."""

    _PLACEHOLDER = UUID(int=0)

    def __init__(self) -> None:
        url = reverse("escalations:detail", kwargs={"pk": self._PLACEHOLDER})
        self._prefix, self._suffix = url.split(str(self._PLACEHOLDER))

    def __call__(self, pk: UUID) -> str:
        return f"{self._prefix}{pk}{self._suffix}"


@dataclass(frozen=True)
class PaginationView:
    """The GOV.UK pagination component's links ("" where there is no such page)."""

    previous_url: str
    next_url: str


def pagination(request: HttpRequest, page: selectors.Page[Any]) -> PaginationView:
    """Links to the neighbouring pages, keeping the list's filters."""

    def link(cursor: str) -> str:
        if not cursor:
            return ""
        query = request.GET.copy()
        query["cursor"] = cursor
        return f"{request.path}?{query.urlencode()}"

    return PaginationView(link(page.previous_cursor), link(page.next_cursor))


def escalation_rows(
    escalations: Iterable[Escalation],
    *,
    person: Person,
    rules: selectors.RulesCache,
    today: date,
) -> list[EscalationRow]:
    """The rows of a page of a person's list, in the order given, each saying whose move
    it is; ``rules`` reads each procedure version once."""
    escalations = list(escalations)
    rules.load(escalation.policy_id for escalation in escalations)
    actors, urls = ActorCache(person), DetailUrls()
    names = selectors.party_agency_names(escalations)
    rows = []
    for escalation in escalations:
        policy_rules = rules.rules(escalation.policy_id)
        due = deadline(
            escalation,
            today=today,
            calendar=rules.calendar(escalation.policy_id),
            ended_on=getattr(escalation, "ended_on", None),
        )
        stage = policy_rules.stage(escalation.stage_number)
        rows.append(
            EscalationRow(
                reference=escalation.reference,
                url=urls(escalation.pk),
                stage=f"Stage {stage.number}: {stage.name}",
                other_agency=_other_agency_for(person, escalation, names),
                due=due.due,
                age=due.age,
                status=_STATUS_TAGS[Escalation.Status(escalation.status)],
                deadline_tag=due.tag,
                waiting=list_waiting(
                    escalation, rules=policy_rules, actors=actors, agency_names=names
                ),
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
    """Empty once the escalation is no longer open: nothing is due at its stage."""
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
class VersionView:
    """An entry of the record as it read before a correction."""

    title: str
    rows: list[Row]


@dataclass(frozen=True)
class CorrectionsView:
    """How an entry came to read as it does, and the way to correct it for those who may."""

    what: str
    """"contact" or "decision", for the link's words."""
    correct_url: str = ""
    notes: list[str] = field(default_factory=list)
    """"Corrected on … by …: why", oldest first."""
    earlier: list[VersionView] = field(default_factory=list)


@dataclass(frozen=True)
class ContactView:
    title: str
    rows: list[Row]
    corrections: CorrectionsView | None = None


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
class ProposalView:
    """A resolution recorded by one agency, waiting for the others to confirm it."""

    summary: str
    """'Resolution proposed by Lee Manager (Invented Children's Services), waiting for
    confirmation from Invented Primary School.'"""
    outcome: str
    actions: list[list[Row]]
    confirmed: list[str]


@dataclass(frozen=True)
class Links:
    """Where the person may go from here: each only where the stage machine allows the move."""

    contact: str = ""
    escalate: str = ""
    resolve: str = ""
    confirm_resolution: str = ""
    withdraw: str = ""
    add_agency: str = ""
    lead_agency: str = ""
    representation: str = ""
    panel: str = ""
    meeting_chair: str = ""
    decision: str = ""
    close: str = ""
    reopen: str = ""
    practice_issue: str = ""
    good_practice: str = ""

    @property
    def has_any(self) -> bool:
        """Any action link; the practice-issue form is listed with the documents."""
        return any(value for name, value in vars(self).items() if name != "practice_issue")


# Each link and the move it needs; the panel page needs any one of its moves.
_LINK_MOVES: dict[str, tuple[str, tuple[Move, ...]]] = {
    "contact": ("record_contact", (Move.RECORD_CONTACT,)),
    "escalate": ("escalate", (Move.ESCALATE,)),
    "resolve": ("resolve", (Move.PROPOSE_RESOLUTION,)),
    "confirm_resolution": ("confirm_resolution", (Move.CONFIRM_RESOLUTION,)),
    "withdraw": ("withdraw", (Move.WITHDRAW,)),
    "add_agency": ("add_agency", (Move.ADD_AGENCY,)),
    "lead_agency": ("lead_agency", (Move.SET_LEAD_AGENCY,)),
    "representation": ("new_representation", (Move.ADD_REPRESENTATION,)),
    "panel": ("panel", (Move.APPOINT_PANEL_MEMBER, Move.REMOVE_PANEL_MEMBER, Move.EXPLAIN_PANEL)),
    "meeting_chair": ("meeting_chair", (Move.APPOINT_CHAIR,)),
    "decision": ("decision", (Move.RECORD_DECISION,)),
    "close": ("close", (Move.CLOSE,)),
    "reopen": ("reopen", (Move.REOPEN,)),
    "practice_issue": ("reporting:practice_issue_new", (Move.RECORD_PRACTICE_ISSUE,)),
}


def links(escalation: Escalation, options: moves.Moves, *, good_practice: bool = False) -> Links:
    """The action links the stage machine's answer allows; nothing here decides a rule.
    ``good_practice`` is ``moves.good_practice_refusal``'s answer, asked by the caller."""
    found = {
        name: reverse(
            url_name if ":" in url_name else f"escalations:{url_name}",
            kwargs={"pk": escalation.pk},
        )
        for name, (url_name, needed) in _LINK_MOVES.items()
        if any(options.allows(move) for move in needed)
    }
    if good_practice:
        found["good_practice"] = reverse(
            "reporting:good_practice_new", kwargs={"pk": escalation.pk}
        )
    return Links(**found)


@dataclass(frozen=True)
class DocumentLink:
    """A document of the escalation: its name and, after it, its format."""

    text: str
    format: str
    url: str
    hint: str = ""


def documents(escalation: Escalation, page_links: Links) -> list[DocumentLink]:
    """The record's downloads and print view, for anyone who may see the page, and the
    practice-issue form (the Escalation Notification Form) only where ``links`` offers it."""
    found = [
        DocumentLink(
            text="Escalation Procedure Form",
            format="PDF",
            url=reverse("documents:record_pdf", kwargs={"pk": escalation.pk}),
        ),
        DocumentLink(
            text="Escalation Procedure Form",
            format="Word, DOCX",
            url=reverse("documents:record_docx", kwargs={"pk": escalation.pk}),
        ),
        DocumentLink(
            text="Case-file summary",
            format="text, TXT",
            url=reverse("documents:summary_text", kwargs={"pk": escalation.pk}),
            hint="Each stage's outcome, to paste into your agency's own case record.",
        ),
        DocumentLink(
            text="Print view of the record",
            format="web page",
            url=reverse("documents:record_print", kwargs={"pk": escalation.pk}),
        ),
    ]
    if page_links.practice_issue:
        found.append(
            DocumentLink(
                text="Report policy or practice issues to the partnership",
                format="Escalation Notification Form, online form",
                url=page_links.practice_issue,
            )
        )
    return found


@dataclass(frozen=True)
class NotificationFormView:
    """The Escalation Notification Form the current stage still waits for (decision 13)."""

    heading: str
    text: str
    url: str = ""
    """The form, where this person may send it; empty for everyone else."""
    button: str = ""


_FORM_BUTTONS = {
    StageAction.SEND_NOTIFICATION_FORM: "Send the Escalation Notification Form",
    StageAction.UPDATE_NOTIFICATION_FORM: "Update the Escalation Notification Form",
}


def notification_form(
    escalation: Escalation, case: moves.Case, rules: PolicyRules, options: moves.Moves
) -> NotificationFormView | None:
    """The banner asking for the form while the stage machine holds the case for it."""
    action = moves.notification_form_due(case, rules)
    if action is None:
        return None
    stage = case.stage_number
    held_moves = moves.moves_held_for_notification_form(case, rules)
    held = "escalated further or closed" if Move.ESCALATE in held_moves else "closed"
    text = (
        f"The procedure asks the lead agency to {moves.NOTIFICATION_FORM_WORDS[action]} at "
        f"stage {stage}. Until it does, this escalation cannot be {held}."
    )
    if not options.allows(Move.RECORD_PRACTICE_ISSUE):
        return NotificationFormView(heading=f"Notification form due at stage {stage}", text=text)
    return NotificationFormView(
        heading=f"Notification form due at stage {stage}",
        text=text,
        url=reverse("reporting:practice_issue_new", kwargs={"pk": escalation.pk}),
        button=_FORM_BUTTONS[action],
    )


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
    waiting: WaitingView
    is_open: bool = True
    sees_read_trail: bool = False
    """Everyone involved or overseeing sees who has read the case; read-only viewers do not."""
    proposal: ProposalView | None = None
    earlier_actions: list[AgreedActionView] = field(default_factory=list)
    """Agreed actions of an earlier round, superseded when the escalation reopened."""
    policy: str = ""
    notes: list[str] = field(default_factory=list)
    notification_form: NotificationFormView | None = None
    documents: list[DocumentLink] = field(default_factory=list)
    decision_corrections: CorrectionsView | None = None


def escalation_page(record: EscalationRecord, *, person: Person, today: date) -> EscalationPage:
    escalation = record.escalation
    rules = escalation.policy.rules
    calendar = calendar_for(rules)
    case = authority.case_of(escalation, record.rows)
    actor = authority.actor_of(person, escalation.partnership_id)
    options = moves.moves_for(case, actor, rules)
    status = Escalation.Status(escalation.status)
    agency_names = {party.agency_id: party.agency.name for party in record.parties}
    current_ids = {action.pk for action in record.current_actions}
    page_links = links(
        escalation, options, good_practice=not moves.good_practice_refusal(case, actor)
    )
    return EscalationPage(
        reference=escalation.reference,
        url=escalation.get_absolute_url(),
        revision=escalation.revision,
        status=_STATUS_TAGS[status],
        deadline=deadline(escalation, today=today, calendar=calendar, ended_on=_ended_on(record)),
        raised=f"{long_date(escalation.raised_on)} by {person_status(escalation.raised_by)}",
        immediate_risk=_immediate_risk_text(escalation),
        subject=_subject_rows(escalation.subject),
        parties=_party_rows(record, case, rules),
        disagreement=_disagreement_rows(escalation, rules),
        stage=_stage_now(record, case, rules, calendar),
        stage_record=_stage_record(record, rules),
        contacts=_contacts(record, person),
        agreed_actions=_agreed_actions(
            record, [a for a in record.agreed_actions if a.pk in current_ids], options
        ),
        earlier_actions=_agreed_actions(
            record, [a for a in record.agreed_actions if a.pk not in current_ids], None
        ),
        checklist_title=f"Checklist for stage {escalation.stage_number}",
        checklist=_checklist(record, case, rules, options, actor),
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
        panel=[_appointee(appointment) for appointment in record.appointments],
        final_decision=_final_decision_rows(record),
        decision_corrections=_decision_corrections(record, person),
        history=[
            HistoryRow(
                label=event.label,
                who=event.actor.name if event.actor else "Escalate",
                when=moment(event.occurred_at),
                stage=f"Stage {event.stage_number}" if event.stage_number else "",
            )
            for event in reversed(record.history)
        ],
        links=page_links,
        documents=documents(escalation, page_links),
        notification_form=notification_form(escalation, case, rules, options),
        waiting=waiting(
            escalation, case=case, options=options, rules=rules, agency_names=agency_names
        ),
        is_open=status == Escalation.Status.OPEN,
        sees_read_trail=moves.may_see_read_trail(case, actor),
        proposal=_proposal(record, case, rules, agency_names),
        policy=f"{rules.title} ({escalation.partnership.name}, "
        f"version {escalation.policy.version})",
    )


def _ended_on(record: EscalationRecord) -> date | None:
    ended = [entry.ended_on for entry in record.stage_entries if entry.ended_on]
    return max(ended) if ended else None


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


_SIDE_WORDS = {
    moves.Side.RAISING: "Raising side: raised the disagreement",
    moves.Side.CHALLENGED: "Challenged side: its decision, action or inaction is challenged",
}


def _party_rows(record: EscalationRecord, case: moves.Case, rules: PolicyRules) -> list[Row]:
    """Every agency in the disagreement with its side (and the lead agency where the
    procedure has one), then the others involved and the final stage's appointees."""
    escalation = record.escalation
    rows = [Row("Raised by", person_status(escalation.raised_by))]
    for party in record.parties:
        lines = [_SIDE_WORDS[moves.Side(party.side)]]
        if rules.has_lead_agency and party.agency_id == case.lead_agency_id:
            lines.append("Lead agency: completes the Escalation Notification Form")
        if party.practitioner is not None:
            lines.append(f"Practitioner: {person_status(party.practitioner)}")
        rows.append(Row(party.agency.name, "\n".join(lines)))
    named = {escalation.raised_by_id, escalation.counterpart_id}
    named |= {party.practitioner_id for party in record.parties}
    appointed = {appointment.person_id for appointment in record.appointments}
    others = [person_status(p) for p in record.participants if p.pk not in named | appointed]
    if others:
        rows.append(Row("Also involved", "\n".join(others)))
    if record.appointments:
        rows.append(
            Row(
                "Appointed to the final stage",
                "\n".join(_appointee(appointment) for appointment in record.appointments),
            )
        )
    return rows


def _appointee(appointment: Appointment) -> str:
    return f"{person_status(appointment.person)}: {appointment.get_role_display()}"


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


def _stage_now(
    record: EscalationRecord, case: moves.Case, rules: PolicyRules, calendar: WorkingCalendar
) -> StageNow:
    escalation = record.escalation
    stage = rules.stage(escalation.stage_number)
    entries = [e for e in record.stage_entries if e.number == stage.number]
    entered_on = entries[-1].entered_on if entries else escalation.raised_on
    is_first = bool(record.stage_entries) and record.stage_entries[0].number == stage.number
    same_day = (
        escalation.immediate_risk
        and rules.immediate_risk.first_action_same_day
        and is_first
        and len(entries) == 1
        and escalation.stage_due_on == entered_on
    )
    status = Escalation.Status(escalation.status)
    is_open = status == Escalation.Status.OPEN
    partnership_acts = ""
    if stage.ladder_role is None and stage.final is not None:
        chairs = record.chairs
        kinds = _join([FINAL_STAGE_LABELS[kind] for kind in stage.final.decided_by], "or")
        names = _join([person.name for person in chairs])
        partnership_acts = f"{kinds}." + (f" The chair: {names}." if names else "")
    due = ""
    if is_open:
        due = long_date(escalation.stage_due_on) if escalation.stage_due_on else AS_SOON_AS_POSSIBLE
    return StageNow(
        number=stage.number,
        name=stage.name,
        summary=stage.summary,
        due=due,
        explanation=explain_due(
            stage,
            raised_on=escalation.raised_on,
            entered_on=entered_on,
            due=escalation.stage_due_on,
            same_day=same_day,
            calendar=calendar,
        )
        if is_open
        else "",
        acting=_acting(record, case, rules, stage) if is_open else [],
        partnership_acts=partnership_acts if is_open else "",
        next_step=_NEXT_STEPS[status],
    )


_NEXT_STEPS = {
    Escalation.Status.OPEN: "",
    Escalation.Status.RESOLVED: "Confirm and check back the agreed actions, complete the "
    "checklist, then close the escalation.",
    Escalation.Status.WITHDRAWN: "The escalation was withdrawn. Nothing more is due.",
    Escalation.Status.CLOSED: "The escalation is closed. Nothing more is due.",
}


def _acting(
    record: EscalationRecord, case: moves.Case, rules: PolicyRules, stage: StageRule
) -> list[ActorView]:
    """The agencies the stage waits on now (``moves.waiting_agencies``), with the job titles
    of the stage's rung in each and the people named on it."""
    if stage.ladder_role is None:
        return []
    parties = {party.agency_id: party for party in record.parties}
    views = []
    for agency_id in moves.waiting_agencies(case, rules):
        party = parties.get(agency_id)
        if party is None:
            continue
        try:
            titles = stage.titles_for(AgencyKind(party.agency.kind))
        except ValueError:
            titles = ()
        views.append(
            ActorView(
                agency=party.agency.name,
                titles=_join(list(titles), "or") or "Not named in the procedure",
                people=[person_status(p) for p in record.acting.get(agency_id, [])],
            )
        )
    return views


def _stage_record(record: EscalationRecord, rules: PolicyRules) -> list[StageRecordRow]:
    """Each stage entered, in order; stages the escalation started above are shown as
    bypassed, with the reason: the route it came in by, or immediate risk. (The page shows
    no due dates once the escalation is no longer open.)"""
    rows = _bypassed(record, rules)
    for entry in record.stage_entries:
        stage = rules.stage(entry.number)
        due = long_date(entry.due_on) if entry.due_on else AS_SOON_AS_POSSIBLE
        rows.append(
            StageRecordRow(
                title=f"Stage {entry.number}: {stage.name}",
                entered=long_date(entry.entered_on),
                due=due,
                outcome=entry.get_outcome_display() if entry.outcome else "In progress",
                reason=entry.outcome_reason,
                ended=long_date(entry.ended_on) if entry.ended_on else "",
            )
        )
    return rows


def _bypassed(record: EscalationRecord, rules: PolicyRules) -> list[StageRecordRow]:
    escalation = record.escalation
    if not record.stage_entries:
        return []
    started_at = record.stage_entries[0].number
    skipped = [stage for stage in rules.stages if stage.number < started_at]
    if not skipped:
        return []
    reason = _bypass_reason(escalation, rules, started_at)
    return [
        StageRecordRow(
            title=f"Stage {stage.number}: {stage.name}",
            entered="",
            due="",
            outcome="Bypassed",
            reason=reason,
            ended="",
        )
        for stage in skipped
    ]


def _bypass_reason(escalation: Escalation, rules: PolicyRules, started_at: int) -> str:
    if escalation.entry_route:
        try:
            route = rules.entry_route(escalation.entry_route)
        except KeyError:
            return f"It came in by the route '{escalation.entry_route}', at stage {started_at}."
        return f"It came in by the route '{route.name}', at stage {started_at}: {route.description}"
    if escalation.immediate_risk:
        return (
            f"It started at stage {started_at} because a child or adult was at immediate risk "
            "of significant harm."
        )
    return f"It started at stage {started_at}."


def _contacts(record: EscalationRecord, person: Person) -> list[ContactView]:
    views = []
    for contact in record.contacts:
        now = contact.current
        corrections = corrections_of(contact)
        views.append(
            ContactView(
                title=f"{now.kind_label} on {long_date(now.happened_on)}, "
                f"stage {contact.stage_number}",
                rows=[
                    *_contact_answers(now),
                    Row(
                        "Recorded by",
                        f"{contact.recorded_by.name} on {moment(contact.recorded_at)}",
                    ),
                ],
                corrections=_corrections_view(
                    "contact",
                    record.escalation,
                    person,
                    author=contact.recorded_by,
                    url=reverse(
                        "escalations:correct_contact", args=[record.escalation.pk, contact.pk]
                    ),
                    corrections=corrections,
                    versions=[
                        _contact_answers(contact.as_recorded),
                        *(
                            _contact_answers(ContactVersion.from_json(c.version))
                            for c in corrections
                            if c.version
                        ),
                    ],
                ),
            )
        )
    return views


def _contact_answers(version: ContactVersion) -> list[Row]:
    return [
        Row("Type and date", f"{version.kind_label}, {long_date(version.happened_on)}"),
        Row("Contact between", version.between),
        Row("Summary of the discussion", version.summary),
        Row("Outcome and next steps", version.outcome),
        Row("Decision-makers", version.decision_makers or "None recorded"),
    ]


def _corrections_view(
    what: str,
    escalation: Escalation,
    person: Person,
    *,
    author: Person,
    url: str,
    corrections: list[Correction],
    versions: list[list[Row]],
) -> CorrectionsView:
    """Who corrected the entry and why, and each earlier version: ``versions`` is the entry
    as first recorded, then as each correction left it (the last is how it reads now)."""
    may_correct = not authority.correction_refusal_for(person, escalation, author)
    titles = ["As first recorded"] + [
        f"As corrected on {moment(c.corrected_at)}" for c in corrections[:-1]
    ]
    return CorrectionsView(
        what=what,
        correct_url=url if may_correct else "",
        notes=[
            f"Corrected on {moment(c.corrected_at)} by {c.corrected_by.name}: {c.reason}"
            for c in corrections
        ],
        earlier=[
            VersionView(title, rows) for title, rows in zip(titles, versions[:-1], strict=False)
        ],
    )


def _proposal(
    record: EscalationRecord,
    case: moves.Case,
    rules: PolicyRules,
    agency_names: dict[int, str],
) -> ProposalView | None:
    proposal = record.proposal
    if proposal is None or record.escalation.status != Escalation.Status.OPEN:
        return None
    waiting_for = [
        agency_names.get(pk, "an agency")
        for pk in moves.waiting_agencies(case, rules)
        if case.proposal is not None and pk not in case.proposal.agreed_by
    ]
    by = f"{proposal.proposed_by.name} ({proposal.agency.name})"
    summary = f"Resolution proposed by {by}"
    summary += f", waiting for confirmation from {_join(waiting_for)}." if waiting_for else "."
    return ProposalView(
        summary=summary,
        outcome=proposal.agreed_outcome,
        actions=[proposed_action_rows(item, record.proposed_owners) for item in proposal.actions],
        confirmed=[
            f"{confirmation.agency.name}: confirmed by {confirmation.confirmed_by.name} on "
            f"{moment(confirmation.confirmed_at)}"
            for confirmation in record.confirmations
        ],
    )


def proposed_action_rows(item: dict[str, Any], owners: dict[int, Person]) -> list[Row]:
    """One agreed action of a proposal, as stored on it (description, owner id, due date)."""
    due = item.get("due_on")
    return [
        Row("Agreed action", str(item.get("description", ""))),
        Row("Who will do it", person_status(owners.get(int(item.get("owner", 0))))),
        Row("Due date", long_date(date.fromisoformat(due)) if due else "Not given"),
    ]


_CHECK_BACK_TAGS = {
    AgreedAction.Implementation.PENDING: TagView("Not checked yet", "govuk-tag--grey"),
    AgreedAction.Implementation.IMPLEMENTED: TagView("Done", "govuk-tag--green"),
    AgreedAction.Implementation.NOT_IMPLEMENTED: TagView("Not done", "govuk-tag--red"),
}


def _agreed_actions(
    record: EscalationRecord, actions: list[AgreedAction], options: moves.Moves | None
) -> list[AgreedActionView]:
    """The agreed actions, with links to confirm or check back each where the stage machine
    allows it (``options``; None for superseded actions, which take no more answers)."""
    escalation = record.escalation
    may_confirm = options is not None and options.allows(Move.CONFIRM_UNDERSTANDING)
    may_check = options is not None and options.allows(Move.CHECK_BACK)
    views = []
    for action in actions:
        confirmed = action.understanding_confirmed_at is not None
        pending = action.implementation == AgreedAction.Implementation.PENDING
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
                if may_confirm and not confirmed
                else "",
                check_back_url=reverse("escalations:check_back_action", kwargs=kwargs)
                if may_check and confirmed and pending
                else "",
            )
        )
    return views


_KNOWN_WORDS = {
    ChecklistItem.RECORD_OUTCOME: "Escalate recorded the agreed outcome.",
    ChecklistItem.CONFIRM_IN_WRITING: "Escalate sent the agreed outcome in writing to every party.",
    ChecklistItem.FEEDBACK_TO_ALL_PARTIES: "Escalate told every party the outcome, the raiser "
    "included.",
    ChecklistItem.CHECK_BACK_UNDERSTANDING: "Every agreed action's shared understanding is "
    "confirmed.",
    ChecklistItem.CHECK_BACK_IMPLEMENTED: "Every agreed action has been checked back.",
}
_KNOWN_PENDING = {
    ChecklistItem.CHECK_BACK_UNDERSTANDING: "Escalate records this once the shared understanding "
    "of every agreed action is confirmed.",
    ChecklistItem.CHECK_BACK_IMPLEMENTED: "Escalate records this once every agreed action has "
    "been checked back.",
}
ESCALATE_RECORDED = TagView("Escalate recorded this", "govuk-tag--green")


def _checklist(
    record: EscalationRecord,
    case: moves.Case,
    rules: PolicyRules,
    options: moves.Moves,
    actor: moves.Actor,
) -> list[ChecklistRow]:
    """The stage's checklist once it is resolved: items the record answers are ticked by
    Escalate; items each agency answers for itself have one row per agency, each open only
    to that agency (``moves.answerable_items``)."""
    escalation = record.escalation
    if escalation.status not in {Escalation.Status.RESOLVED, Escalation.Status.CLOSED}:
        return []
    ticks = {
        (tick.item, tick.agency_id): tick
        for tick in record.checklist_ticks
        if tick.stage_number == escalation.stage_number
    }
    known = moves.known_answers(case, rules)
    slots = moves.checklist_slots(case, rules)
    answerable: frozenset[moves.ChecklistSlot] = frozenset()
    if options.allows(Move.ANSWER_CHECKLIST):
        answerable = frozenset(moves.answerable_items(case, actor, rules))
    names = {party.agency_id: party.agency.name for party in record.parties}
    rows = []
    for item in rules.stage(escalation.stage_number).checklist:
        if item in SYSTEM_KNOWN_ITEMS:
            done = item in known
            rows.append(
                ChecklistRow(
                    CHECKLIST_LABELS[item],
                    ESCALATE_RECORDED if done else TagView("Not yet", "govuk-tag--grey"),
                    _KNOWN_WORDS[item] if done else _KNOWN_PENDING.get(item, ""),
                    "",
                )
            )
            continue
        for slot in (s for s in slots if s.item is item):
            label = CHECKLIST_LABELS[item]
            if slot.agency_id is not None:
                label = f"{label}: {names.get(slot.agency_id, 'an agency')}"
            tick = ticks.get((item.value, slot.agency_id))
            url = reverse(
                "escalations:checklist_item", kwargs={"pk": escalation.pk, "item": item.value}
            )
            rows.append(ChecklistRow(label, *_tick_state(tick), url if slot in answerable else ""))
    return rows


def _tick_state(tick: ChecklistTick | None) -> tuple[TagView, str]:
    if tick is None:
        return TagView("To do", "govuk-tag--grey"), ""
    if tick.is_done:
        detail = f"Review date {long_date(tick.review_on)}. " if tick.review_on else ""
        return TagView("Done", "govuk-tag--green"), f"{detail}Recorded by {tick.ticked_by.name}."
    return (
        TagView("Not done", "govuk-tag--yellow"),
        f"{tick.not_done_reason} Recorded by {tick.ticked_by.name}.",
    )


def _decision_corrections(record: EscalationRecord, person: Person) -> CorrectionsView | None:
    decision = record.final_decision
    if decision is None:
        return None
    corrections = corrections_of(decision)
    texts = [decision.decision, *(str(c.version["decision"]) for c in corrections if c.version)]
    return _corrections_view(
        "decision",
        record.escalation,
        person,
        author=decision.decided_by,
        url=reverse("escalations:correct_decision", args=[record.escalation.pk, decision.pk]),
        corrections=corrections,
        versions=[[Row("Decision", text)] for text in texts],
    )


def _final_decision_rows(record: EscalationRecord) -> list[Row]:
    decision = record.final_decision
    if decision is None:
        return []
    try:
        how = FINAL_STAGE_LABELS[FinalStageKind(decision.decided_by_kind)]
    except ValueError:
        how = decision.decided_by_kind
    rows = [
        Row("Decision", decision.current_decision),
        Row("How it was reached", how),
        Row("Recorded", f"{long_date(decision.decided_on)} by {decision.decided_by.name}"),
    ]
    if decision.chaired_by_agency:
        rows.append(Row("Chaired by a board member from", decision.chaired_by_agency.name))
    return rows


# --- Who has seen this case --------------------------------------------------------------

SEEN_BY_ON_PAGE = 10
"""The newest reads a case's page shows; the rest are on the read trail's own pages."""
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
    trail_url: str
    """The whole read trail, page by page (``escalations:read_trail``)."""
    is_cut_short: bool
    """True when there are more reads than the case's page shows; the newest are shown."""


def seen_by(escalation: Escalation, *, entitled: bool) -> SeenBy | None:
    """Who has seen this escalation most recently, for its page; None for anyone not
    entitled to know (``moves.may_see_read_trail``), whose page never reads the trail.
    Addresses are recorded but never shown."""
    if not entitled:
        return None
    page = selectors.read_trail_page(escalation, size=SEEN_BY_ON_PAGE)
    return SeenBy(
        rows=read_trail_rows(page.items),
        trail_url=reverse("escalations:read_trail", kwargs={"pk": escalation.pk}),
        is_cut_short=bool(page.next_cursor),
    )


def read_trail_rows(reads: Iterable[Any]) -> list[SeenByRow]:
    """The rows of ``selectors.read_trail_page``, as the read trail's table shows them."""
    return [
        SeenByRow(
            who=read.reader_name,
            agency=read.reader_agency or "The partnership",
            when=moment(read.occurred_at),
            what=_read_what(read.what, read.detail),
        )
        for read in reads
    ]


def _read_what(what: str, detail: str) -> str:
    label = _READ_WHAT.get(what) or str(ReadEvent.What(what).label)
    if what == ReadEvent.What.DOCUMENT and detail:
        return f"{label} ({detail})"
    return label


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


def checklist_labels(
    slots: Iterable[moves.ChecklistSlot], agency_names: dict[int, str]
) -> list[str]:
    """'Logged under each agency's own procedure: Invented Police', one per slot left."""
    return [
        f"{CHECKLIST_LABELS[slot.item]}: {agency_names.get(slot.agency_id, 'an agency')}"
        if slot.agency_id is not None
        else CHECKLIST_LABELS[slot.item]
        for slot in slots
    ]


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


def as_it_is_now(escalation: Escalation, *, today: date) -> list[Row]:
    """The escalation's state after someone else changed it: shown before asking the person
    to confirm that they still want to do what they were doing."""
    rules = escalation.policy.rules
    stage = rules.stage(escalation.stage_number)
    shown = deadline(escalation, today=today, calendar=calendar_for(rules))
    rows = [
        Row("Stage", f"Stage {stage.number}: {stage.name}"),
        Row("Status", _STATUS_TAGS[Escalation.Status(escalation.status)].text),
    ]
    if shown.due:
        rows.append(Row("Stage due", shown.due))
    return rows


def confirmation_of(
    proposal: ResolutionProposal | None, owners: dict[int, Person]
) -> ProposalView | None:
    """The proposal a confirming agency reads before agreeing to it."""
    if proposal is None:
        return None
    return ProposalView(
        summary=f"Proposed by {proposal.proposed_by.name} ({proposal.agency.name}) on "
        f"{moment(proposal.proposed_at)}.",
        outcome=proposal.agreed_outcome,
        actions=[proposed_action_rows(item, owners) for item in proposal.actions],
        confirmed=[
            f"{confirmation.agency.name}: confirmed by {confirmation.confirmed_by.name}"
            for confirmation in proposal.confirmations.all()
        ],
    )


def resolution_intro(escalation: Escalation) -> str:
    """What recording a resolution does at this stage (docs/domain.md decisions 8 and 13)."""
    stage = escalation.policy.rules.stage(escalation.stage_number)
    if stage.authority.agreement is Agreement.RECORDING_SIDE:
        return "Recording the outcome ends this stage: it involves your own agency only."
    return (
        "The other agencies in the disagreement confirm the resolution before the stage ends; "
        "until they do, it stays open and its due date still applies."
    )


def agency_name(escalation: Escalation, agency_id: int | None) -> str:
    """The name of a party agency of ``escalation``, or "" for none."""
    if agency_id is None:
        return ""
    party = escalation.parties.select_related("agency").filter(agency_id=agency_id).first()
    return party.agency.name if party else ""


def not_done_actions(actions: Iterable[AgreedAction]) -> list[list[Row]]:
    """The agreed actions checked back as not done: why the escalation may reopen."""
    return [
        [*agreed_action_summary(action), Row("Why not", action.check_note or "Not given")]
        for action in actions
    ]


def decision_kinds(escalation: Escalation, person: Person) -> list[FinalStageKind]:
    """The ways of deciding the final stage that the stage machine lets ``person`` record."""
    rules = escalation.policy.rules
    final = rules.final_stage.final
    if final is None:
        return []
    case = authority.case_of(escalation)
    actor = authority.actor_of(person, escalation.partnership_id)
    return [
        kind for kind in final.decided_by if not moves.decision_refusal(case, actor, rules, kind)
    ]


def subject_kind_label(kind: SubjectKind) -> str:
    return "A child" if kind is SubjectKind.CHILD else "An adult with care and support needs"


@dataclass(frozen=True)
class PanelView:
    members: list[str]
    missing: str
    """Why the panel cannot decide yet (``check_panel``); empty when it can."""
    reason: str
    """Why the agencies in the disagreement are not all on it, where recorded."""


def panel_view(appointments: Iterable[Appointment], check: PanelCheck, *, reason: str) -> PanelView:
    return PanelView(
        members=[
            person_status(a.person) for a in appointments if a.role == Appointment.Role.PANEL_MEMBER
        ],
        missing=check.missing,
        reason=reason,
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
