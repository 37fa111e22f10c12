"""A person's whole account lifecycle in a real browser, with axe on each page: invited,
they set a password, set up a second factor, sign out, sign in with a recovery code, are
given a role and a place in an agency by a second partnership, switch between their places,
and leave the first with their open escalation handed over, still working in the second."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from escalate.common.tests.browsing import Browser, app_code
from escalate.domain.policy import PartnershipRole
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import PartnershipRoleAssignment, Person
from escalate.policies.models import Partnership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Otter-meadow-signal-71"  # invented for the test


def administrator_of(partnership: Partnership, name: str) -> Person:
    person = PersonFactory(agency=None, ladder_role="", name=name)
    PartnershipRoleAssignment.objects.create(
        person=person, partnership=partnership, role=PartnershipRole.ADMINISTRATOR.value
    )
    TOTPDevice.objects.create(user=person.user, name="app", confirmed=True)
    return person


def sign_in_with_app(browser: Browser, person: Person) -> None:
    browser.sign_in_with_app(person.email, TOTPDevice.objects.get(user=person.user))


def test_invited_set_up_recovered_given_a_second_role_and_handed_over(
    page: Any, live_server: Any, axe: Any, settings: Any
) -> None:
    settings.ESCALATE_SECOND_FACTOR = "everyone"
    nel = shipped_policy("nel").partnership
    cscp = shipped_policy("cscp").partnership
    school = AgencyFactory(partnership=nel, name="Northfield Primary (invented)")
    care = AgencyFactory(partnership=nel, name="Children's Services (invented)")
    clinic = AgencyFactory(partnership=cscp, name="Riverside Clinic (invented)", kind="health")
    successor = PersonFactory(agency=school, name="Sol Successor")
    nel_admin = administrator_of(nel, "Ada Admin")
    cscp_admin = administrator_of(cscp, "Cal Admin")
    browser = Browser(page, live_server, axe)

    # The administrator adds the newcomer and invites them.
    sign_in_with_app(browser, nel_admin)
    page.goto(f"{browser.base}/directory/people/new/")
    browser.check("Add a person")
    page.get_by_label("Full name").fill("Nia Newcomer")
    page.get_by_label("Email address", exact=True).fill("nia.newcomer@example.org")
    page.get_by_label("Agency").select_option(label=school.name)
    page.get_by_label("Ladder role").select_option(label="Practitioner")
    page.get_by_role("button", name="Add person").click()
    newcomer = Person.objects.get(email="nia.newcomer@example.org")
    page.goto(f"{browser.base}/directory/people/{newcomer.pk}/edit/")
    browser.check("Change Nia Newcomer")
    page.get_by_role("button", name="Send an invitation").click()
    expect(page.locator("main")).to_contain_text("Invitation sent to nia.newcomer@example.org")
    (invitation,) = mail.outbox
    link = re.search(r"https?://\S+/account/invitation/\S+/", invitation.body)
    assert link, invitation.body
    browser.sign_out()

    # They set a password, then an authenticator app, and keep the recovery codes.
    page.goto(link.group(0).replace("http://testserver", browser.base))
    browser.check("Set your password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    browser.check("Your password is set")
    browser.sign_in(newcomer.email, NEW_PASSWORD)
    browser.check("Set up your authenticator app")
    device = TOTPDevice.objects.get(user=newcomer.user, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(app_code(device))
    page.get_by_role("button", name="Confirm").click()
    browser.check("Your recovery codes")
    codes = (
        page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    )
    page.get_by_role("link", name="I have kept my codes safe: continue").click()
    browser.check("Your escalations")
    browser.sign_out()

    # Their phone is lost: a recovery code signs them in.
    browser.sign_in(newcomer.email, NEW_PASSWORD)
    page.get_by_role("link", name="Use a recovery code instead").click()
    browser.check("Use a recovery code")
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("main")).to_contain_text("You have 9 recovery codes left")
    browser.sign_out()

    # A second partnership gives them a role there.
    sign_in_with_app(browser, cscp_admin)
    page.goto(f"{browser.base}/directory/")
    page.get_by_role("link", name="give them a partnership role").click()
    browser.check("Give a role to someone from another partnership")
    page.get_by_label("Their email address").fill(newcomer.email)
    page.get_by_label("Chair").check()
    page.get_by_role("button", name="Give the roles").click()
    expect(page.locator("main")).to_contain_text("now holds those roles in your partnership")
    assert newcomer.viewer().has_partnership_role(cscp.pk, {PartnershipRole.CHAIR})

    # And a place in one of its agencies, under the same account.
    page.goto(f"{browser.base}/directory/")
    page.get_by_role("link", name="give them a place in one of your agencies").click()
    browser.check("Give a place in your agencies to someone from another partnership")
    page.get_by_label("Their email address").fill(newcomer.email)
    page.get_by_label("Agency").select_option(label=clinic.name)
    page.get_by_label("Practitioner").check()
    page.get_by_role("button", name="Give the place").click()
    expect(page.locator("main")).to_contain_text(f"now has a place in {clinic.name}")
    there = Person.objects.get(user=newcomer.user, agency=clinic)
    browser.sign_out()

    # They sign in once and choose where they work; the page always says which.
    page.goto(f"{browser.base}/sign-in/")
    browser.sign_in(newcomer.email, NEW_PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(app_code(device))
    page.get_by_role("button", name="Continue").click()
    browser.check("Your escalations")
    current = page.locator("#current-place")
    expect(current).to_contain_text(f"You are working in {nel.name} ({school.name})")
    page.get_by_role("button", name=f"Work in {cscp.name} ({clinic.name})").click()
    expect(page.locator("main")).to_contain_text(f"You are now working in {cscp.name}")
    browser.check("Your escalations")
    expect(current).to_contain_text(f"You are working in {cscp.name} ({clinic.name})")
    browser.sign_out()

    # They leave: their open escalation goes to their successor.
    case = raise_for(raised_by=newcomer, other_agency=care)
    sign_in_with_app(browser, nel_admin)
    page.goto(f"{browser.base}/directory/people/{newcomer.pk}/edit/")
    page.get_by_role("link", name="Make Nia Newcomer a leaver and hand over their work").click()
    browser.check("Make Nia Newcomer a leaver")
    expect(page.locator("main")).to_contain_text("1 escalation still open")
    page.get_by_label("Who takes over their open work?").select_option(label="Sol Successor")
    page.get_by_role("button", name="Make them a leaver").click()
    expect(page.locator("main")).to_contain_text("is now Sol Successor's")
    assert Escalation.objects.get(pk=case.pk).raised_by_id == successor.pk
    newcomer.refresh_from_db()
    assert not newcomer.is_active
    # Their place in the second partnership goes on: the account still signs in.
    there.refresh_from_db()
    assert there.is_active and there.user.is_active
