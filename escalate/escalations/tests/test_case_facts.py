"""The stage machine's facts stored on the escalation row come back as they went in."""

from __future__ import annotations

import json
import uuid
from datetime import date

from escalate.domain import engine, moves
from escalate.domain.policy import ChecklistItem
from escalate.escalations import authority
from escalate.escalations.models import Escalation


def test_every_fact_survives_the_round_trip_through_json() -> None:
    escalation = Escalation(
        id=uuid.uuid4(),
        partnership_id=3,
        status=engine.Status.RESOLVED.value,
        stage_number=2,
        raised_on=date(2026, 11, 2),
        raised_by_id=11,
        immediate_risk=True,
        panel_reason="The school is not on the panel: it raised the case.",
    )
    case = moves.Case(
        partnership_id=3,
        status=engine.Status.RESOLVED,
        stage_number=2,
        raised_on=date(2026, 11, 2),
        raised_by_id=11,
        parties=(
            moves.Party(5, moves.Side.RAISING),
            moves.Party(6, moves.Side.CHALLENGED, is_lead=True),
            moves.Party(7, moves.Side.CHALLENGED),
        ),
        named_person_ids=frozenset({11, 12, 13}),
        immediate_risk=True,
        proposal=moves.Proposal(agency_id=6, agreed_by=frozenset({6, 5})),
        appointees=(
            moves.Appointee(21, None, moves.AppointeeRole.MEETING_CHAIR),
            moves.Appointee(22, 7, moves.AppointeeRole.PANEL_MEMBER),
        ),
        panel_reason="The school is not on the panel: it raised the case.",
        actions=(
            moves.ActionFacts(31, understanding_confirmed=True),
            moves.ActionFacts(32, False, moves.Implementation.NOT_IMPLEMENTED),
        ),
        answered=frozenset({(next(iter(ChecklistItem)), 5), (list(ChecklistItem)[-1], None)}),
    )

    escalation.case_facts = json.loads(json.dumps(authority.stored_facts(case)))

    assert authority.stored_case(escalation) == case
