"""The notifications list for everyone signed in, and the failed-deliveries screen."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalate.domain.policy import PartnershipRole
from escalate.escalations.tests.factories import partnership_person
from escalate.notifications.models import Notification, NotificationPreference
from escalate.notifications.tests.factories import Ladders
from escalate.organisations.models import Person

pytestmark = [pytest.mark.django_db, pytest.mark.urls("escalate.notifications.tests.urls")]


@pytest.fixture
def nel() -> Ladders:
    return Ladders("nel")


def signed_in(client: Client, person: Person) -> Client:
    assert person.user is not None
    client.force_login(person.user)
    return client


def fail(row: Notification) -> None:
    Notification.objects.filter(pk=row.pk).update(
        status=Notification.Status.FAILED, attempts=8, last_error="SMTPRecipientsRefused: 550"
    )


def test_signing_in_is_needed(client: Client) -> None:
    response = client.get(reverse("notifications:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_list_shows_a_persons_own_notifications_with_links(
    client: Client, nel: Ladders
) -> None:
    escalation = nel.raise_()

    text = signed_in(client, nel.social_worker).get(reverse("notifications:list")).content.decode()

    assert f"Escalation {escalation.reference} raised with Children&#x27;s Social Care" in text
    assert f'href="{escalation.get_absolute_url()}"' in text
    assert "New" in text
    assert "Alex Invented" not in text
    other = signed_in(Client(), nel.teacher).get(reverse("notifications:list")).content.decode()
    assert escalation.reference not in other  # the raiser was not notified of their own act


def test_the_list_takes_the_same_queries_for_one_notification_or_many(
    client: Client, nel: Ladders
) -> None:
    nel.raise_()
    signed_in(client, nel.social_worker).get(reverse("notifications:list"))  # session settles

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("notifications:list"))
    for _ in range(4):
        nel.raise_()
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("notifications:list"))

    assert len(five) == len(one)
    assert response.content.decode().count('<a class="govuk-link" href="/escalations/') == 5


def test_marking_read(client: Client, nel: Ladders) -> None:
    nel.raise_()
    nel.raise_()
    first, second = Notification.objects.filter(recipient=nel.social_worker)
    signed_in(client, nel.social_worker)

    assert client.get(reverse("notifications:mark_read", args=[first.pk])).status_code == 405
    client.post(reverse("notifications:mark_read", args=[first.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None

    client.post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.filter(recipient=nel.social_worker, read_at=None).exists()


def test_choosing_the_daily_digest(client: Client, nel: Ladders) -> None:
    signed_in(client, nel.social_worker)

    response = client.post(reverse("notifications:preferences"), {"daily_digest": "yes"})

    assert response.status_code == 302
    assert NotificationPreference.objects.get(person=nel.social_worker).daily_digest
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'value="yes" checked' in page


def test_only_administrators_reach_the_failed_deliveries(client: Client, nel: Ladders) -> None:
    signed_in(client, nel.teacher)

    assert client.get(reverse("notifications:failed")).status_code == 404


def test_a_partnership_administrator_sees_failures_with_the_error_and_retries(
    client: Client, nel: Ladders, django_capture_on_commit_callbacks
) -> None:
    nel.raise_()
    row = Notification.objects.get(recipient=nel.social_worker)
    fail(row)
    admin = partnership_person(role=PartnershipRole.ADMINISTRATOR.value, policy=nel.policy)
    signed_in(client, admin)

    page = client.get(reverse("notifications:failed")).content.decode()
    assert "SMTPRecipientsRefused: 550" in page
    assert nel.social_worker.email in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:retry", args=[row.pk]))

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert [message.to for message in mail.outbox] == [[nel.social_worker.email]]


def test_another_partnerships_administrator_sees_none_of_them(client: Client, nel: Ladders) -> None:
    nel.raise_()
    row = Notification.objects.get(recipient=nel.social_worker)
    fail(row)
    elsewhere = Ladders("greenwich")
    admin = partnership_person(role=PartnershipRole.ADMINISTRATOR.value, policy=elsewhere.policy)
    signed_in(client, admin)

    assert (
        nel.social_worker.email not in client.get(reverse("notifications:failed")).content.decode()
    )
    assert client.post(reverse("notifications:retry", args=[row.pk])).status_code == 404


def test_staff_see_every_failure(client: Client, nel: Ladders) -> None:
    nel.raise_()
    fail(Notification.objects.get(recipient=nel.social_worker))
    staff = nel.role(PartnershipRole.CHAIR)
    staff.user.is_staff = True
    staff.user.save()

    page = signed_in(client, staff).get(reverse("notifications:failed")).content.decode()

    assert nel.social_worker.email in page
