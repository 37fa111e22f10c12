"""A small NEL partnership, its people, one escalation, and API clients with tokens.

Each stage of NEL's procedure belongs to a rung of each party agency (docs/domain.md
decision 7): ``acting(world, agency, stage)`` is someone on that rung, and
``escalate_to`` moves the escalation up with them, as the procedure has it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from escalate.api.models import ApiToken
from escalate.api.tokens import issue_token
from escalate.domain.policy import LadderRole
from escalate.escalations import services
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


def colleague(agency: Agency, rung: LadderRole | str) -> Person:
    """Someone on ``rung`` in ``agency``: the first there, or a new one."""
    rung = LadderRole(rung)
    existing = Person.objects.filter(agency=agency, ladder_role=rung.value, is_active=True).first()
    if existing is not None:
        return existing
    words = rung.value.replace("_", " ")
    return PersonFactory(
        agency=agency, ladder_role=rung.value, name=f"{agency.name} {words}", job_title=words
    )


def acting(world: World, agency: Agency, escalation: Escalation | None = None) -> Person:
    """Who acts for ``agency`` at the escalation's current stage (its rung, decision 7)."""
    escalation = escalation or world.escalation
    escalation.refresh_from_db()
    rung = escalation.policy.rules.acting_rung(escalation.stage_number)
    if rung is LadderRole.PRACTITIONER:
        return world.raiser if agency == world.school else world.counterpart
    return colleague(agency, rung)


def escalate_to(world: World, number: int | None = None) -> Escalation:
    """Escalate ``world.escalation`` by the raising side's acting rung up to stage ``number``
    (the final stage if None)."""
    escalation = world.escalation
    escalation.refresh_from_db()
    target = number or escalation.final_stage_number
    while escalation.stage_number < target:
        escalation = services.escalate_stage(
            escalation=escalation, actor=acting(world, world.school), reason="Not agreed."
        )
    return escalation


def resolve_now(world: World, *, owner: Person | None = None) -> Escalation:
    """Resolve ``world.escalation`` at its stage: the school proposes, social care confirms."""
    escalation = world.escalation
    escalation.refresh_from_db()
    escalation = services.resolve_escalation(
        escalation=escalation,
        actor=acting(world, world.school),
        agreed_outcome="A strategy discussion will be held.",
        actions=[
            services.AgreedActionDetails(
                "Hold a strategy discussion.", owner or world.counterpart, local_today()
            )
        ],
    )
    if escalation.status == Escalation.Status.OPEN:
        escalation = services.confirm_resolution(
            escalation=escalation, actor=acting(world, world.social_care)
        )
    return escalation
