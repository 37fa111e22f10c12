"""The escalation's page lists its documents; each answers only those who may see the
escalation, and each download or print is one row in the read trail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from escalate.audit.models import ReadEvent
from escalate.domain.policy import LadderRole
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
)
from escalate.organisations.models import Person

# Each document the page links, its media type, and the read trail's detail.
DOCUMENTS = [
    ("documents:record_pdf", "application/pdf", "record.pdf"),
    (
        "documents:record_docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "record.docx",
    ),
    ("documents:summary_text", "text/plain; charset=utf-8", "summary.txt"),
    ("documents:record_print", "text/html; charset=utf-8", "print"),
]
LINK_TEXTS = [
    "Escalation Procedure Form (PDF)",
    "Escalation Procedure Form (Word, DOCX)",
    "Case-file summary (text, TXT)",
    "Print view of the record (web page)",
]
RAISED_ON = date(2026, 12, 18)
PRACTICE_ISSUE = "Report policy or practice issues to the partnership"


@dataclass
class Case:
    escalation: Escalation
    raiser: Person
    counterpart: Person
    outsider: Person


@pytest.fixture
def case(db: None) -> Case:
    school = AgencyFactory(name="Links Primary (invented)", kind="education")
    social_care = AgencyFactory(name="Links Children's Services (invented)")
    police = AgencyFactory(name="Links Police (invented)", kind="police")
    raiser = PersonFactory(name="Sam Teacher", agency=school)
    counterpart = PersonFactory(name="Jo Social", agency=social_care)
    escalation = raise_for(
        raised_by=raiser,
        other_agency=social_care,
        counterpart=counterpart,
    )
    return Case(
        escalation=escalation,
        raiser=raiser,
        counterpart=counterpart,
        outsider=PersonFactory(name="Pat Outsider", agency=police),
    )


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def documents_section(html: str) -> str:
    found = re.search(r'<h2 class="govuk-heading-l" id="documents">.*?</ul>', html, re.S)
    assert found, "The page has no Documents section."
    return found.group(0)


def test_the_page_links_every_document_for_someone_involved(case: Case) -> None:
    for person in (case.raiser, case.counterpart):
        response = signed_in(person).get(case.escalation.get_absolute_url())

        section = documents_section(response.content.decode())
        for (name, _, _), text in zip(DOCUMENTS, LINK_TEXTS, strict=True):
            url = reverse(name, kwargs={"pk": case.escalation.pk})
            assert f'href="{url}">{text}</a>' in section


def at_final_stage(case: Case) -> Escalation:
    """Escalated by the raising side's acting rung, stage by stage, to the final stage."""
    escalation = case.escalation
    while escalation.stage_number < escalation.final_stage_number:
        rung = escalation.policy.rules.acting_rung(escalation.stage_number)
        actor = (
            case.raiser
            if rung is LadderRole.PRACTITIONER
            else PersonFactory(agency=case.raiser.agency, ladder_role=rung.value)
        )
        escalation = services.escalate_stage(
            escalation=escalation, actor=actor, reason="Not agreed.", today=RAISED_ON
        )
    return escalation


def test_the_practice_issue_form_is_listed_only_where_the_procedure_offers_it(
    case: Case,
) -> None:
    business_manager = partnership_person(role="business_manager", name="Bea Manager")
    at_final_stage(case)
    form_url = reverse("reporting:practice_issue_new", kwargs={"pk": case.escalation.pk})

    raiser_page = signed_in(case.raiser).get(case.escalation.get_absolute_url())
    manager_page = signed_in(business_manager).get(case.escalation.get_absolute_url())

    assert PRACTICE_ISSUE not in raiser_page.content.decode()
    section = documents_section(manager_page.content.decode())
    assert f'href="{form_url}">{PRACTICE_ISSUE} (Escalation Notification Form' in section
    assert signed_in(business_manager).get(form_url).status_code == 200


@pytest.mark.parametrize(
    ("name", "content_type", "detail"), DOCUMENTS, ids=[d[2] for d in DOCUMENTS]
)
def test_each_document_answers_with_its_type_and_one_read(
    case: Case, name: str, content_type: str, detail: str
) -> None:
    client = signed_in(case.counterpart)

    response = client.get(reverse(name, kwargs={"pk": case.escalation.pk}))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert "no-store" in response["Cache-Control"]
    reads = ReadEvent.objects.filter(reader=case.counterpart, escalation=case.escalation)
    assert list(reads.values_list("what", "detail")) == [(ReadEvent.What.DOCUMENT, detail)]


@pytest.mark.parametrize(
    ("name", "content_type", "detail"), DOCUMENTS, ids=[d[2] for d in DOCUMENTS]
)
def test_someone_not_involved_gets_404_and_no_read(
    case: Case, name: str, content_type: str, detail: str
) -> None:
    response = signed_in(case.outsider).get(reverse(name, kwargs={"pk": case.escalation.pk}))

    assert response.status_code == 404
    assert not ReadEvent.objects.filter(reader=case.outsider).exists()


def test_the_print_view_is_the_pdfs_record_with_a_print_stylesheet_and_no_inline_style(
    case: Case,
) -> None:
    response = signed_in(case.raiser).get(
        reverse("documents:record_print", kwargs={"pk": case.escalation.pk})
    )

    html = response.content.decode()
    assert "<h1>Escalation Procedure Form</h1>" in html
    assert case.escalation.reference in html
    assert "/static/escalate/record-print.css" in html
    assert "<style" not in html and " style=" not in html
    assert "Content-Disposition" not in response
    assert f'href="{case.escalation.get_absolute_url()}"' in html


def test_the_print_view_is_read_only(case: Case) -> None:
    url = reverse("documents:record_print", kwargs={"pk": case.escalation.pk})

    assert signed_in(case.raiser).post(url).status_code == 405
