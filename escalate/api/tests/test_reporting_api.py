"""The register and the practice issues log: business managers and chairs only."""

from __future__ import annotations

import pytest

from escalate.api.tests.conftest import API_URLS, World, acting, client_for, escalate_to
from escalate.audit.models import ReadEvent
from escalate.escalations.tests.factories import raise_for
from escalate.reporting.services import record_practice_issue

pytestmark = pytest.mark.urls(API_URLS)


@pytest.mark.parametrize("who", ["raiser", "manager", "scrutineer", "administrator", "outsider"])
@pytest.mark.parametrize("path", ["/api/v1/register/", "/api/v1/practice-issues/"])
def test_everyone_else_gets_404(world: World, who: str, path: str):
    response = client_for(getattr(world, who)).get(path)

    assert response.status_code == 404


@pytest.mark.parametrize("who", ["business_manager", "chair"])
def test_the_register_lists_open_escalations_without_narrative(world: World, who: str):
    response = client_for(getattr(world, who)).get("/api/v1/register/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["reference"] == world.escalation.reference
    assert "Alex" not in response.content.decode()
    assert ReadEvent.objects.filter(what=ReadEvent.What.EXPORT).count() == 1


def test_register_filters_and_pages(world: World):
    client = client_for(world.business_manager)

    assert client.get("/api/v1/register/?stage=2").json()["results"] == []
    assert len(client.get("/api/v1/register/?stage=1").json()["results"]) == 1
    assert client.get("/api/v1/register/?partnership=greenwich").json()["results"] == []
    assert client.get("/api/v1/register/?overdue=true").json()["results"] == []
    assert client.get("/api/v1/register/?stage=x").status_code == 400
    assert client.get("/api/v1/register/?cursor=%%%").status_code == 404
    first = client.get("/api/v1/register/?page_size=1").json()
    assert first["next"] is None and first["previous"] is None


def test_the_practice_issues_log(world: World):
    escalation = escalate_to(world, 3)
    record_practice_issue(
        escalation=escalation,
        actor=acting(world, world.school, escalation),
        issue="Thresholds differ.",
        is_resolved=False,
    )
    client = client_for(world.chair)

    rows = client.get("/api/v1/practice-issues/").json()["results"]

    assert [row["issue"] for row in rows] == ["Thresholds differ."]
    assert rows[0]["escalation_reference"] == escalation.reference
    assert client.get("/api/v1/practice-issues/?is_resolved=true").json()["results"] == []


def test_the_register_pages_by_keyset_and_filters_by_status(world: World):
    client = client_for(world.business_manager)
    for _ in range(4):
        raise_for(raised_by=world.raiser, other_agency=world.social_care)

    first = client.get("/api/v1/register/?page_size=2").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(second["previous"]).json()

    seen = [row["reference"] for page in (first, second, third) for row in page["results"]]
    assert len(seen) == 5 and len(set(seen)) == 5
    assert third["next"] is None and first["previous"] is None
    assert back["results"] == first["results"]
    assert {row["status"] for row in first["results"]} == {"open"}
    assert client.get("/api/v1/register/?status=closed").json()["results"] == []
    assert client.get("/api/v1/register/?status=sideways").status_code == 400
    forged = client.get(
        "/api/v1/register/?status=closed&cursor=" + first["next"].split("cursor=")[1]
    )
    assert forged.status_code == 404  # a cursor made for another sort
