from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from escalate.audit.models import ReadEvent
from escalate.escalations import services
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalation():
    school = AgencyFactory(name="Brookfield Primary")
    social_care = AgencyFactory(name="Children's Social Care", kind="childrens_social_care")
    raiser = PersonFactory(agency=school)
    escalation = raise_for(raised_by=raiser, other_agency=social_care)
    services.record_contact(
        escalation=escalation,
        actor=raiser,
        kind="meeting",
        between="Raiser and team manager",
        summary="Talked through the missed appointments.",
        outcome="Strategy discussion booked.",
        decision_makers="Team manager",
        happened_on=escalation.raised_on,
        today=escalation.raised_on,
    )
    return escalation


def _client_for(person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def test_the_officer_finds_a_subject_and_downloads_every_record(escalation) -> None:
    officer = partnership_person(role="data_protection_officer")
    client = _client_for(officer)

    found = client.get(reverse("subject_access"), {"q": "CASE-0001"})
    response = client.get(reverse("subject_access_export", args=[escalation.subject.pk]))

    assert "Alex Invented" in found.content.decode()
    export = json.loads(response.content)
    assert export["subject"]["name"] == "Alex Invented"
    record = export["escalations"][0]
    assert record["reference"] == escalation.reference
    assert record["contacts"][0]["summary"] == "Talked through the missed appointments."
    assert [event["event"] for event in record["history"]][:2] == [
        "escalation.raised",
        "contact.recorded",
    ]
    assert ReadEvent.objects.filter(
        reader=officer, what=ReadEvent.What.SUBJECT_ACCESS_EXPORT
    ).exists()


@pytest.mark.parametrize("query", ["Alex\x00", "Alex\x1b[2J", "A" * 101])
def test_a_search_that_cannot_be_run_is_refused_at_the_box(escalation, query: str) -> None:
    """A NUL byte failed the page on PostgreSQL; now it is the search's own error."""
    client = _client_for(partnership_person(role="data_protection_officer"))

    response = client.get(reverse("subject_access"), {"q": query})
    text = response.content.decode()

    assert response.status_code == 200
    assert "<title>Error: Subject access requests" in text
    assert 'href="#q"' in text and 'id="q-error"' in text
    assert "Alex Invented" not in text  # nothing searched, so nothing listed
    assert "\x00" not in text


@pytest.mark.parametrize("role", ["business_manager", "chair", "administrator"])
def test_other_partnership_roles_get_404(escalation, role: str) -> None:
    client = _client_for(partnership_person(role=role))

    assert client.get(reverse("subject_access")).status_code == 404
    assert (
        client.get(reverse("subject_access_export", args=[escalation.subject.pk])).status_code
        == 404
    )


def test_the_raiser_cannot_use_subject_access(escalation) -> None:
    client = _client_for(escalation.raised_by)

    assert client.get(reverse("subject_access")).status_code == 404
