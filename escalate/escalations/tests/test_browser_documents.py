"""In a real browser: from the escalation's page, find and download each document, open the
print view, and both pages pass axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from escalate.audit.models import ReadEvent
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    DEMO_PASSWORD,
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOWNLOADS = [
    ("Escalation Procedure Form (PDF)", "-record.pdf", b"%PDF-"),
    ("Escalation Procedure Form (Word, DOCX)", "-record.docx", b"PK"),
    ("Case-file summary (text, TXT)", "-outcome-summary.txt", b"Escalation "),
]


@pytest.fixture
def raiser(db: None) -> Person:
    partnership = shipped_policy("nel").partnership
    school = AgencyFactory(partnership=partnership, name="Invented Primary School")
    police = AgencyFactory(partnership=partnership, name="Invented Police", kind="police")
    person = PersonFactory(agency=school, name="Sam Raiser")
    raise_for(raised_by=person, other_agency=police)
    return person


def sign_in(page: Any, base: str, person: Person) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your escalations")


def test_every_document_is_found_on_the_page_and_downloads(
    page: Any, live_server: Any, axe: Any, raiser: Person
) -> None:
    escalation = Escalation.objects.get()
    sign_in(page, live_server.url, raiser)
    page.goto(f"{live_server.url}{escalation.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()

    for text, suffix, start in DOWNLOADS:
        with page.expect_download() as info:
            page.get_by_role("link", name=text).click()
        download = info.value
        assert download.suggested_filename == f"{escalation.reference}{suffix}"
        assert Path(download.path()).read_bytes().startswith(start)

    page.get_by_role("link", name="Print view of the record (web page)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalation Procedure Form")
    expect(page.get_by_text(escalation.reference).first).to_be_visible()
    # The print stylesheet loaded under the Content Security Policy; the expectation retries,
    # as the heading can be in the DOM before the stylesheet has arrived.
    expect(page.locator("th").first).to_have_css("background-color", "rgb(243, 242, 241)")
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()

    page.emulate_media(media="print")
    expect(
        page.get_by_role("link", name=f"Back to escalation {escalation.reference}")
    ).to_be_hidden()
    page.emulate_media(media="screen")
    page.get_by_role("link", name=f"Back to escalation {escalation.reference}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(escalation.reference)

    details = ReadEvent.objects.filter(reader=raiser, what=ReadEvent.What.DOCUMENT)
    assert sorted(details.values_list("detail", flat=True)) == [
        "print",
        "record.docx",
        "record.pdf",
        "summary.txt",
    ]
