"""Partnerships and procedures, agencies and people: read by integrations, changed by
administrators through the directory's services.
"""

from __future__ import annotations

import pytest

from escalate.api.tests.conftest import API_URLS, World, client_for
from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.escalations.tests.factories import PersonFactory, shipped_policy
from escalate.organisations.models import Agency, Person

pytestmark = pytest.mark.urls(API_URLS)


def test_partnerships_and_their_procedures(world: World):
    client = client_for(world.raiser)
    version = world.escalation.policy.version

    slugs = [row["slug"] for row in client.get("/api/v1/partnerships/").json()]
    nel = client.get("/api/v1/partnerships/nel/").json()
    versions = client.get("/api/v1/partnerships/nel/policies/").json()
    policy = client.get(f"/api/v1/partnerships/nel/policies/{version}/").json()

    assert "nel" in slugs
    assert nel["current_policy_version"] == version
    assert [row["version"] for row in versions] == [version]
    assert [stage["number"] for stage in policy["stages"]] == [1, 2, 3, 4, 5]
    assert policy["stages"][0]["deadline"] == {
        "kind": "by_working_day",
        "days": 2,
        "description": "by working day 2 of the procedure",
    }
    assert policy["covers"] == ["adult", "child"]


def test_the_timeline_matches_the_worked_example(world: World):
    version = world.escalation.policy.version
    response = client_for(world.raiser).get(
        f"/api/v1/partnerships/nel/policies/{version}/timeline/?raised=2026-12-18"
    )

    assert response.status_code == 200
    assert [stage["due_on"] for stage in response.json()["stages"]] == [
        "2026-12-21",
        "2026-12-31",
        "2027-01-06",
        "2027-01-12",
        "2027-01-21",
    ]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("raised=18-12-2026", 400),
        ("raised=1999-01-01", 400),
        # Well-formed questions the procedure refuses: 409, as a raise would be.
        ("raised=2026-12-18&start_at=9", 409),
        ("raised=2026-12-18&immediate_risk=true&start_at=4", 409),
        ("raised=2026-12-18&start_at=2", 409),  # stage 1 unless at immediate risk
        ("raised=2026-12-18&immediate_risk=true&start_at=2", 409),  # NEL: stage 1 only
        ("raised=2026-12-18&immediate_risk=true&start_at=1", 200),
    ],
)
def test_the_timeline_refuses_bad_questions(world: World, query: str, status: int):
    version = world.escalation.policy.version
    response = client_for(world.raiser).get(
        f"/api/v1/partnerships/nel/policies/{version}/timeline/?{query}"
    )

    assert response.status_code == status, response.content


def test_unknown_partnerships_and_versions_are_404(world: World):
    client = client_for(world.raiser)
    for path in (
        "partnerships/nowhere/",
        "partnerships/nel/policies/9/",
        "partnerships/nel/policies/x/",
    ):
        assert client.get(f"/api/v1/{path}").status_code == 404


def test_agencies_are_those_of_the_persons_partnership(world: World):
    elsewhere = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)

    names = [
        row["name"] for row in client_for(world.raiser).get("/api/v1/agencies/").json()["results"]
    ]

    assert world.school.name in names
    assert elsewhere.agency.name not in names
    assert (
        client_for(world.raiser).get(f"/api/v1/agencies/{elsewhere.agency.pk}/").status_code == 404
    )


def test_people_are_those_of_the_persons_partnership(world: World):
    elsewhere = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)
    client = client_for(world.raiser)

    ids = [row["id"] for row in client.get("/api/v1/people/?page_size=100").json()["results"]]

    assert world.counterpart.pk in ids
    assert elsewhere.pk not in ids
    assert client.get(f"/api/v1/people/{elsewhere.pk}/").status_code == 404
    by_email = client.get(f"/api/v1/people/?email={world.counterpart.email.upper()}").json()
    assert [row["id"] for row in by_email["results"]] == [world.counterpart.pk]


def test_only_administrators_change_the_directory(world: World):
    client = client_for(world.raiser)

    created = client.post(
        "/api/v1/people/", {"name": "New Person", "email": "new@example.org"}, format="json"
    )
    agency = client.post(
        "/api/v1/agencies/", {"partnership": "nel", "name": "New", "kind": "health"}, format="json"
    )

    assert created.status_code == agency.status_code == 403


def test_an_administrator_adds_and_changes_a_person(world: World):
    client = client_for(world.administrator)

    created = client.post(
        "/api/v1/people/",
        {
            "name": "Nia New",
            "email": "Nia.New@example.org",
            "job_title": "Health visitor",
            "agency": world.school.pk,
            "ladder_role": "practitioner",
            "partnership_roles": [{"partnership": "nel", "roles": ["panel_member"]}],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="new-nia",
    )

    assert created.status_code == 201, created.content
    person = Person.objects.get(pk=created.json()["id"])
    assert person.email == "nia.new@example.org"
    assert created.json()["partnership_roles"] == [{"partnership": "nel", "role": "panel_member"}]
    assert AuditEvent.objects.filter(
        event=events.PERSON_CREATED, actor=world.administrator
    ).exists()

    path = f"/api/v1/people/{person.pk}/"
    seen = client.get(path)["ETag"]
    changed = client.put(
        path,
        {
            "name": "Nia New",
            "email": "nia.new@example.org",
            "job_title": "Team manager",
            "agency": world.school.pk,
            "ladder_role": "line_manager",
        },
        format="json",
        HTTP_IF_MATCH=seen,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["ladder_role"] == "line_manager"
    assert changed.json()["partnership_roles"] == []
    assert changed["ETag"] != seen

    stale = client.put(
        path,
        {"name": "Nia Old", "email": "nia.new@example.org", "agency": world.school.pk},
        format="json",
        HTTP_IF_MATCH=seen,
    )
    assert stale.status_code == 412
    missing = client.put(
        path,
        {"name": "Nia Old", "email": "nia.new@example.org", "agency": world.school.pk},
        format="json",
    )
    assert missing.status_code == 428


def test_the_directorys_rules_come_back_as_field_errors(world: World):
    response = client_for(world.administrator).post(
        "/api/v1/people/",
        {"name": "Copy", "email": world.raiser.email, "agency": world.school.pk},
        format="json",
    )

    assert response.status_code == 409  # well-formed, but the directory has them already
    assert response.json()["errors"][0]["pointer"] == "#/email"


def test_an_administrator_adds_and_renames_an_agency(world: World):
    client = client_for(world.administrator)

    created = client.post(
        "/api/v1/agencies/",
        {"partnership": "nel", "name": "Invented Hospital", "kind": "health"},
        format="json",
    )
    assert created.status_code == 201, created.content
    path = f"/api/v1/agencies/{created.json()['id']}/"
    renamed = client.put(
        path,
        {"name": "Invented Hospital Trust", "kind": "health"},
        format="json",
        HTTP_IF_MATCH=client.get(path)["ETag"],
    )

    assert renamed.status_code == 200, renamed.content
    assert Agency.objects.get(pk=created.json()["id"]).name == "Invented Hospital Trust"
    duplicate = client.post(
        "/api/v1/agencies/",
        {"partnership": "nel", "name": "invented hospital trust", "kind": "health"},
        format="json",
    )
    assert duplicate.status_code == 409
