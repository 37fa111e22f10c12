"""The learning loop through the API (decision 0013): board actions made from the practice
issues log and tracked to done, and good practice recognised on a case.

Who may, and what is valid, is the services' answer, asked by both doors: the business
manager and chair reach the board's records and everyone else gets 404, as in the browser;
the services' refusals are a 409 with the sentence the browser shows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from escalate.api.tests.conftest import API_URLS, World, acting, client_for, escalate_to, etag
from escalate.api.tests.test_parity import NOBODY, browser_refusal
from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.domain import moves
from escalate.escalations.clock import local_today
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import PersonFactory, partnership_person, shipped_policy
from escalate.organisations.models import Person
from escalate.reporting.models import BoardAction, GoodPractice, PracticeIssue
from escalate.reporting.services import (
    complete_board_action,
    create_board_action,
    good_practice_refusal,
    record_good_practice,
    record_practice_issue,
)

pytestmark = pytest.mark.urls(API_URLS)

NOT_OVERSEEING = ["raiser", "manager", "scrutineer", "administrator", "outsider"]


def practice_issue(world: World) -> PracticeIssue:
    """NEL's lead agency reports the issues at stage 3."""
    escalation = escalate_to(world, 3)
    return record_practice_issue(
        escalation=escalation,
        actor=acting(world, world.school, escalation),
        issue="Thresholds differ between the agencies (invented).",
        is_resolved=False,
    )


def make_action(world: World, issue: PracticeIssue, *, days: int = 14) -> BoardAction:
    return create_board_action(
        practice_issue=issue,
        actor=world.business_manager,
        description="Run a multi-agency briefing on thresholds.",
        owner=world.chair,
        due_on=local_today() + timedelta(days=days),
        today=local_today(),
    )


def action_body(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "description": "Revise the threshold guidance.",
        "owner": world.chair.pk,
        "due_on": (local_today() + timedelta(days=28)).isoformat(),
        **overrides,
    }


def create(client: APIClient, issue: PracticeIssue, body: Any, **headers: str) -> Any:
    return client.post(
        f"/api/v1/practice-issues/{issue.pk}/board-actions/", body, format="json", **headers
    )


def complete(client: APIClient, action: BoardAction, body: Any) -> Any:
    return client.post(f"/api/v1/board-actions/{action.pk}/done/", body, format="json")


def recognise(client: APIClient, escalation: Escalation, body: Any, **headers: str) -> Any:
    return client.post(
        f"/api/v1/escalations/{escalation.pk}/good-practice/", body, format="json", **headers
    )


def pointers(response: Any) -> list[str]:
    return [error["pointer"] for error in response.json()["errors"]]


# --- Who reaches the board's records ---------------------------------------------------------


@pytest.mark.parametrize("who", NOT_OVERSEEING)
def test_everyone_else_gets_404_and_changes_nothing(world: World, who: str) -> None:
    issue = practice_issue(world)
    action = make_action(world, issue)
    client = client_for(getattr(world, who))

    answers = [
        client.get("/api/v1/board-actions/"),
        client.get("/api/v1/good-practice/"),
        create(client, issue, action_body(world)),
        complete(client, action, {"outcome": "training"}),
    ]

    assert [answer.status_code for answer in answers] == [404] * 4
    assert {answer["Content-Type"] for answer in answers} == {"application/problem+json"}
    assert BoardAction.objects.count() == 1
    action.refresh_from_db()
    assert action.status == BoardAction.Status.OPEN


def test_another_partnerships_business_manager_gets_404(world: World) -> None:
    issue = practice_issue(world)
    action = make_action(world, issue)
    greenwich = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)
    manager = partnership_person(
        role="business_manager", policy=shipped_policy("greenwich"), name="Gus Greenwich"
    )
    client = client_for(manager)

    assert create(client, issue, action_body(world, owner=greenwich.pk)).status_code == 404
    assert complete(client, action, {"outcome": "training"}).status_code == 404
    assert client.get("/api/v1/board-actions/?show=all").json()["results"] == []


