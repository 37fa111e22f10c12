"""An escalation's record, built once as a document model and rendered three ways (and printed).

``build_record`` reads an escalation into an ``EscalationRecord``; ``render_pdf``,
``render_docx`` and ``render_summary_text`` only format it, and ``print_html`` lays the
PDF's own HTML out as a page to print. ``RECORD_PDF``, ``RECORD_DOCX`` and ``SUMMARY_TEXT``
name each download once (its address, media type and file name) for the browser's views
and the API's alike.

The layout follows the North East Lincolnshire "Escalation Procedure Form" and its nine
recording headings (source 002): case, the parties and their status, stage, type of
contact, the issue in dispute, a summary of each discussion, actions and next steps,
decision-makers, and the date each stage completed.

Callers fetch the escalation through ``escalations.access.get_for`` first: nothing
here checks who is asking.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from escalate.domain.attachments import describe_size
from escalate.domain.policy import FINAL_STAGE_LABELS, LADDER_ORDER, FinalStageKind, LadderRole
from escalate.escalations.models import (
    AgreedAction,
    Attachment,
    Contact,
    Correction,
    Escalation,
    FinalDecision,
    StageEntry,
)
from escalate.organisations.models import Person

PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
NOT_RECORDED = "Not recorded"


def long_date(day: date | None, *, empty: str = "") -> str:
    """'18 December 2026', the way the documents write every date."""
    return f"{day.day} {day:%B %Y}" if day else empty


@dataclass(frozen=True)
class ContactRow:
    """One row of the form's stage table: a recorded contact."""

    stage_number: int
    kind: str
    between: str
    summary: str
    outcome: str
    decision_makers: str
    happened_on: date
    correction: str = ""
    """That it was corrected, when, by whom and why; empty if it reads as first recorded."""


@dataclass(frozen=True)
class AttachmentLine:
    """An attached file as the record lists it: its name, kind, size and date, not its content."""

    name: str
    kind: str
    size: str
    attached_on: date


@dataclass(frozen=True)
class ActionLine:
    description: str
    owner: str
    due_on: date
    state: str


@dataclass(frozen=True)
class StageSummary:
    """What happened at one stage: its dates, how it ended, who decided, what was agreed."""

    number: int
    name: str
    entered_on: date
    due_on: date | None
    ended_on: date | None
    outcome: str
    outcome_detail: str
    decision_makers: tuple[str, ...]
    actions: tuple[ActionLine, ...]


@dataclass(frozen=True)
class EscalationRecord:
    """The document model: everything the three renderings show, already display-ready."""

    reference: str
    partnership: str
    procedure: str
    status: str
    subject_kind: str
    case: str
    case_identifiers: tuple[tuple[str, str], ...]
    agency: str
    practitioner: str
    manager_or_senior: str
    other_agency: str
    counterpart: str
    raised_on: date
    immediate_risk: bool
    source_of_conflict: str
    nature_of_conflict: str
    evidence: str
    outcome_sought: str
    contacts: tuple[ContactRow, ...]
    stages: tuple[StageSummary, ...]
    prepared_on: date
    attachments: tuple[AttachmentLine, ...] = ()

    @property
    def agreed_actions(self) -> list[tuple[int, ActionLine]]:
        """Every agreed action with the number of the stage that agreed it."""
        return [(stage.number, action) for stage in self.stages for action in stage.actions]

    @property
    def file_stem(self) -> str:
        """The start of every file name: the reference, never the subject's name."""
        return self.reference


