"""Signing in through a partnership's own provider in a real browser: from the sign-in
page to the chooser (axe clean, also when it has an error), to the provider's own page
(``oidc-provider-mock``, served here) and back, signed in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from escalate.common.tests.test_organisation_sign_in import Provider
from escalate.common.tests.test_sign_in_per_partnership import (
    person_of,
    provider_for,
    serve_provider,
)
from escalate.policies.models import Partnership

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[Provider]:
    yield from serve_provider()


def no_violations(axe: Any, page: Any) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_a_practitioner_signs_in_through_their_partnerships_provider(
    page: Any, live_server: Any, axe: Any, server: Provider
) -> None:
    partnership = Partnership.objects.create(slug="alder", name="Alder Partnership", code="ALD")
    provider_for(partnership, server, domains=["alder.gov.example"])
    person = person_of(partnership, "ash@alder.gov.example")
    server.set_account("ash", email="ash@alder.gov.example")

    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_role("button", name="Sign in with your organisation's account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in with your organisation's account"
    )
    no_violations(axe, page)

    page.get_by_label("Your work email address").fill("ash@unknown.example")
    page.get_by_role("button", name="Continue").first.click()
    expect(page.get_by_role("alert")).to_contain_text("No partnership in Escalate")
    expect(page).to_have_title(re.compile("^Error: "))
    no_violations(axe, page)

    page.get_by_label("Your work email address").fill("ash@alder.gov.example")
    page.get_by_role("button", name="Continue").first.click()
    expect(page).to_have_url(re.compile(f"^{re.escape(server.url)}/oauth2/authorize"))
    page.get_by_placeholder("sub").fill("ash")
    page.get_by_role("button", name="Authorize").click()

    expect(page).to_have_url(re.compile(f"^{re.escape(live_server.url)}/"))
    expect(page.get_by_role("button", name="Sign out").first).to_be_visible()
    assert person.user is not None