@pytest.mark.parametrize("pk", ["not-a-number", "0", str(NOBODY), "9" * 30])
def test_an_unknown_id_is_404_like_an_unseen_one(world: World, pk: str) -> None:
    client = client_for(world.business_manager)

    made = client.post(f"/api/v1/practice-issues/{pk}/board-actions/", {}, format="json")
    done = client.post(f"/api/v1/board-actions/{pk}/done/", {}, format="json")

    assert (made.status_code, done.status_code) == (404, 404)


# --- Board actions ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["business_manager", "chair"])
def test_the_partnership_makes_a_board_action_from_a_practice_issue(world: World, who: str) -> None:
    issue = practice_issue(world)
    actor: Person = getattr(world, who)

    response = create(client_for(actor), issue, action_body(world))

    assert response.status_code == 201, response.content
    body = response.json()
    action = BoardAction.objects.get()
    assert body["id"] == action.pk
    assert body["practice_issue_id"] == issue.pk
    assert body["escalation_reference"] == issue.escalation.reference
    assert body["owner"] == {"id": world.chair.pk, "name": world.chair.name}
    assert (body["status"], body["outcome"], body["is_overdue"]) == ("open", None, False)
    assert (action.created_by, action.owner) == (actor, world.chair)
    event = AuditEvent.objects.get(event=events.BOARD_ACTION_CREATED)
    assert (event.actor, event.escalation, event.partnership_id) == (
        actor,
        None,  # the partnership's chain, not the case's history
        issue.escalation.partnership_id,
    )


def test_the_list_shows_open_done_or_all_newest_first(world: World) -> None:
    issue = practice_issue(world)
    due_today = make_action(world, issue, days=0)
    done = make_action(world, issue)
    complete_board_action(board_action=done, actor=world.chair, outcome="training", note="")
    client = client_for(world.business_manager)

    def listed(query: str = "") -> list[tuple[int, str, str | None]]:
        response = client.get(f"/api/v1/board-actions/{query}")
        assert response.status_code == 200, response.content
        return [(row["id"], row["status"], row["outcome"]) for row in response.json()["results"]]

    assert listed() == [(due_today.pk, "open", None)]
    assert listed("?show=open") == listed()
    assert listed("?show=done") == [(done.pk, "done", "training")]
    assert listed("?show=all") == [(done.pk, "done", "training"), (due_today.pk, "open", None)]


def test_an_action_past_its_due_date_is_overdue(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_action(world, practice_issue(world), days=0)
    tomorrow = local_today() + timedelta(days=1)
    monkeypatch.setattr("escalate.api.views.reporting.local_today", lambda: tomorrow)

    [row] = client_for(world.chair).get("/api/v1/board-actions/").json()["results"]

    assert row["is_overdue"] is True


def test_marking_done_with_an_outcome(world: World) -> None:
    action = make_action(world, practice_issue(world))
    client = client_for(world.chair)

    response = complete(client, action, {"outcome": "procedure_changed", "note": "Rewritten."})

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["outcome"]) == ("done", "procedure_changed")
    action.refresh_from_db()
    assert (action.status, action.outcome, action.note) == (
        "done",
        "procedure_changed",
        "Rewritten.",
    )
    assert action.completed_by == world.chair
    assert AuditEvent.objects.filter(event=events.BOARD_ACTION_COMPLETED).count() == 1


def test_a_done_action_is_not_done_again(world: World) -> None:
    action = make_action(world, practice_issue(world))
    client = client_for(world.chair)
    assert complete(client, action, {"outcome": "training"}).status_code == 200

    again = complete(client, action, {"outcome": "guidance"})

    assert again.status_code == 409
    assert again.json()["detail"] == "This board action is already done."
    action.refresh_from_db()
    assert action.outcome == "training"