def build_record(escalation: Escalation, *, prepared_on: date) -> EscalationRecord:
    """Read ``escalation`` (already access-checked) into the document model."""
    escalation = (
        Escalation.objects.select_related(
            "partnership",
            "policy",
            "subject",
            "raised_by__agency",
            "raised_by__line_manager__agency",
            "raising_agency",
            "other_agency",
            "counterpart__agency",
        )
        .prefetch_related("participants__agency")
        .get(pk=escalation.pk)
    )
    rules = escalation.policy.rules
    stage_names = {stage.number: stage.name for stage in rules.stages}
    categories = {category.key: category.label for category in rules.categories}
    subject = escalation.subject

    actions_by_stage: dict[int, list[ActionLine]] = defaultdict(list)
    for action in AgreedAction.objects.filter(escalation=escalation).select_related(
        "owner__agency"
    ):
        actions_by_stage[action.stage_number].append(
            ActionLine(
                description=action.description,
                owner=_party(action.owner),
                due_on=action.due_on,
                state=action.get_implementation_display(),
            )
        )

    contacts = list(
        Contact.objects.filter(escalation=escalation).select_related(
            "latest_correction__corrected_by"
        )
    )
    deciders_by_stage: dict[int, list[str]] = defaultdict(list)
    for contact in contacts:
        for name in _lines(contact.current.decision_makers):
            if name not in deciders_by_stage[contact.stage_number]:
                deciders_by_stage[contact.stage_number].append(name)
    decision = (
        FinalDecision.objects.filter(escalation=escalation)
        .select_related("decided_by__agency", "latest_correction__corrected_by")
        .order_by("-pk")
        .first()
    )
    if decision is not None:
        deciders_by_stage[escalation.final_stage_number].append(_decider(decision))

    stages = tuple(
        StageSummary(
            number=entry.number,
            name=stage_names.get(entry.number, f"Stage {entry.number}"),
            entered_on=entry.entered_on,
            due_on=entry.due_on,
            ended_on=entry.ended_on,
            outcome=entry.get_outcome_display() if entry.outcome else "Not concluded yet",
            outcome_detail=_outcome_detail(entry, decision, escalation.final_stage_number),
            decision_makers=tuple(deciders_by_stage.get(entry.number, ())),
            actions=tuple(actions_by_stage.get(entry.number, ())),
        )
        for entry in escalation.stage_entries.all()
    )

    source = categories.get(escalation.category, escalation.category)
    if escalation.entry_route:
        routes = {route.key: route.name for route in rules.entry_routes}
        source = f"{source}. Route in: {routes.get(escalation.entry_route, escalation.entry_route)}"

    identifiers = tuple(
        (label, value)
        for label, value in (
            ("Case reference or PID", subject.case_reference),
            ("NHS number", subject.nhs_number),
        )
        if value
    )
    return EscalationRecord(
        reference=escalation.reference,
        partnership=escalation.partnership.name,
        procedure=f"{rules.title} (version {escalation.policy.version})",
        status=f"{escalation.get_status_display()}, at stage {escalation.stage_number} "
        f"of {escalation.final_stage_number}",
        subject_kind=subject.get_kind_display(),
        case=subject.name,
        case_identifiers=identifiers,
        agency=escalation.raising_agency.name,
        practitioner=_party(escalation.raised_by),
        manager_or_senior=_manager_or_senior(escalation),
        other_agency=escalation.other_agency.name,
        counterpart=_party(escalation.counterpart) if escalation.counterpart else NOT_RECORDED,
        raised_on=escalation.raised_on,
        immediate_risk=escalation.immediate_risk,
        source_of_conflict=source,
        nature_of_conflict=escalation.decision_disputed,
        evidence=escalation.evidence,
        outcome_sought=escalation.desired_outcome,
        contacts=tuple(_contact_row(contact) for contact in contacts),
        stages=stages,
        prepared_on=prepared_on,
        attachments=tuple(
            AttachmentLine(
                name=attachment.name,
                kind=attachment.get_kind_display(),
                size=describe_size(attachment.size),
                attached_on=timezone.localdate(attachment.uploaded_at),
            )
            for attachment in Attachment.objects.filter(escalation=escalation).order_by(
                "uploaded_at", "pk"
            )
        ),
    )


