"""The escalation's record as the NEL form (PDF, DOCX) and a plain-text outcome summary."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from escalate.escalations import services
from escalate.escalations.documents import (
    CONTACT_HEADINGS,
    EscalationRecord,
    build_record,
    no_fetching,
    record_html,
    render_docx,
    render_pdf,
    render_summary_text,
)
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    keep_case_facts,
    raise_for,
)
from escalate.organisations.models import Person

DOCUMENT_URLS = ["documents:record_pdf", "documents:record_docx", "documents:summary_text"]
CHILD_NAME = "Alex Invented"
PREPARED_ON = date(2027, 1, 11)


@dataclass
class Case:
    escalation: Escalation
    raiser: Person
    manager: Person
    counterpart: Person


@pytest.fixture
def case(db: None) -> Case:
    school = AgencyFactory(name="Northfield Primary (invented)", kind="education")
    social_care = AgencyFactory(name="Children's Services (invented)", kind="childrens_social_care")
    manager = PersonFactory(
        name="Priya Example", agency=school, ladder_role="safeguarding_lead", job_title="DSL"
    )
    raiser = PersonFactory(
        name="Sam Teacher", agency=school, job_title="Class teacher", line_manager=manager
    )
    counterpart = PersonFactory(
        name="Jo Social", agency=social_care, ladder_role="line_manager", job_title="Team manager"
    )
    escalation = raise_for(raised_by=raiser, other_agency=social_care, counterpart=counterpart)
    services.record_contact(
        escalation=escalation,
        actor=raiser,
        kind="telephone",
        between="Sam Teacher (class teacher) and Jo Social (team manager)",
        summary="Discussed the threshold decision and the three missed appointments.",
        outcome="No agreement; both to speak to their managers.",
        decision_makers="",
        happened_on=date(2026, 12, 21),
        today=date(2026, 12, 21),
    )
    services.escalate_stage(
        escalation=escalation,
        actor=raiser,
        reason="No agreement at stage 1.",
        today=date(2026, 12, 21),
    )
    services.record_contact(
        escalation=escalation,
        actor=manager,
        kind="meeting",
        between="Priya Example (DSL) and Jo Social (team manager)",
        summary="Reviewed the referral together with the new school attendance figures.",
        outcome="Referral accepted for a child and family assessment.",
        decision_makers="Jo Social (team manager)",
        happened_on=date(2027, 1, 4),
        today=date(2027, 1, 4),
    )
    services.resolve_escalation(
        escalation=escalation,
        actor=manager,
        agreed_outcome="Referral accepted for assessment.",
        actions=[
            services.AgreedActionDetails(
                description="Start a child and family assessment.",
                owner=counterpart,
                due_on=date(2027, 1, 8),
            ),
            services.AgreedActionDetails(
                description="Share attendance figures weekly with the social worker.",
                owner=manager,
                due_on=date(2027, 1, 15),
            ),
        ],
        today=date(2027, 1, 4),
    )
    # The other agency's acting rung agrees it (docs/domain.md decision 8).
    services.confirm_resolution(escalation=escalation, actor=counterpart, today=date(2027, 1, 4))
    escalation.refresh_from_db()
    return Case(escalation=escalation, raiser=raiser, manager=manager, counterpart=counterpart)


@pytest.fixture
def record(case: Case) -> EscalationRecord:
    return build_record(case.escalation, prepared_on=PREPARED_ON)


def test_record_follows_the_form_headings(case: Case, record: EscalationRecord) -> None:
    assert record.reference == case.escalation.reference
    assert record.case == CHILD_NAME
    assert record.case_identifiers == (("Case reference or PID", "CASE-0001"),)
    assert record.agency == "Northfield Primary (invented)"
    assert record.practitioner == "Sam Teacher (Class teacher, Northfield Primary (invented))"
    assert record.manager_or_senior.startswith("Priya Example (DSL")
    assert record.source_of_conflict == "Referral and thresholds"
    assert record.nature_of_conflict == "Referral judged below threshold."
    assert [(row.stage_number, row.kind) for row in record.contacts] == [
        (1, "Telephone"),
        (2, "Meeting"),
    ]
    assert [(stage.number, stage.outcome, stage.ended_on) for stage in record.stages] == [
        (1, "Escalated", date(2026, 12, 21)),
        (2, "Resolved", date(2027, 1, 4)),
    ]
    assert record.stages[1].decision_makers == ("Jo Social (team manager)",)


def test_manager_or_senior_falls_back_to_the_most_senior_colleague_involved(db: None) -> None:
    school = AgencyFactory()
    raiser = PersonFactory(agency=school)
    head = PersonFactory(name="Hana Head", agency=school, ladder_role="head_of_service")
    lead = PersonFactory(name="Lee Lead", agency=school, ladder_role="safeguarding_lead")
    escalation = raise_for(raised_by=raiser, other_agency=AgencyFactory())
    escalation.participants.add(lead, head)
    keep_case_facts(escalation)

    record = build_record(escalation, prepared_on=PREPARED_ON)

    assert record.manager_or_senior.startswith("Hana Head")


def test_pdf_is_a_pdf_laid_out_from_html_with_every_contact(record: EscalationRecord) -> None:
    pdf = render_pdf(record)
    html = record_html(record)

    assert pdf.startswith(b"%PDF")
    assert html.count('<tr class="contact">') == 2
    for row in record.contacts:
        assert row.summary in html
        assert row.outcome in html
        assert row.kind in html
    assert "21 December 2026" in html
    assert "4 January 2027" in html
    assert "Start a child and family assessment." in html


def test_pdf_html_names_no_external_resource(record: EscalationRecord) -> None:
    html = record_html(record)

    assert "http://" not in html
    assert "https://" not in html
    assert "<link" not in html
    assert "src=" not in html


def test_pdf_renderer_refuses_to_fetch_any_url() -> None:
    with pytest.raises(ValueError, match="fetch no resources"):
        no_fetching()("https://example.org/tracker.png")


def test_docx_contact_table_has_one_row_per_contact(record: EscalationRecord) -> None:
    document = Document(io.BytesIO(render_docx(record)))

    [table] = [
        table
        for table in document.tables
        if tuple(cell.text for cell in table.rows[0].cells) == CONTACT_HEADINGS
    ]
    rows = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    assert len(rows) == len(record.contacts) == 2
    assert rows[0][:2] == ["1", "Telephone"]
    assert rows[0][3] == "Discussed the threshold decision and the three missed appointments."
    assert rows[1][4].startswith("Referral accepted for a child and family assessment.")
    assert "Decision-makers: Jo Social (team manager)" in rows[1][4]
    assert rows[1][5] == "4 January 2027"
    assert document.core_properties.author == "Escalate"
    assert CHILD_NAME not in document.core_properties.title


def test_summary_lists_each_stage_and_its_agreed_actions(record: EscalationRecord) -> None:
    text = render_summary_text(record)

    assert "Stage 1: " in text
    assert "  Outcome: Escalated: No agreement at stage 1." in text
    assert "  Outcome: Resolved: Referral accepted for assessment." in text
    assert "  Completed: 4 January 2027" in text
    assert "  Decision-makers: Jo Social (team manager)" in text
    assert (
        "  - Start a child and family assessment. Owner: Jo Social "
        "(Team manager, Children's Services (invented)). Due: 8 January 2027." in text
    )
    assert "Share attendance figures weekly with the social worker." in text
    assert "Due: 15 January 2027" in text
    assert "Case: Case reference or PID CASE-0001" in text


def test_summary_leaves_out_the_subjects_name(record: EscalationRecord) -> None:
    assert CHILD_NAME not in render_summary_text(record)


@pytest.mark.parametrize(
    ("name", "content_type", "suffix"),
    [
        ("documents:record_pdf", "application/pdf", "-record.pdf"),
        ("documents:record_docx", "application/vnd.openxmlformats", "-record.docx"),
        ("documents:summary_text", "text/plain; charset=utf-8", "-outcome-summary.txt"),
    ],
)
def test_party_downloads_an_attachment_named_by_reference(
    client: Client, case: Case, name: str, content_type: str, suffix: str
) -> None:
    client.force_login(case.raiser.user)

    response = client.get(reverse(name, kwargs={"pk": case.escalation.pk}))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="{case.escalation.reference}{suffix}"'
    assert "Alex" not in disposition
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", DOCUMENT_URLS)
def test_unrelated_agency_gets_404(client: Client, case: Case, name: str) -> None:
    outsider = PersonFactory(agency=AgencyFactory(name="Unrelated Health Trust (invented)"))
    client.force_login(outsider.user)

    response = client.get(reverse(name, kwargs={"pk": case.escalation.pk}))

    assert response.status_code == 404


@pytest.mark.parametrize("name", DOCUMENT_URLS)
def test_signed_out_visitor_is_sent_to_sign_in(client: Client, case: Case, name: str) -> None:
    response = client.get(reverse(name, kwargs={"pk": case.escalation.pk}))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_documents_are_read_only(client: Client, case: Case) -> None:
    client.force_login(case.raiser.user)

    response = client.post(reverse("documents:summary_text", kwargs={"pk": case.escalation.pk}))

    assert response.status_code == 405


def test_lines_typed_in_a_browser_are_single_breaks_in_word(record: EscalationRecord) -> None:
    """A text box sends CRLF between lines; Word showed each as a blank line."""
    typed = replace(record.contacts[0], summary="First line.\r\nSecond line.\rThird.")
    document = Document(io.BytesIO(render_docx(replace(record, contacts=(typed,)))))

    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "First line.\nSecond line.\nThird." in cells
