"""The dashboard in a real browser: reached from the navigation, its charts beside their
tables, a figure followed to the register's rows behind it, and axe clean on both pages;
the scrutineer lands on it at sign-in and finds no list behind the figures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from escalate.board.tests.conftest import BoardWorld
from escalate.escalations.tests.factories import DEMO_PASSWORD, partnership_person
from escalate.organisations.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"


def sign_in(page: Any, base: str, person: Person) -> None:
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def no_violations(axe: Any, page: Any) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_the_business_manager_follows_a_figure_to_the_cases_behind_it(
    page: Any, live_server: Any, axe: Any, board: BoardWorld, manager: Person
) -> None:
    sign_in(page, live_server.url, manager)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership dashboard")
    expect(page.get_by_role("img", name=re.compile("Chart of outcome"))).to_be_visible()
    outcome = page.get_by_role("table", name=re.compile("^Outcome"))
    expect(outcome.get_by_role("row", name=re.compile("Withdrawn"))).to_contain_text("1")
    no_violations(axe, page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    outcome.get_by_role("link", name=re.compile("outcome: withdrawn", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalation register")
    expect(page.get_by_text("Outcome: Withdrawn")).to_be_visible()
    rows = page.locator("table.govuk-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(board.withdrawn.reference)
    no_violations(axe, page)


def test_the_scrutineer_lands_on_figures_with_no_list_behind_them(
    page: Any, live_server: Any, axe: Any, board: BoardWorld
) -> None:
    scrutineer = partnership_person(role="independent_scrutineer", name="Sol Scrutineer")
    sign_in(page, live_server.url, scrutineer)
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership dashboard")
    expect(page.get_by_role("table", name=re.compile("^Outcome"))).to_be_visible()
    expect(page.locator("a[href^='/register/']")).to_have_count(0)
    no_violations(axe, page)


def test_the_annual_report_is_reached_from_the_dashboard_and_downloads(
    page: Any, live_server: Any, axe: Any, board: BoardWorld, manager: Person
) -> None:
    sign_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/board/")
    page.get_by_role("link", name=re.compile("Annual report")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annual report")
    no_violations(axe, page)
    downloads = {}
    for name, kind in (("PDF", "pdf"), ("Word", "docx"), ("Figures", "csv")):
        with page.expect_download() as info:
            page.get_by_role("link", name=re.compile(f"^{name}.*2026 to 2027")).click()
        downloads[kind] = Path(info.value.path()).read_bytes()
        assert info.value.suggested_filename == f"escalations-annual-report-2026-2027.{kind}"
    assert downloads["pdf"].startswith(b"%PDF")
    assert downloads["docx"].startswith(b"PK")
    text = downloads["csv"].decode("utf-8")
    assert "Escalations raised,5" in text and board.withdrawn.reference not in text