def _contact_row(contact: Contact) -> ContactRow:
    """The contact as it now reads, and that it was corrected where it was."""
    now = contact.current
    return ContactRow(
        stage_number=contact.stage_number,
        kind=now.kind_label,
        between=now.between,
        summary=now.summary,
        outcome=now.outcome,
        decision_makers=now.decision_makers,
        happened_on=now.happened_on,
        correction=_correction_note(contact.latest_correction),
    )


def _outcome_detail(entry: StageEntry, decision: FinalDecision | None, final_stage: int) -> str:
    """Why the stage ended; a final stage ended by a decision since corrected gives the
    decision as it now reads, and that it was corrected (decision 0025)."""
    if decision is None or decision.latest_correction is None:
        return entry.outcome_reason
    if entry.number != final_stage or not entry.outcome:
        return entry.outcome_reason
    return f"{decision.current_decision}\n{_correction_note(decision.latest_correction)}"


def _correction_note(correction: Correction | None) -> str:
    if correction is None:
        return ""
    day = long_date(timezone.localdate(correction.corrected_at))
    return (
        f"Corrected on {day} by {correction.corrected_by.name}: {correction.reason} "
        "Escalate keeps the text as first recorded."
    )


def _party(person: Person) -> str:
    """'Name (job title, agency)', as the recording template lists people."""
    status = person.status
    return f"{person.name} ({status})" if status else person.name


def _decider(decision: FinalDecision) -> str:
    try:
        how = FINAL_STAGE_LABELS[FinalStageKind(decision.decided_by_kind)]
    except ValueError:
        how = decision.decided_by_kind
    return f"{_party(decision.decided_by)}: {how}"


def _manager_or_senior(escalation: Escalation) -> str:
    """The raiser's line manager; failing that, the most senior colleague who took part."""
    manager = escalation.raised_by.line_manager
    if manager is not None:
        return _party(manager)
    colleagues = [
        person
        for person in escalation.participants.all()
        if person.agency_id == escalation.raising_agency_id
        and person.pk != escalation.raised_by_id
        and person.ladder_role
        and person.ladder_role != LadderRole.PRACTITIONER.value
    ]
    if not colleagues:
        return NOT_RECORDED
    senior = max(colleagues, key=lambda person: LADDER_ORDER.index(LadderRole(person.ladder_role)))
    return _party(senior)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(";", "\n").splitlines() if line.strip()]


# PDF ---------------------------------------------------------------------------------


def record_html(record: EscalationRecord) -> str:
    """The HTML that WeasyPrint lays out; it names no external resource."""
    return render_to_string("escalations/documents/record.html", {"record": record})


def print_html(record: EscalationRecord, *, back_url: str) -> str:
    """The PDF's HTML as a page for a browser to print: the same body, its styles from a
    static file (the Content Security Policy allows no inline style)."""
    return render_to_string(
        "escalations/documents/print.html", {"record": record, "back_url": back_url}
    )


def render_pdf(record: EscalationRecord) -> bytes:
    from weasyprint import HTML  # imported here: loading it costs a second at start-up

    pdf: bytes = HTML(string=record_html(record), url_fetcher=no_fetching()).write_pdf()
    return pdf


