"""The register's CSV download in a real browser: with JavaScript a labelled progress bar
counts the rows as the file streams and says when it is complete, and the page passes axe;
without JavaScript the link is a plain download of the same file."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from escalate.escalations.tests.factories import (
    DEMO_PASSWORD,
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = 30


@pytest.fixture
def overseer(db: None) -> Person:
    partnership = shipped_policy("nel").partnership
    school = AgencyFactory(partnership=partnership, name="Invented Primary School")
    police = AgencyFactory(partnership=partnership, name="Invented Police", kind="police")
    raiser = PersonFactory(agency=school, name="Sam Raiser")
    for _ in range(ROWS):
        raise_for(raised_by=raiser, other_agency=police)
    return partnership_person(role="business_manager", name="Bea Manager")


def sign_in(page: Any, base: str, person: Person) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your escalations")


def rows_of(path: str) -> list[list[str]]:
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_export_shows_its_progress_and_completes(
    page: Any, live_server: Any, axe: Any, overseer: Person
) -> None:
    sign_in(page, live_server.url, overseer)
    page.goto(f"{live_server.url}/register/")
    link = page.get_by_role("link", name=re.compile("Download this register"))
    expect(link).to_contain_text("CSV, every row the filters match")
    progress = page.get_by_label("Downloading the register")
    expect(progress).to_be_hidden()

    with page.expect_download() as info:
        link.click()

    expect(page.get_by_role("status")).to_have_text(f"Download complete: {ROWS} rows.")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("max", str(ROWS))
    assert progress.evaluate("bar => bar.value") == ROWS
    download = info.value
    assert download.suggested_filename.startswith("escalation-register-")
    rows = rows_of(download.path())
    assert rows[0][0] == "Reference" and len(rows) == ROWS + 1
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_without_javascript_the_link_is_a_plain_download(
    browser: Any, live_server: Any, overseer: Person
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, overseer)
        page.goto(f"{live_server.url}/register/")
        with page.expect_download() as info:
            page.get_by_role("link", name=re.compile("Download this register")).click()
        assert len(rows_of(info.value.path())) == ROWS + 1
        expect(page.get_by_label("Downloading the register")).to_be_hidden()
    finally:
        context.close()