# --- Bad input: a 400 for its shape, the service's 409 for its rules; nothing is kept --------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"owner": None}, "#/owner"),
        ({"owner": "someone"}, "#/owner"),
        ({"due_on": "31/02/2030"}, "#/due_on"),
        ({"description": ""}, "#/description"),
        ({"description": "x" * 20_001}, "#/description"),
    ],
    ids=["no owner", "owner not an id", "not a date", "no description", "too long"],
)
def test_a_board_action_of_the_wrong_shape_is_a_400_for_its_field(
    world: World, body: dict[str, Any], pointer: str
) -> None:
    issue = practice_issue(world)

    response = create(client_for(world.business_manager), issue, action_body(world, **body))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert pointers(response) == [pointer]
    assert not BoardAction.objects.exists()


def test_a_board_action_missing_everything_names_each_field(world: World) -> None:
    response = create(client_for(world.business_manager), practice_issue(world), {})

    assert response.status_code == 400
    assert sorted(pointers(response)) == ["#/description", "#/due_on", "#/owner"]


def test_a_due_date_in_the_past_is_the_services_refusal(world: World) -> None:
    yesterday = (local_today() - timedelta(days=1)).isoformat()

    response = create(
        client_for(world.business_manager),
        practice_issue(world),
        action_body(world, due_on=yesterday),
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "The due date must be today or in the future."
    assert not BoardAction.objects.exists()
    assert not AuditEvent.objects.filter(event=events.BOARD_ACTION_CREATED).exists()


def test_an_owner_from_another_partnership_is_answered_as_nobody(world: World) -> None:
    issue = practice_issue(world)
    stranger = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)
    client = client_for(world.business_manager)

    nobody = create(client, issue, action_body(world, owner=NOBODY))
    elsewhere = create(client, issue, action_body(world, owner=stranger.pk))

    assert nobody.status_code == elsewhere.status_code == 409
    assert nobody.json()["detail"] == elsewhere.json()["detail"] == moves.NOT_IN_PARTNERSHIP
    assert not BoardAction.objects.exists()


@pytest.mark.parametrize(
    ("body", "pointer"),
    [({}, "#/outcome"), ({"outcome": "sideways"}, "#/outcome"), ({"outcome": None}, "#/outcome")],
    ids=["no outcome", "unknown outcome", "null outcome"],
)
def test_marking_done_without_a_known_outcome_is_a_400(
    world: World, body: dict[str, Any], pointer: str
) -> None:
    action = make_action(world, practice_issue(world))

    response = complete(client_for(world.chair), action, body)

    assert response.status_code == 400
    assert pointers(response) == [pointer]
    action.refresh_from_db()
    assert action.status == BoardAction.Status.OPEN


def test_a_retried_board_action_is_made_once(world: World) -> None:
    issue = practice_issue(world)
    client = client_for(world.business_manager)

    first = create(client, issue, action_body(world), HTTP_IDEMPOTENCY_KEY="board-1")
    again = create(client, issue, action_body(world), HTTP_IDEMPOTENCY_KEY="board-1")
    other = create(
        client, issue, action_body(world, description="Other."), HTTP_IDEMPOTENCY_KEY="board-1"
    )

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert BoardAction.objects.count() == 1


def test_a_read_only_token_cannot_make_or_complete(world: World) -> None:
    issue = practice_issue(world)
    action = make_action(world, issue)
    client = client_for(world.business_manager, scope="read")

    assert create(client, issue, action_body(world)).status_code == 403
    assert complete(client, action, {"outcome": "training"}).status_code == 403
    assert client.get("/api/v1/board-actions/").status_code == 200
    assert BoardAction.objects.count() == 1


# --- Pages ------------------------------------------------------------------------------------


