"""The API asks the stage machine about the Escalation Notification Form as the pages do
(decision 13): the same sentence, as a 409, and the same answer in ``moves``."""

from __future__ import annotations

from typing import Any

import pytest

from escalate.api.tests.conftest import API_URLS, client_for, colleague, etag
from escalate.api.tests.test_parity import climb, elsewhere
from escalate.domain.moves import Move
from escalate.domain.policy import LadderRole
from escalate.escalations import authority
from escalate.escalations.models import Escalation
from escalate.organisations.models import Person
from escalate.reporting.services import record_practice_issue

pytestmark = [pytest.mark.urls(API_URLS), pytest.mark.django_db]


def url(escalation: Escalation, rest: str = "") -> str:
    return f"/api/v1/escalations/{escalation.pk}/{rest}"


def escalate(lead: Person, escalation: Escalation) -> Any:
    client = client_for(lead)
    return client.post(
        url(escalation, "escalate/"),
        {"reason": "Not agreed."},
        format="json",
        HTTP_IF_MATCH=etag(client, escalation),
    )


def test_escalating_without_the_form_is_the_stage_machines_409(db: None) -> None:
    case = elsewhere("cscp")
    escalation = climb(case, 3)
    lead = colleague(case.raising, LadderRole.SAFEGUARDING_LEAD)

    refused = escalate(lead, escalation)

    assert refused.status_code == 409
    expected = authority.moves_of(lead, escalation).refusal(Move.ESCALATE)
    assert "send the Escalation Notification Form" in expected
    assert refused.json()["detail"] == expected
    listed = {m["move"]: m for m in client_for(lead).get(url(escalation)).json()["moves"]}
    assert listed["escalate"] == {"move": "escalate", "allowed": False, "refusal": expected}


def test_once_the_form_is_sent_the_api_escalates(db: None) -> None:
    case = elsewhere("cscp")
    escalation = climb(case, 3)
    lead = colleague(case.raising, LadderRole.SAFEGUARDING_LEAD)
    record_practice_issue(
        escalation=escalation,
        actor=lead,
        issue="Threshold guidance is unclear on neglect (invented).",
        is_resolved=False,
    )
    escalation.refresh_from_db()

    response = escalate(lead, escalation)

    assert response.status_code == 200, response.json()
    escalation.refresh_from_db()
    assert escalation.stage_number == 4
