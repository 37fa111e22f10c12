"""How many queries a request costs, page by page, pinned exactly (issue 10).

Each number is listed query by query beside its test, so a change that adds one shows up
here as a failing count and a comment to update. Every test makes one request first so
the session settles (sign-in time written, navigation links worked out), then counts the
next one: a request within a minute of the last does not write the session again. The
pages that use a procedure version are asked for once before counting too: a process
reads each version once and holds it (``policies/versions.py``).

The list pages (my escalations, the register, the API's list) are pinned beside their
own tests, as their row counts matter there too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from escalate.api.models import ApiToken
from escalate.api.tokens import issue_token
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory, raise_for
from escalate.organisations.models import Person

pytestmark = pytest.mark.django_db

CountQueries = Callable[[int], AbstractContextManager[object]]


@dataclass
class World:
    raiser: Person
    manager: Person
    escalation: Escalation


@pytest.fixture
def world() -> World:
    school = AgencyFactory(name="Invented Primary School", kind="education")
    social_care = AgencyFactory(name="Invented Children's Services", kind="childrens_social_care")
    raiser = PersonFactory(agency=school, name="Sam Raiser")
    counterpart = PersonFactory(agency=social_care, name="Kim Other")
    manager = PersonFactory(agency=social_care, name="Lee Manager", ladder_role="line_manager")
    escalation = raise_for(raised_by=raiser, other_agency=social_care, counterpart=counterpart)
    return World(raiser=raiser, manager=manager, escalation=escalation)


def settled(person: Person) -> Client:
    """A browser signed in as ``person`` whose session has settled."""
    assert person.user is not None
    client = Client()
    client.force_login(person.user)
    client.get(reverse("api:reference"))
    return client


def api_client(person: Person, scope: ApiToken.Scope = ApiToken.Scope.READ) -> APIClient:
    secret = issue_token(
        person=person,
        actor=person,
        name="Counting",
        scope=scope,
        lifetime=timedelta(days=30),
    ).secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


# --- The floor: a fixed page behind sign-in -------------------------------------------

# The API reference is the same for everyone and is built once per process, so all it
# costs is the request path itself: the session (1), the user (2), and one query for the
# person with their agency, partnership roles and second-factor state (3). The session's
# last-seen time is written at most once a minute, so not on this request. (Before issue
# 10: 6, with the person's roles and the session's save on every request.)
FLOOR_QUERIES = 3


def test_the_floor(world: World, django_assert_num_queries: CountQueries) -> None:
    client = settled(world.raiser)

    with django_assert_num_queries(FLOOR_QUERIES):
        assert client.get(reverse("api:reference")).status_code == 200


# As the floor, for a manager whose session passed the second factor: whether the session's
# device is still theirs and confirmed is asked in the person's query, not on its own.
# (Before issue 10: 7, with django-otp's device query.)
VERIFIED_FLOOR_QUERIES = 3


@override_settings(ESCALATE_SECOND_FACTOR="above_practitioner")
def test_the_floor_with_a_second_factor(
    world: World, django_assert_num_queries: CountQueries
) -> None:
    device = TOTPDevice.objects.create(user=world.manager.user, name="app", confirmed=True)
    client = settled(world.manager)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(reverse("api:reference")).status_code == 200  # settles again

    with django_assert_num_queries(VERIFIED_FLOOR_QUERIES):
        assert client.get(reverse("api:reference")).status_code == 200


# --- The escalation's page --------------------------------------------------------------

# The request path (3, as the floor; the viewer's roles come with it). The escalation
# through the visibility filter, with its partnership and subject (1); the raiser and
# counterpart (1) and the agencies (1), read apart because joined, twelve tables took
# longer to plan than to read; its procedure version is held by the process. Its
# participants (1). The read trail's row (1). The rest of its record: parties, open
# proposal, stage entries, contacts, agreed actions, checklist ticks, history (7). Who has
# seen it (1). Who may do what is worked out from these, with no query of its own. Panel,
# appointments, written representations and the decision belong to the final stage and
# are not asked for before it (``FINAL_DETAIL_QUERIES``). (Before issue 10: 24.) The
# attached files with who attached each (1; whether one may attach asks the stored facts).
DETAIL_QUERIES = 17
# At the final stage: the panel, the appointments, the written representations, the
# latest decision and the partnership's chairs, who act there, too (5).
FINAL_DETAIL_QUERIES = DETAIL_QUERIES + 5


def test_the_escalation_page(world: World, django_assert_num_queries: CountQueries) -> None:
    client = settled(world.raiser)
    client.get(world.escalation.get_absolute_url())  # the procedure version is read once

    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(world.escalation.get_absolute_url())

    assert response.status_code == 200
    assert world.escalation.reference in response.content.decode()


def test_the_escalation_page_at_the_final_stage(
    world: World, django_assert_num_queries: CountQueries
) -> None:
    director = PersonFactory(agency=world.raiser.agency, ladder_role="assistant_director")
    escalation = world.escalation
    while not escalation.is_at_final_stage:
        escalation = services.escalate_stage(
            escalation=escalation, actor=director, reason="No agreement.", today=date(2026, 12, 18)
        )
    client = settled(world.raiser)
    client.get(escalation.get_absolute_url())

    with django_assert_num_queries(FINAL_DETAIL_QUERIES):
        response = client.get(escalation.get_absolute_url())

    assert "panel" in response.content.decode().lower()


# --- Raising: the first step's form ---------------------------------------------------

# The request path (3); which version is the raiser's partnership's newest, one id read
# (1): the version itself is held once read. (Before: 7.)
RAISE_FORM_QUERIES = 4


def test_the_raise_form(world: World, django_assert_num_queries: CountQueries) -> None:
    client = settled(world.raiser)
    client.get(reverse("escalations:raise"))  # the procedure version is read once

    with django_assert_num_queries(RAISE_FORM_QUERIES):
        assert client.get(reverse("escalations:raise")).status_code == 200


# --- The API ----------------------------------------------------------------------------

# No session. The token with its person, account, agency and partnership (1); whether the
# person is active, which reads their roles, kept for the request (1). The escalation
# through the visibility filter with its record, as the page reads it (11). Who may do
# what is the stage machine's answer about the rows the record read, with no query of its
# own. The read trail's row (1). (Before: 25, with access read apart from the record and
# the stage machine's rows, the party agencies and the raiser read again.)
API_DETAIL_QUERIES = 14


def test_the_api_escalation(world: World, django_assert_num_queries: CountQueries) -> None:
    client = api_client(world.raiser)
    path = f"/api/v1/escalations/{world.escalation.pk}/"
    assert client.get(path).status_code == 200  # the token's first use is recorded

    with django_assert_num_queries(API_DETAIL_QUERIES):
        assert client.get(path).status_code == 200


# Raising through the API, as an integration does. The token with its person (1) and their
# roles (1); the partnership's newest version (1); the idempotency key, looked up (1), its
# savepoint (2), and at the end expired keys looked for (none) and this one kept (2). The other
# agency (1); the counterpart (1); the raise's own savepoint (2), the counterpart's roles
# and account (2). The writes: subject, reference, escalation, first stage, parties and who
# is involved (6); the audit chain's tail and event (2), and its lock on PostgreSQL (1).
# Who is told: the parties, the ladders above the two people, each agency's rungs, the
# partnership's role holders, the event, keys already written, digest choices, the rows
# and their ids (9). The read trail (1). The new case is answered from the rows raising
# wrote, not read back; its notifications' one delivery task is queued after the commit,
# which a test's transaction never reaches. The board's tallies: the raise month noted for
# the escalation and for its first stage (2; their one recount task is queued after the
# commit too). (Before: 45, with the partnership read, the case read back in 11 and a task
# per notification.)
API_RAISE_QUERIES = 34 if connection.vendor == "sqlite" else 35


def test_the_api_raise(world: World, django_assert_num_queries: CountQueries) -> None:
    other = world.escalation.other_agency
    body = {
        "subject": {"kind": "child", "name": "Jo Invented", "case_reference": "C-9"},
        "other_agency": other.pk,
        "counterpart": world.escalation.counterpart_id,
        "category": world.escalation.category,
        "decision_disputed": "A decision (invented).",
        "evidence": "Evidence.",
        "desired_outcome": "An outcome.",
    }
    client = api_client(world.raiser, ApiToken.Scope.WRITE)
    client.post("/api/v1/escalations/", body, format="json", HTTP_IDEMPOTENCY_KEY="first")

    with django_assert_num_queries(API_RAISE_QUERIES):
        response = client.post(
            "/api/v1/escalations/", body, format="json", HTTP_IDEMPOTENCY_KEY="second"
        )

    assert response.status_code == 201, response.content


# The token with its person (1) and their roles (1); the partnerships the person acts for
# and belongs to (2); the person as the directory shows them (1) with their roles (1).
API_ME_QUERIES = 6


def test_the_api_me(world: World, django_assert_num_queries: CountQueries) -> None:
    client = api_client(world.raiser)
    assert client.get("/api/v1/people/me/").status_code == 200

    with django_assert_num_queries(API_ME_QUERIES):
        assert client.get("/api/v1/people/me/").status_code == 200


@pytest.fixture(autouse=True)
def _no_throttle_carried_over() -> Iterator[None]:
    """The API's rate limits count in the cache; a fresh count keeps these tests apart."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
