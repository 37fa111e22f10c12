"""How many queries each list costs, pinned exactly, the same for 3 rows as for 60 (issue 10).

A list reads one page (25 rows, in the pages and the API) however many rows there are, and
what the page's rows need in a fixed number of queries. The request path (session, user,
person, and whether the session is saved) is another test's business
(``test_query_counts.py``): each test here measures it on a fixed page first and pins what
the list adds to it, so the numbers below are the lists' own. Each list is asked for once
before counting, as a process that has served it before: the procedure versions it reads
are held once read (``policies/versions.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from escalate.api.models import ApiToken
from escalate.api.tokens import issue_token
from escalate.escalations import clock
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, Person

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 22)
CountQueries = Callable[[int], AbstractContextManager[object]]
API_URLS = "escalate.api.tests.urls"


@dataclass
class World:
    school: Agency
    social_care: Agency
    raiser: Person
    business_manager: Person

    def raise_more(self, count: int) -> None:
        for index in range(count):
            raise_for(
                raised_by=self.raiser,
                other_agency=self.social_care,
                today=date(2026, 12, 1) + timedelta(days=index % 20),
            )


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(clock, "local_today", lambda: TODAY)
    partnership = shipped_policy("nel").partnership
    school = AgencyFactory(partnership=partnership, name="Invented Primary School")
    social_care = AgencyFactory(
        partnership=partnership, name="Invented Children's Services", kind="childrens_social_care"
    )
    world = World(
        school=school,
        social_care=social_care,
        raiser=PersonFactory(agency=school, name="Sam Raiser"),
        business_manager=partnership_person(role="business_manager", name="Bea Manager"),
    )
    world.raise_more(3)
    return world


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def browser(person: Person) -> Client:
    assert person.user is not None
    client = Client()
    client.force_login(person.user)
    client.get(reverse("api:reference"))
    return client


def request_path(client: Client) -> int:
    """The queries of a fixed page behind sign-in: what every request costs."""
    client.get(reverse("api:reference"))  # the session as it will be for the list
    with CaptureQueriesContext(connection) as floor:
        client.get(reverse("api:reference"))
    return len(floor)


def api_client(person: Person) -> APIClient:
    secret = issue_token(
        person=person,
        actor=person,
        name="Counting",
        scope=ApiToken.Scope.READ,
        lifetime=timedelta(days=30),
    ).secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


# --- Your escalations -------------------------------------------------------------------

# Beyond the request path: which versions are the partnership's current procedures, for
# the filter's choices (1); the page's candidates from the practitioner's own involvement
# rows, in the list's order (1; an overseeing rung adds one for their agency's rows); the
# page through the visibility filter, among those candidates (1), each row holding the
# stage machine's facts (``Escalation.case_facts``); the names of the page's party agencies,
# the other agency's among them (1); the agencies, as the filter's choices (1). (Before:
# 11, with the stage machine's rows read for the page in 6 queries and the versions in 1.)
MINE_QUERIES = 5


def test_your_escalations(world: World, django_assert_num_queries: CountQueries) -> None:
    client = browser(world.raiser)
    floor = request_path(client)
    url = reverse("escalations:mine")
    client.get(url)

    with django_assert_num_queries(floor + MINE_QUERIES):
        client.get(url)
    world.raise_more(57)
    with django_assert_num_queries(floor + MINE_QUERIES):
        response = client.get(url)
    assert response.content.decode().count('<tr class="govuk-table__row">') == 26


# --- The register -----------------------------------------------------------------------

# Beyond the request path: which versions are current, for the filter's choices (1);
# whether the overseer is involved in cases elsewhere, which the visibility filter asks
# (1); the page, its practice issues counted in a subquery, each row holding the stage
# machine's facts (1); the names of its party agencies, raising and other among them (1);
# the agencies, as the filter's choices (1). No count: the page reads only the rows it
# shows. (Before: 11.)
REGISTER_QUERIES = 5


def test_the_register(world: World, django_assert_num_queries: CountQueries) -> None:
    client = browser(world.business_manager)
    floor = request_path(client)
    url = reverse("reporting:register")
    client.get(url)

    with django_assert_num_queries(floor + REGISTER_QUERIES):
        client.get(url)
    world.raise_more(57)
    with django_assert_num_queries(floor + REGISTER_QUERIES):
        response = client.get(url)
    text = response.content.decode()
    assert text.count('<tr class="govuk-table__row">') == 26
    assert "Open escalations, nearest due date first" in text


# Beyond the request path: which versions are current, to check the filters (1); the read
# trail's row (1); the count for the progress bar's end, with the visibility filter's
# question (2); then, as the file streams, the visibility filter's question (1) and each
# keyset chunk of up to 2,000 rows (1; whose move comes from the stored state, so no
# stage-machine rows). The procedure versions are held once read.
REGISTER_CSV_QUERIES = 6


def test_the_register_csv(world: World, django_assert_num_queries: CountQueries) -> None:
    client = browser(world.business_manager)
    floor = request_path(client)
    url = reverse("reporting:register_csv")

    def download() -> int:
        response = client.get(url)
        return b"".join(response.streaming_content).count(b"\r\n")  # type: ignore[attr-defined]

    download()
    with django_assert_num_queries(floor + REGISTER_CSV_QUERIES):
        assert download() == 4
    world.raise_more(57)
    with django_assert_num_queries(floor + REGISTER_CSV_QUERIES):
        assert download() == 61


# --- The API ------------------------------------------------------------------------------

# No session. The token with its person (1) and whether they are active (their roles,
# kept for the request: 1); the page's candidates from the person's own involvement rows,
# in the cursor's order (1); the page, among them (1). The procedure versions are held.
API_LIST_QUERIES = 4


@pytest.mark.urls(API_URLS)
def test_the_api_list(world: World, django_assert_num_queries: CountQueries) -> None:
    client = api_client(world.raiser)
    assert client.get("/api/v1/escalations/").status_code == 200  # the token's first use

    with django_assert_num_queries(API_LIST_QUERIES):
        client.get("/api/v1/escalations/")
    world.raise_more(57)
    with django_assert_num_queries(API_LIST_QUERIES):
        body = client.get("/api/v1/escalations/").json()
    assert len(body["results"]) == 25 and body["next"]


# No session. The token with its person (1) and their roles, kept for the request (1);
# the visibility filter's question whether they are involved elsewhere (1); the page,
# each row holding the stage machine's facts (1); the names of its party agencies (1);
# the read trail's row (1). (Before: 12, with 6 for the stage machine's rows.)
REGISTER_API_QUERIES = 6


@pytest.mark.urls(API_URLS)
def test_the_register_api(world: World, django_assert_num_queries: CountQueries) -> None:
    client = api_client(world.business_manager)
    assert client.get("/api/v1/register/").status_code == 200

    with django_assert_num_queries(REGISTER_API_QUERIES):
        client.get("/api/v1/register/")
    world.raise_more(57)
    with django_assert_num_queries(REGISTER_API_QUERIES):
        body = client.get("/api/v1/register/").json()
    assert len(body["results"]) == 25 and body["next"]