def test_board_actions_page_by_keyset(world: World) -> None:
    issue = practice_issue(world)
    made = [make_action(world, issue).pk for _ in range(5)]
    client = client_for(world.business_manager)

    first = client.get("/api/v1/board-actions/?page_size=2").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(second["previous"]).json()

    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert seen == sorted(made, reverse=True)  # newest first
    assert first["previous"] is None and third["next"] is None
    assert back["results"] == first["results"]
    assert "show=all" in client.get("/api/v1/board-actions/?page_size=1&show=all").json()["next"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("cursor=%25%25%25", 404),  # a cursor that names no page
        ("page_size=0", 400),
        ("page_size=101", 400),
        ("show=sideways", 400),
        ("status=open", 400),
    ],
)
def test_a_bad_page_or_filter_is_refused_for_its_parameter(
    world: World, query: str, status: int
) -> None:
    response = client_for(world.business_manager).get(f"/api/v1/board-actions/?{query}")

    assert response.status_code == status
    assert response.json()["errors"][0]["parameter"] == query.split("=")[0]


def test_good_practice_pages_by_keyset(world: World) -> None:
    for number in range(3):
        record_good_practice(
            escalation=world.escalation, actor=world.raiser, description=f"Shared quickly {number}."
        )
    client = client_for(world.chair)

    first = client.get("/api/v1/good-practice/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert [row["description"] for row in first["results"] + second["results"]] == [
        "Shared quickly 2.",
        "Shared quickly 1.",
        "Shared quickly 0.",
    ]
    assert second["next"] is None
    assert client.get("/api/v1/good-practice/?cursor=nonsense").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/board-actions/?show=all", "/api/v1/good-practice/"])
def test_a_list_costs_the_same_for_one_row_or_many(world: World, path: str) -> None:
    issue = practice_issue(world)
    client = client_for(world.business_manager)

    def add() -> None:
        make_action(world, issue)
        record_good_practice(
            escalation=issue.escalation, actor=world.raiser, description="A joint visit."
        )

    add()
    assert client.get(path).status_code == 200  # the token's first use
    with CaptureQueriesContext(connection) as one:
        client.get(path)
    for _ in range(4):
        add()
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(path).json()["results"]) == 5

    assert len(five) == len(one)


# --- Good practice ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["raiser", "counterpart", "business_manager"])
def test_those_involved_or_overseeing_recognise_good_practice(world: World, who: str) -> None:
    actor: Person = getattr(world, who)
    client = client_for(actor)
    before = etag(client, world.escalation)

    response = recognise(
        client,
        world.escalation,
        {"description": "Records were shared the same day."},
        HTTP_IF_MATCH=before,
    )

    assert response.status_code == 201, response.content
    assert response["ETag"] == before  # recognition does not change the case
    entry = GoodPractice.objects.get()
    assert response.json()["id"] == entry.pk
    assert response.json()["recorded_by"] == {"id": actor.pk, "name": actor.name}
    assert entry.escalation == world.escalation
    assert AuditEvent.objects.filter(
        event=events.GOOD_PRACTICE_RECORDED, escalation=world.escalation
    ).exists()


def test_the_overseers_list_good_practice(world: World) -> None:
    record_good_practice(
        escalation=world.escalation, actor=world.raiser, description="A joint visit within a day."
    )

    [row] = client_for(world.business_manager).get("/api/v1/good-practice/").json()["results"]

    assert row["description"] == "A joint visit within a day."
    assert row["escalation_reference"] == world.escalation.reference
    assert row["recorded_by"]["id"] == world.raiser.pk


def test_recognising_good_practice_takes_if_match(world: World) -> None:
    client = client_for(world.raiser)
    body = {"description": "A joint visit."}

    missing = recognise(client, world.escalation, body)
    stale = recognise(client, world.escalation, body, HTTP_IF_MATCH='"999"')

    assert (missing.status_code, stale.status_code) == (428, 412)
    assert not GoodPractice.objects.exists()


