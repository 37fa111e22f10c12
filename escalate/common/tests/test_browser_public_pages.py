"""The accessibility statement, the privacy notice and the page-not-found page in a real
browser: axe finds nothing on any of them (signed out, and signed in for a case the person
is not involved in); the keyboard reaches the skip link first and follows the footer's
links; and each reads the same with JavaScript turned off."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    DEMO_PASSWORD,
    AgencyFactory,
    PersonFactory,
    raise_for,
)
from escalate.organisations.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "/accessibility-statement/": "Accessibility statement for Escalate",
    "/privacy-notice/": "Privacy notice",
    "/no-such-page/": "Page not found",
}


def no_violations(axe: Any, page: Any, name: str) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def see_heading(page: Any, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


@pytest.fixture
def outsider(db: None) -> Person:
    """A practitioner in an agency that is not party to the one escalation there is."""
    raise_for(
        raised_by=PersonFactory(agency=AgencyFactory(name="Invented Primary School")),
        other_agency=AgencyFactory(name="Invented Police", kind="police"),
    )
    return PersonFactory(agency=AgencyFactory(name="Invented Nursery"), name="Nat Outsider")


def test_the_public_pages_and_page_not_found_pass_axe(
    page: Any, live_server: Any, axe: Any, outsider: Person
) -> None:
    for path, heading in PAGES.items():
        page.goto(f"{live_server.url}{path}")
        see_heading(page, heading)
        no_violations(axe, page, path)

    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Email address").fill(outsider.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    see_heading(page, "Your escalations")
    response = page.goto(f"{live_server.url}{Escalation.objects.get().get_absolute_url()}")
    assert response is not None and response.status == 404
    see_heading(page, "Page not found")
    expect(page.get_by_role("link", name="Go to your escalations")).to_be_visible()
    no_violations(axe, page, "page not found, signed in")
    for path in ("/accessibility-statement/", "/privacy-notice/"):
        page.goto(f"{live_server.url}{path}")
        see_heading(page, PAGES[path])
        no_violations(axe, page, f"{path}, signed in")


def test_the_keyboard_reaches_the_skip_link_first_and_follows_the_footer_links(
    page: Any, live_server: Any
) -> None:
    page.goto(f"{live_server.url}/accessibility-statement/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

    footer_link = page.locator("footer").get_by_role("link", name="Privacy notice")
    for _ in range(80):
        page.keyboard.press("Tab")
        if footer_link.evaluate("link => link === document.activeElement"):
            break
    expect(footer_link).to_be_focused()
    page.keyboard.press("Enter")
    see_heading(page, "Privacy notice")

    page.locator("footer").get_by_role("link", name="Accessibility statement").focus()
    page.keyboard.press("Enter")
    see_heading(page, "Accessibility statement for Escalate")


def test_the_pages_read_the_same_without_javascript(browser: Any, live_server: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        for path, heading in PAGES.items():
            page.goto(f"{live_server.url}{path}")
            see_heading(page, heading)
            # GOV.UK Frontend marks the body once its script runs: here it never does.
            expect(page.locator("body")).not_to_have_class(re.compile("govuk-frontend-supported"))
            footer = page.locator("footer")
            expect(footer.get_by_role("link", name="Privacy notice")).to_be_visible()
            expect(footer.get_by_role("link", name="Accessibility statement")).to_be_visible()
    finally:
        context.close()
