"""People join by invitation and recover a forgotten password, through Django's own tokens:
each link works once, only for an active account, and every password set is in the history."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.organisations import services
from escalate.organisations.models import Agency, Person
from escalate.organisations.services import PersonDetails
from escalate.organisations.tests.conftest import administrator_of
from escalate.policies.models import Partnership

pytestmark = pytest.mark.django_db

Invite = Callable[[Client, Person], str]
GOOD_PASSWORD = "Kestrel-harbour-lantern-42"  # invented for the test


@pytest.fixture
def newcomer(school: Agency, administrator: Person) -> Person:
    """Added to the directory by the administrator: an account with no password yet."""
    return services.create_person(
        actor=administrator,
        details=PersonDetails(name="Nia Newcomer", email="nia.newcomer@example.org", agency=school),
        partnership_roles={},
    )


@pytest.fixture
def invite() -> Callable[[Client, Person], str]:
    def send(client: Client, person: Person) -> str:
        """Send the invitation from the person's page; the link in its email."""
        mail.outbox.clear()
        response = client.post(f"/directory/people/{person.pk}/invite/")
        assert response.status_code == 302
        (message,) = mail.outbox
        return link_in(message.body)

    return send


def link_in(body: str) -> str:
    match = re.search(r"https?://[^/\s]+(/account/\S+/)", body)
    assert match, body
    return match.group(1)


def set_password(client: Client, link: str, password: str = GOOD_PASSWORD) -> Any:
    page = client.get(link)  # Django swaps the token into the session and redirects
    assert page.status_code == 302
    return client.post(page["Location"], {"new_password1": password, "new_password2": password})


def history(person: Person) -> list[str]:
    return list(
        AuditEvent.objects.filter(data__person=person.pk)
        .order_by("pk")
        .values_list("event", flat=True)
    )


def test_an_invited_person_sets_a_password_and_can_sign_in(
    invite: Invite, admin_client: Client, newcomer: Person, client: Client
) -> None:
    link = invite(admin_client, newcomer)
    assert mail.outbox[0].to == ["nia.newcomer@example.org"]

    response = set_password(Client(), link)

    assert response.status_code == 302
    assert response["Location"] == "/account/password-set/"
    signed_in = Client().post("/sign-in/", {"username": newcomer.email, "password": GOOD_PASSWORD})
    assert signed_in.status_code == 302, "the sign-in form refused the new password"
    assert history(newcomer)[-3:] == [
        events.INVITATION_SENT,
        events.INVITATION_ACCEPTED,
        events.PASSWORD_SET,
    ]


def test_an_invitation_link_works_once(
    invite: Invite, admin_client: Client, newcomer: Person
) -> None:
    link = invite(admin_client, newcomer)
    set_password(Client(), link)

    again = Client().get(link, follow=True)

    assert "This link has expired" in again.content.decode()
    assert "Ask your partnership" in again.content.decode()


def test_a_common_password_is_refused_and_nothing_is_set(
    invite: Invite, admin_client: Client, newcomer: Person
) -> None:
    link = invite(admin_client, newcomer)

    response = set_password(Client(), link, password="password123")

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    newcomer.user.refresh_from_db()
    assert not newcomer.user.has_usable_password()
    assert events.PASSWORD_SET not in history(newcomer)


def test_someone_who_has_a_password_is_not_invited(
    admin_client: Client, practitioner: Person
) -> None:
    page = admin_client.get(f"/directory/people/{practitioner.pk}/edit/")
    assert "Send an invitation" not in page.content.decode()

    response = admin_client.post(f"/directory/people/{practitioner.pk}/invite/", follow=True)

    assert "has already set a password" in response.content.decode()
    assert not mail.outbox


def test_another_partnership_s_administrator_cannot_invite(
    client: Client, newcomer: Person, other_partnership: Partnership
) -> None:
    client.force_login(administrator_of(other_partnership).user)

    response = client.post(f"/directory/people/{newcomer.pk}/invite/")

    assert response.status_code == 404
    assert not mail.outbox


def test_a_leaver_s_invitation_stops_working(
    invite: Invite, admin_client: Client, newcomer: Person, administrator: Person
) -> None:
    link = invite(admin_client, newcomer)
    newcomer.is_active = False
    newcomer.save()
    services.ensure_account(newcomer)  # the account follows the person: inactive

    page = Client().get(link, follow=True)

    assert "This link has expired" in page.content.decode()


def test_a_reset_says_the_same_whether_or_not_the_address_is_known(
    client: Client, practitioner: Person
) -> None:
    known = client.post("/account/password-reset/", {"email": practitioner.email})
    unknown = client.post("/account/password-reset/", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/account/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == [practitioner.email]


def test_a_reset_link_sets_a_new_password_once_and_is_recorded(
    client: Client, practitioner: Person
) -> None:
    client.post("/account/password-reset/", {"email": practitioner.email})
    link = link_in(mail.outbox[0].body)

    set_password(Client(), link)

    practitioner.user.refresh_from_db()
    assert practitioner.user.check_password(GOOD_PASSWORD)
    assert history(practitioner)[-1] == events.PASSWORD_RESET
    assert "This link has expired" in Client().get(link, follow=True).content.decode()


def test_no_reset_is_sent_to_an_inactive_account_or_one_never_set_up(
    client: Client, practitioner: Person, newcomer: Person
) -> None:
    practitioner.is_active = False
    practitioner.save()
    services.ensure_account(practitioner)

    client.post("/account/password-reset/", {"email": practitioner.email})
    client.post("/account/password-reset/", {"email": newcomer.email})

    assert not mail.outbox


def test_an_invitation_is_no_reset_link(
    invite: Invite, admin_client: Client, newcomer: Person
) -> None:
    link = invite(admin_client, newcomer)

    as_reset = link.replace("/account/invitation/", "/account/password-reset/")

    assert "This link has expired" in Client().get(as_reset, follow=True).content.decode()


def test_the_sign_in_page_links_to_the_reset(client: Client) -> None:
    page = client.get("/sign-in/").content.decode()

    assert 'href="/account/password-reset/"' in page
    assert "Forgotten your password?" in page


def test_a_mail_server_that_refuses_leaves_nothing_recorded(
    admin_client: Client, newcomer: Person, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there

    page = admin_client.post(f"/directory/people/{newcomer.pk}/invite/", follow=True)

    assert "could not be sent, so nothing was recorded" in page.content.decode()
    assert events.INVITATION_SENT not in history(newcomer)