def test_recognising_good_practice_without_a_description_is_a_400(world: World) -> None:
    client = client_for(world.raiser)

    response = recognise(
        client,
        world.escalation,
        {"description": "  "},
        HTTP_IF_MATCH=etag(client, world.escalation),
    )

    assert response.status_code == 400
    assert pointers(response) == ["#/description"]
    assert not GoodPractice.objects.exists()


def test_a_reader_who_is_not_involved_is_refused_with_the_services_sentence(world: World) -> None:
    escalation = escalate_to(world)  # the scrutineer reads the final stage only
    client = client_for(world.scrutineer)

    response = recognise(
        client, escalation, {"description": "Well handled."}, HTTP_IF_MATCH=etag(client, escalation)
    )

    assert response.status_code == 409
    assert response.json()["detail"] == good_practice_refusal(escalation, world.scrutineer)
    assert response.json()["detail"]
    assert not GoodPractice.objects.exists()


# --- The same refusal through both doors -------------------------------------------------------


def _browser_post(person: Person, name: str, pk: Any, data: dict[str, Any]) -> list[str]:
    return browser_refusal(person, reverse(f"reporting:{name}", kwargs={"pk": pk}), data)


def test_a_due_date_in_the_past_is_refused_alike_by_both_doors(world: World) -> None:
    issue = practice_issue(world)
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    body = action_body(world, due_on=yesterday)

    shown = _browser_post(world.business_manager, "board_action_new", issue.pk, body)
    answer = create(client_for(world.business_manager), issue, body)

    sentence = "The due date must be today or in the future."
    assert sentence in shown, shown
    assert (answer.status_code, answer.json()["detail"]) == (409, sentence)
    assert not BoardAction.objects.exists()


def test_a_done_action_is_refused_alike_by_both_doors(world: World) -> None:
    action = make_action(world, practice_issue(world))
    complete_board_action(board_action=action, actor=world.chair, outcome="training", note="")
    body = {"outcome": "guidance", "note": ""}

    shown = _browser_post(world.chair, "board_action_done", action.pk, body)
    answer = complete(client_for(world.chair), action, body)

    sentence = "This board action is already done."
    assert sentence in shown, shown
    assert (answer.status_code, answer.json()["detail"]) == (409, sentence)


def test_a_reader_not_involved_is_refused_good_practice_alike_by_both_doors(world: World) -> None:
    escalation = escalate_to(world)
    expected = good_practice_refusal(escalation, world.scrutineer)
    client = client_for(world.scrutineer)

    shown = _browser_post(
        world.scrutineer, "good_practice_new", escalation.pk, {"description": "Well handled."}
    )
    answer = recognise(
        client, escalation, {"description": "Well handled."}, HTTP_IF_MATCH=etag(client, escalation)
    )

    assert expected and expected in shown, shown
    assert (answer.status_code, answer.json()["detail"]) == (409, expected)
    assert not GoodPractice.objects.exists()


@pytest.mark.parametrize("who", ["raiser", "outsider"])
def test_someone_not_overseeing_gets_404_from_both_doors(world: World, who: str) -> None:
    issue = practice_issue(world)
    action = make_action(world, issue)
    person: Person = getattr(world, who)
    browser = Client()
    assert person.user is not None
    browser.force_login(person.user)
    api = client_for(person)

    pages = [
        browser.post(reverse("reporting:board_action_new", kwargs={"pk": issue.pk}), {}),
        browser.post(reverse("reporting:board_action_done", kwargs={"pk": action.pk}), {}),
        browser.get(reverse("reporting:board_actions")),
        browser.get(reverse("reporting:good_practice")),
    ]
    answers = [
        create(api, issue, action_body(world)),
        complete(api, action, {"outcome": "training"}),
        api.get("/api/v1/board-actions/"),
        api.get("/api/v1/good-practice/"),
    ]

    assert [page.status_code for page in pages] == [answer.status_code for answer in answers]
    assert {answer.status_code for answer in answers} == {404}
    assert BoardAction.objects.count() == 1
