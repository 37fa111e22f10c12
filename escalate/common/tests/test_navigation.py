"""The signed-in navigation: each role's own pages linked, and ending every session."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalate.common import context_processors, navigation
from escalate.common.navigation import NavigationLinks
from escalate.escalations.tests.factories import (
    PersonFactory,
    UserFactory,
    partnership_person,
    shipped_policy,
)
from escalate.organisations.models import PartnershipRoleAssignment, Person

pytestmark = pytest.mark.django_db

REGISTER = f'href="{reverse("reporting:register")}"'
DIRECTORY = f'href="{reverse("organisations:directory")}"'
SUBJECT_ACCESS = f'href="{reverse("subject_access")}"'


def _page_for(person: Person) -> str:
    client = Client()
    assert person.user is not None
    client.force_login(person.user)
    return client.get(reverse("escalations:mine")).content.decode()


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("business_manager", {REGISTER}),
        ("chair", {REGISTER}),
        ("administrator", {DIRECTORY}),
        ("data_protection_officer", {SUBJECT_ACCESS}),
        ("independent_scrutineer", set()),
        ("panel_member", set()),
    ],
)
def test_each_role_sees_links_to_its_own_pages_only(role: str, shown: set[str]) -> None:
    page = _page_for(partnership_person(role=role))

    for link in (REGISTER, DIRECTORY, SUBJECT_ACCESS):
        assert (link in page) is (link in shown), link


def test_a_practitioner_sees_none_of_them() -> None:
    page = _page_for(PersonFactory())

    assert not any(link in page for link in (REGISTER, DIRECTORY, SUBJECT_ACCESS))


def test_a_superuser_without_a_directory_entry_is_offered_the_directory(client: Client) -> None:
    shipped_policy("nel")
    user = UserFactory(username="root@example.org", is_superuser=True, is_staff=True)
    client.force_login(user)

    page = client.get(reverse("organisations:directory")).content.decode()

    assert DIRECTORY in page


def test_every_signed_in_page_offers_to_end_all_sessions() -> None:
    person = PersonFactory()
    client = Client()
    client.force_login(person.user)
    other_device = Client()
    other_device.force_login(person.user)
    assert other_device.get(reverse("escalations:mine")).status_code == 200
    page = client.get(reverse("escalations:mine")).content.decode()

    assert f'action="{reverse("sign_out_everywhere")}"' in page
    assert "End all sessions" in page
    time.sleep(0.01)  # the revocation comes after both sessions began
    assert client.post(reverse("sign_out_everywhere"))["Location"] == reverse("login")
    assert other_device.get(reverse("escalations:mine")).status_code == 302


def test_the_links_cost_no_query_on_each_page(monkeypatch: pytest.MonkeyPatch) -> None:
    person = partnership_person(role="business_manager")
    client = Client()
    client.force_login(person.user)  # worked out here, at sign-in
    client.get(reverse("escalations:mine"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("escalations:mine")).status_code == 200
        return len(captured)

    with_links = queries()
    monkeypatch.setattr(context_processors, "links_for", lambda request: NavigationLinks())
    assert queries() == with_links


def test_a_role_given_later_shows_its_link_once_the_kept_answer_is_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = PersonFactory()
    client = Client()
    client.force_login(person.user)
    assert REGISTER not in client.get(reverse("escalations:mine")).content.decode()
    PartnershipRoleAssignment.objects.create(
        person=person, partnership=person.agency.partnership, role="business_manager"
    )
    later = time.time() + navigation.FRESH_SECONDS + 1
    monkeypatch.setattr(navigation, "_now", lambda: later)

    assert REGISTER in client.get(reverse("escalations:mine")).content.decode()


def test_signed_out_pages_offer_none_of_it(client: Client) -> None:
    page = client.get(reverse("login")).content.decode()

    assert "End all sessions" not in page
    assert not any(link in page for link in (REGISTER, DIRECTORY, SUBJECT_ACCESS))
