"""The learning loop in a real browser, without JavaScript help: the lead agency sends the
Escalation Notification Form from the case's page and recognises good practice; the business
manager makes a board action from the log and marks it done. axe passes on every page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.reporting.models import BoardAction, GoodPractice
from escalate.reporting.tests.conftest import escalate_to
from escalate.reporting.tests.test_browser_register_export import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def accessible(axe: Any, page: Any) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_form_board_action_done_and_good_practice(page: Any, live_server: Any, axe: Any) -> None:
    policy = shipped_policy("cscp")
    school = AgencyFactory(partnership=policy.partnership, name="Invented Academy")
    health = AgencyFactory(partnership=policy.partnership, name="Invented Health", kind="health")
    raiser = PersonFactory(agency=school, name="Sam Raiser")
    lead = PersonFactory(agency=school, name="Lee Lead", ladder_role="safeguarding_lead")
    today = timezone.localdate()
    escalation = escalate_to(
        raise_for(raised_by=raiser, other_agency=health, policy=policy, today=today), 3, on=today
    )
    manager = partnership_person(role="business_manager", policy=policy, name="Bea Manager")
    chair = partnership_person(role="chair", policy=policy, name="Cal Chair")
    base = live_server.url

    # The lead agency sends the form from the case's page.
    sign_in(page, base, lead)
    page.goto(f"{base}{escalation.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Notification form due at stage 3")).to_be_visible()
    accessible(axe, page)
    page.get_by_role("button", name="Send the Escalation Notification Form").click()
    page.get_by_label("What policy or practice issue has this escalation shown?").fill(
        "Threshold guidance is silent on repeated missed appointments (invented)."
    )
    page.get_by_label("No, it is still open").check()
    accessible(axe, page)
    page.get_by_role("button", name="Send to the partnership").click()
    expect(page.get_by_text("The practice issue has been sent to the partnership.")).to_be_visible()
    expect(page.get_by_role("heading", name="Notification form due at stage 3")).to_have_count(0)

    # ... and recognises good practice.
    page.get_by_role("link", name="Recognise good practice").click()
    page.get_by_label("What good multi-agency practice did you see?").fill(
        "Health shared the records the same day (invented)."
    )
    accessible(axe, page)
    page.get_by_role("button", name="Record good practice").click()
    expect(page.get_by_text("the good practice has been recorded")).to_be_visible()
    assert GoodPractice.objects.get().recorded_by == lead

    # The business manager makes a board action from the log, then marks it done.
    page.context.clear_cookies()
    sign_in(page, base, manager)
    page.goto(f"{base}/register/practice-issues/")
    accessible(axe, page)
    page.get_by_role("link", name=re.compile("Make a board action")).click()
    page.get_by_label("What will the board do?").fill("Revise the threshold guidance (invented).")
    page.get_by_label("Who owns it").select_option(str(chair.pk))
    page.get_by_label("Due date").fill((today + timedelta(days=30)).isoformat())
    accessible(axe, page)
    page.get_by_role("button", name="Make the board action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Board actions")
    expect(
        page.get_by_role("cell", name="Revise the threshold guidance (invented).", exact=True)
    ).to_be_visible()
    accessible(axe, page)
    page.get_by_role("link", name=re.compile("Mark as done")).click()
    page.get_by_label("Training").check()
    page.get_by_label("Note").fill("Briefings held for invented schools.")
    accessible(axe, page)
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("The board action is marked as done.")).to_be_visible()
    page.get_by_label("Show").select_option("done")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("cell", name=re.compile("Training"))).to_be_visible()
    accessible(axe, page)
    action = BoardAction.objects.get()
    assert (action.status, action.outcome, action.completed_by) == ("done", "training", manager)
