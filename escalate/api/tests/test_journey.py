"""A scripted client drives a whole NEL escalation over HTTP, through the API alone.

Raise, record a contact, escalate, propose a resolution with an agreed action and have
the other agency confirm it, confirm the action's shared understanding and check it
back, answer the checklist, close: each change sends the ETag it last read in If-Match
and an Idempotency-Key, as a careful integration would. Each move is made by the rung
the procedure gives it (docs/domain.md decision 7): the practitioners at stage 1, the line
managers at stage 2.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests

from escalate.api.tests.conftest import API_URLS, World, colleague, token_for
from escalate.audit import events
from escalate.escalations.clock import local_today
from escalate.escalations.models import Escalation

pytestmark = pytest.mark.urls(API_URLS)


class Integration:
    """What a case system would write: a session, a token, and the ETag it last saw."""

    def __init__(self, base: str, token: str) -> None:
        self.base = f"{base}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.etag = ""

    def get(self, path: str, **params: Any) -> Any:
        response = self.session.get(f"{self.base}{path}", params=params, timeout=30)
        assert response.status_code == 200, response.text
        self.etag = response.headers.get("ETag", self.etag)
        return response.json()

    def change(self, method: str, path: str, body: Any = None, *, status: int = 200) -> Any:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        if self.etag:
            headers["If-Match"] = self.etag
        response = self.session.request(
            method, f"{self.base}{path}", json=body or {}, headers=headers, timeout=30
        )
        assert response.status_code == status, response.text
        self.etag = response.headers["ETag"]
        return response.json()


@pytest.mark.django_db(transaction=True)
def test_a_whole_nel_escalation_through_the_api(world: World, live_server: Any) -> None:
    today = local_today()
    version = world.escalation.policy.version
    raiser = Integration(live_server.url, token_for(world.raiser))
    school_manager = Integration(
        live_server.url, token_for(colleague(world.school, "line_manager"))
    )
    other_manager = Integration(live_server.url, token_for(world.manager))

    timeline = raiser.get(
        f"/partnerships/nel/policies/{version}/timeline/", raised=today.isoformat()
    )
    assert [stage["number"] for stage in timeline["stages"]] == [1, 2, 3, 4, 5]

    created = raiser.change(
        "POST",
        "/escalations/",
        {
            "subject": {"kind": "child", "name": "Alex Invented", "case_reference": "CASE-0001"},
            "other_agency": world.social_care.pk,
            "counterpart": world.counterpart.pk,
            "category": "threshold",
            "decision_disputed": "Referral judged below threshold.",
            "evidence": "Three missed appointments this month.",
            "desired_outcome": "A strategy discussion this week.",
        },
        status=201,
    )
    escalation = f"/escalations/{created['id']}/"
    assert created["stage_number"] == 1
    assert [party["side"] for party in created["parties"]] == ["raising", "challenged"]
    assert created["waiting_on"] == "parties"

    raiser.change(
        "POST",
        f"{escalation}contacts/",
        {
            "kind": "telephone",
            "between": "Sam Raiser (class teacher) and Kim Other (social worker)",
            "summary": "Discussed the decision; not agreed.",
            "outcome": "Sam will escalate to line managers.",
            "happened_on": today.isoformat(),
        },
        status=201,
    )
    escalated = raiser.change("POST", f"{escalation}escalate/", {"reason": "Not agreed."})
    assert escalated["stage_number"] == 2
    allowed = {move["move"] for move in escalated["moves"] if move["allowed"]}
    assert "propose_resolution" not in allowed  # stage 2 belongs to the line managers

    other_manager.get(escalation)
    proposed = other_manager.change(
        "POST",
        f"{escalation}resolve/",
        {
            "agreed_outcome": "A strategy discussion will be held.",
            "actions": [
                {
                    "description": "Hold a strategy discussion.",
                    "owner": world.counterpart.pk,
                    "due_on": (today + timedelta(days=7)).isoformat(),
                }
            ],
        },
    )
    assert proposed["status"] == "open"
    assert proposed["waiting_on"] == "confirmation"
    assert proposed["proposal"]["agency"]["id"] == world.social_care.pk
    assert [agency["id"] for agency in proposed["waiting_on_agencies"]] == [world.school.pk]

    school_manager.get(escalation)
    resolved = school_manager.change("POST", f"{escalation}resolution/confirm/")
    assert resolved["status"] == "resolved"
    assert resolved["proposal"] is None
    action = resolved["agreed_actions"][0]["id"]

    raiser.get(escalation)
    raiser.change("POST", f"{escalation}agreed-actions/{action}/confirm/")
    checked = raiser.change(
        "POST",
        f"{escalation}agreed-actions/{action}/check-back/",
        {"implemented": True, "note": "Held on time."},
    )
    assert checked["implementation"] == "implemented"

    checklist = raiser.get(f"{escalation}checklist/")
    assert {entry["answered_by"] for entry in checklist} == {"record", "people"}
    for manager, agency in ((school_manager, world.school), (other_manager, world.social_care)):
        manager.get(escalation)
        for entry in checklist:
            if entry["answered_by"] != "people" or entry["agency"]["id"] != agency.pk:
                continue
            answer: dict[str, Any] = {"is_done": True}
            if entry["item"] == "set_review_date":
                answer["review_on"] = (today + timedelta(days=30)).isoformat()
            manager.change("PUT", f"{escalation}checklist/{entry['item']}/", answer)

    raiser.get(escalation)
    closed = raiser.change("POST", f"{escalation}close/")
    assert closed["status"] == "closed"

    history = [event["event"] for event in raiser.get(f"{escalation}history/")["results"]]
    assert history[0] == events.ESCALATION_RAISED
    assert history[-1] == events.ESCALATION_CLOSED
    for event in (
        events.CONTACT_RECORDED,
        events.STAGE_ESCALATED,
        events.ESCALATION_RESOLVED,
        events.AGREED_ACTION_ADDED,
        events.AGREED_ACTION_UNDERSTANDING_CONFIRMED,
        events.AGREED_ACTION_CHECKED,
        events.CHECKLIST_ITEM_TICKED,
    ):
        assert event in history
    assert Escalation.objects.get(pk=created["id"]).status == Escalation.Status.CLOSED
