"""The second factor in a real browser, with axe on each page: a manager sets up an
authenticator app, keeps the recovery codes shown once, signs out, and signs back in with
a recovery code; an administrator opens the reset of that manager's second factor."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from escalate.common.tests.browsing import Browser, app_code
from escalate.escalations.tests.factories import PersonFactory, partnership_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def second_factor_required(settings: Any) -> None:
    settings.ESCALATE_SECOND_FACTOR = "above_practitioner"


@pytest.mark.usefixtures("second_factor_required")
def test_set_up_keep_the_codes_and_sign_in_with_one(page: Any, live_server: Any, axe: Any):
    manager = PersonFactory(ladder_role="line_manager", name="Lee Manager")
    browser = Browser(page, live_server, axe)

    browser.sign_in(manager.email)
    browser.check("Set up your authenticator app")
    device = TOTPDevice.objects.get(user=manager.user, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(app_code(device))
    page.get_by_role("button", name="Confirm").click()

    browser.check("Your recovery codes")
    expect(page.locator(".govuk-warning-text")).to_contain_text("Keep these codes safe")
    codes = (
        page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    )
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept my codes safe: continue").click()
    browser.check("Your escalations")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    browser.sign_in(manager.email)
    browser.check("Enter the code from your authenticator app")
    page.get_by_role("link", name="Use a recovery code instead").click()
    browser.check("Use a recovery code")
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()

    browser.check("Recovery codes")
    expect(page.locator("main")).to_contain_text("You have 9 recovery codes left")
    page.get_by_role("link", name="Continue to Escalate").click()
    browser.check("Your escalations")


@pytest.mark.usefixtures("second_factor_required")
def test_the_reset_confirmation_page(page: Any, live_server: Any, axe: Any):
    manager = PersonFactory(ladder_role="line_manager", name="Lee Manager")
    TOTPDevice.objects.create(user=manager.user, name="app", confirmed=True)
    administrator = partnership_person(role="administrator", name="Ada Admin")
    device = TOTPDevice.objects.create(user=administrator.user, name="app", confirmed=True)
    browser = Browser(page, live_server, axe)
    browser.sign_in(administrator.email)
    page.get_by_label("Code from your authenticator app").fill(app_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")

    page.goto(f"{browser.base}/directory/people/{manager.pk}/second-factor/reset/")
    browser.check("Reset Lee Manager's second factor?")
    page.get_by_role("button", name="Reset second factor").click()
    browser.check("Reset Lee Manager's second factor?")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that you have checked")
    page.get_by_label("I have checked that it is really them asking").check()
    page.get_by_role("button", name="Reset second factor").click()

    expect(page.locator("main")).to_contain_text("Lee Manager's second factor has been reset")
    assert not TOTPDevice.objects.filter(user=manager.user).exists()
