"""A small NEL partnership, its people, one escalation, and API clients with tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from escalate.api.models import ApiToken
from escalate.api.tokens import issue_token
from escalate.escalations.clock import local_today
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
)
from escalate.organisations.models import Agency, Person

API_URLS = "escalate.api.tests.urls"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "api_fuzz: Schemathesis against the API's OpenAPI document (select with -m)"
    )


@dataclass
class World:
    school: Agency
    social_care: Agency
    police: Agency
    raiser: Person
    counterpart: Person
    manager: Person
    business_manager: Person
    chair: Person
    scrutineer: Person
    administrator: Person
    outsider: Person
    escalation: Escalation


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db: None) -> World:
    school = AgencyFactory(name="Invented Primary School", kind="education")
    social_care = AgencyFactory(name="Invented Children's Services", kind="childrens_social_care")
    police = AgencyFactory(name="Invented Police", kind="police")
    raiser = PersonFactory(agency=school, name="Sam Raiser", job_title="Class teacher")
    counterpart = PersonFactory(agency=social_care, name="Kim Other", job_title="Social worker")
    manager = PersonFactory(
        agency=social_care, name="Lee Manager", job_title="Team manager", ladder_role="line_manager"
    )
    return World(
        school=school,
        social_care=social_care,
        police=police,
        raiser=raiser,
        counterpart=counterpart,
        manager=manager,
        business_manager=partnership_person(role="business_manager", name="Bo Business"),
        chair=partnership_person(role="chair", name="Cal Chair"),
        scrutineer=partnership_person(role="independent_scrutineer", name="Sky Scrutineer"),
        administrator=partnership_person(role="administrator", name="Ada Admin"),
        outsider=PersonFactory(agency=police, name="Pat Outsider"),
        escalation=raise_for(
            raised_by=raiser,
            other_agency=social_care,
            counterpart=counterpart,
            today=local_today(),
        ),
    )


def token_for(person: Person, scope: str = "write", *, days: int = 30) -> str:
    return issue_token(
        person=person,
        actor=person,
        name="Test integration",
        scope=ApiToken.Scope(scope),
        lifetime=timedelta(days=days),
    ).secret


def client_for(person: Person, scope: str = "write") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(person, scope)}")
    return client


def etag(client: APIClient, escalation: Escalation) -> str:
    response = client.get(f"/api/v1/escalations/{escalation.pk}/")
    assert response.status_code == 200, response.content
    return str(response["ETag"])
