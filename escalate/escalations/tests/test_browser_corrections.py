"""In a real browser: correct a contact from the escalation's page, read how it now reads,
who corrected it and why, and the text as first recorded; each page passes axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from escalate.escalations import services
from escalate.escalations.clock import local_today
from escalate.escalations.models import Contact, Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.escalations.tests.test_browser_documents import sign_in
from escalate.organisations.models import Person

SCREENSHOTS = Path("build/screenshots")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def raiser(db: None) -> Person:
    """An invented raiser with one escalation raised today, so a contact can be dated today."""
    partnership = shipped_policy("nel").partnership
    school = AgencyFactory(partnership=partnership, name="Invented Primary School")
    police = AgencyFactory(partnership=partnership, name="Invented Police", kind="police")
    person = PersonFactory(agency=school, name="Sam Raiser")
    raise_for(raised_by=person, other_agency=police, today=local_today())
    return person


def test_correcting_a_contact_from_the_page(
    page: Any, live_server: Any, axe: Any, raiser: Person
) -> None:
    escalation = Escalation.objects.get()
    services.record_contact(
        escalation=escalation,
        actor=raiser,
        kind="telephone",
        between="Sam Raiser and the police's duty officer",
        summary="Talked about the missed appointments.",
        outcome="The police will look again.",
        decision_makers="",
        happened_on=local_today(),
    )
    sign_in(page, live_server.url, raiser)
    page.goto(f"{live_server.url}{escalation.get_absolute_url()}")

    page.get_by_role("link", name="Correct this contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct a contact")
    summary = page.get_by_label("Summary of the discussion")
    expect(summary).to_have_value("Talked about the missed appointments.")
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()

    summary.fill("Talked about the missed home visits.")
    page.get_by_role("button", name="Save correction").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter why you are correcting this contact")
    expect(summary).to_have_value("Talked about the missed home visits.")  # nothing lost
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()

    page.get_by_label("Why are you correcting this contact?").fill("They were home visits.")
    page.get_by_role("button", name="Save correction").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Contact corrected")
    expect(page.get_by_text("Talked about the missed home visits.")).to_be_visible()
    expect(page.get_by_text("by Sam Raiser: They were home visits.")).to_be_visible()
    original = page.get_by_text("Talked about the missed appointments.")
    expect(original).to_be_hidden()
    page.get_by_text("Earlier versions of this contact").click()
    expect(original).to_be_visible()
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_text("Earlier versions of this contact").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "corrected-contact.png"))
    assert Contact.objects.get().summary == "Talked about the missed appointments."

    page.get_by_role("link", name="Print view of the record (web page)").click()
    expect(page.get_by_text("Talked about the missed home visits.")).to_be_visible()
    expect(page.get_by_text("They were home visits.", exact=False)).to_be_visible()