def no_fetching() -> Any:
    """A URL fetcher that refuses everything, so a document never reaches the network."""
    from weasyprint.urls import URLFetcher

    class _Refuse(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> Any:
            raise ValueError(f"Documents fetch no resources (asked for {url[:80]!r}).")

    return _Refuse()


# DOCX --------------------------------------------------------------------------------

CONTACT_HEADINGS = (
    "Stage",
    "Type of contact",
    "Contact between",
    "Summary of discussion",
    "Outcome of discussion and further action agreed or next steps",
    "Date",
)
ATTACHMENT_HEADINGS = ("File", "Kind", "Size", "Attached on")
NO_ATTACHMENTS = "No files have been attached."
STAGE_HEADINGS = ("Stage", "Entered", "Due", "Completed", "Outcome", "Decision-makers")


def _for_word(text: str) -> str:
    """Line breaks as Word takes them: a browser sends CRLF from a text box, which
    python-docx writes as two breaks, so every answer typed on lines read double-spaced."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def render_docx(record: EscalationRecord) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    section.header.paragraphs[0].text = f"{PROTECTIVE_MARKING}  |  {record.reference}"
    document.styles["Normal"].font.size = Pt(10)
    properties = document.core_properties
    properties.title = f"Escalation Procedure Form {record.reference}"
    properties.author = "Escalate"
    properties.last_modified_by = "Escalate"
    properties.comments = ""

    document.add_heading("Escalation Procedure Form", level=0)
    document.add_paragraph(f"{record.partnership}. {record.procedure}.")

    details = document.add_table(rows=0, cols=2)
    details.style = "Table Grid"
    for label, value in _detail_rows(record):
        cells = details.add_row().cells
        cells[0].text = label
        cells[1].text = _for_word(value)
        cells[0].paragraphs[0].runs[0].bold = True

    document.add_heading("Case details and issue to be resolved", level=1)
    for label, value in _issue_rows(record):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(_for_word(value))

    document.add_heading("Contacts at each stage", level=1)
    contacts = document.add_table(rows=1, cols=len(CONTACT_HEADINGS))
    contacts.style = "Table Grid"
    _heading_row(contacts.rows[0].cells, CONTACT_HEADINGS)
    for row in record.contacts:
        outcome = row.outcome
        if row.decision_makers:
            outcome = f"{outcome}\nDecision-makers: {row.decision_makers}"
        if row.correction:
            outcome = f"{outcome}\n{row.correction}"
        values = (
            str(row.stage_number),
            row.kind,
            row.between,
            row.summary,
            outcome,
            long_date(row.happened_on),
        )
        for cell, value in zip(contacts.add_row().cells, values, strict=True):
            cell.text = _for_word(value)
    if not record.contacts:
        document.add_paragraph("No contacts have been recorded yet.")

    document.add_heading("Stages and dates of completion", level=1)
    stages = document.add_table(rows=1, cols=len(STAGE_HEADINGS))
    stages.style = "Table Grid"
    _heading_row(stages.rows[0].cells, STAGE_HEADINGS)
    for stage in record.stages:
        values = (
            f"{stage.number}. {stage.name}",
            long_date(stage.entered_on),
            long_date(stage.due_on, empty="As soon as possible"),
            long_date(stage.ended_on, empty="Not yet"),
            _outcome_text(stage),
            "\n".join(stage.decision_makers) or NOT_RECORDED,
        )
        for cell, value in zip(stages.add_row().cells, values, strict=True):
            cell.text = _for_word(value)

    if record.agreed_actions:
        document.add_heading("Agreed actions", level=1)
        for stage_number, action in record.agreed_actions:
            document.add_paragraph(
                f"Stage {stage_number}: {_for_word(action.description)} Owner: {action.owner}. "
                f"Due {long_date(action.due_on)}. {action.state}.",
                style="List Bullet",
            )

    document.add_heading("Attached files", level=1)
    if record.attachments:
        files = document.add_table(rows=1, cols=len(ATTACHMENT_HEADINGS))
        files.style = "Table Grid"
        _heading_row(files.rows[0].cells, ATTACHMENT_HEADINGS)
        for line in record.attachments:
            cells = (line.name, line.kind, line.size, long_date(line.attached_on))
            for cell, value in zip(files.add_row().cells, cells, strict=True):
                cell.text = value
    else:
        document.add_paragraph(NO_ATTACHMENTS)

    document.add_paragraph(f"Prepared by Escalate on {long_date(record.prepared_on)}.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _heading_row(cells: Any, headings: tuple[str, ...]) -> None:
    for cell, heading in zip(cells, headings, strict=True):
        cell.text = heading
        cell.paragraphs[0].runs[0].bold = True


def _detail_rows(record: EscalationRecord) -> list[tuple[str, str]]:
    identifiers = "; ".join(f"{label} {value}" for label, value in record.case_identifiers)
    case = f"{record.case} ({record.subject_kind.lower()})"
    return [
        ("Reference", record.reference),
        ("Case", f"{case}. {identifiers}" if identifiers else case),
        ("Agency", record.agency),
        ("Practitioner", record.practitioner),
        ("Manager or senior", record.manager_or_senior),
        ("Other agency", record.other_agency),
        ("Contact in the other agency", record.counterpart),
        ("Raised on", long_date(record.raised_on)),
        ("Status", record.status),
    ]


def _issue_rows(record: EscalationRecord) -> list[tuple[str, str]]:
    rows = [
        ("a) Source of the conflict", record.source_of_conflict),
        ("b) Details and nature of the conflict", record.nature_of_conflict),
    ]
    if record.evidence:
        rows.append(("Evidence", record.evidence))
    rows.append(("Outcome sought", record.outcome_sought))
    if record.immediate_risk:
        rows.append(("Immediate risk", "Raised as a risk of immediate harm."))
    return rows


def _outcome_text(stage: StageSummary) -> str:
    return f"{stage.outcome}: {stage.outcome_detail}" if stage.outcome_detail else stage.outcome


# Plain text --------------------------------------------------------------------------


def render_summary_text(record: EscalationRecord) -> str:
    """Each stage's outcome in plain text, for an agency to paste into its own case record.

    Names the case by its reference and identifiers only: the agency's record is the
    subject's own file, so the name adds nothing.
    """
    identifiers = "; ".join(f"{label} {value}" for label, value in record.case_identifiers)
    lines = [
        f"Escalation {record.reference}: outcome of each stage",
        f"Partnership: {record.partnership}",
        f"Procedure: {record.procedure}",
    ]
    if identifiers:
        lines.append(f"Case: {identifiers}")
    lines += [
        f"Raised on {long_date(record.raised_on)} by {record.practitioner}, "
        f"with {record.other_agency}",
        f"Disagreement: {record.source_of_conflict}",
        f"Status: {record.status}",
    ]
    for stage in record.stages:
        lines += [
            "",
            f"Stage {stage.number}: {stage.name}",
            f"  Entered: {long_date(stage.entered_on)}",
            f"  Due: {long_date(stage.due_on, empty='as soon as possible (no fixed timescale)')}",
            f"  Completed: {long_date(stage.ended_on, empty='not yet')}",
            f"  Outcome: {_outcome_text(stage)}",
            f"  Decision-makers: {'; '.join(stage.decision_makers) or NOT_RECORDED.lower()}",
        ]
        if stage.actions:
            lines.append("  Agreed actions:")
            lines += [
                f"  - {action.description} Owner: {action.owner}. "
                f"Due: {long_date(action.due_on)}. Check-back: {action.state.lower()}."
                for action in stage.actions
            ]
        else:
            lines.append("  Agreed actions: none")
    lines += ["", f"Prepared by Escalate on {long_date(record.prepared_on)}.", ""]
    return "\n".join(lines)


# The downloads -------------------------------------------------------------------------

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class DocumentFormat:
    """One download of the record: the last part of its address (also the read trail's
    detail), its media type, how its file name ends, and how it is rendered."""

    name: str
    content_type: str
    file_suffix: str
    render: Callable[[EscalationRecord], bytes]

    def filename(self, record: EscalationRecord) -> str:
        return f"{record.file_stem}{self.file_suffix}"


def _summary_bytes(record: EscalationRecord) -> bytes:
    return render_summary_text(record).encode("utf-8")


RECORD_PDF = DocumentFormat("record.pdf", PDF, "-record.pdf", render_pdf)
RECORD_DOCX = DocumentFormat("record.docx", DOCX, "-record.docx", render_docx)
SUMMARY_TEXT = DocumentFormat("summary.txt", TEXT, "-outcome-summary.txt", _summary_bytes)
