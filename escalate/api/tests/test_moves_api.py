"""The stage machine through the API: what an escalation says about whose move it is, and
the operations for agreement, reopening, more agencies and the final stage's appointments.

Refusals are the parity test's subject (``test_parity.py``); here each operation is made
by the person the procedure gives it to, and the record shows what it left.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from escalate.api.tests.conftest import (
    API_URLS,
    World,
    acting,
    client_for,
    colleague,
    escalate_to,
    etag,
    resolve_now,
)
from escalate.api.tests.test_parity import climb, elsewhere
from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.domain.moves import Move
from escalate.domain.policy import LadderRole
from escalate.escalations import authority, services
from escalate.escalations.clock import local_today
from escalate.escalations.models import AgreedAction, Escalation, Party
from escalate.escalations.tests.factories import AgencyFactory, partnership_person
from escalate.organisations.models import Person

pytestmark = pytest.mark.urls(API_URLS)


def url(escalation: Escalation, rest: str = "") -> str:
    return f"/api/v1/escalations/{escalation.pk}/{rest}"


def change(person: Person, method: str, escalation: Escalation, rest: str, body: Any = None) -> Any:
    client = client_for(person)
    return getattr(client, method)(
        url(escalation, rest), body, format="json", HTTP_IF_MATCH=etag(client, escalation)
    )


# --- What the record says ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["raiser", "counterpart", "manager", "business_manager", "chair"])
def test_the_moves_are_the_stage_machines_for_the_person_asking(world: World, who: str) -> None:
    person = getattr(world, who)

    body = client_for(person).get(url(world.escalation)).json()

    expected = [
        {"move": option.move.value, "allowed": option.allowed, "refusal": option.refusal}
        for option in authority.moves_of(person, world.escalation).options
    ]
    assert body["moves"] == expected
    assert {row["move"] for row in body["moves"]} == {move.value for move in Move}


def test_the_record_shows_the_parties_and_whose_move_it_is(world: World) -> None:
    body = client_for(world.raiser).get(url(world.escalation)).json()

    assert body["parties"] == [
        {
            "agency": {"id": world.school.pk, "name": world.school.name},
            "side": "raising",
            "is_lead": False,
            "practitioner": {"id": world.raiser.pk, "name": world.raiser.name},
            "joined_on": world.escalation.raised_on.isoformat(),
        },
        {
            "agency": {"id": world.social_care.pk, "name": world.social_care.name},
            "side": "challenged",
            "is_lead": False,
            "practitioner": {"id": world.counterpart.pk, "name": world.counterpart.name},
            "joined_on": world.escalation.raised_on.isoformat(),
        },
    ]
    assert body["waiting_on"] == "parties"
    assert [agency["id"] for agency in body["waiting_on_agencies"]] == [
        world.school.pk,
        world.social_care.pk,
    ]
    assert body["proposal"] is None
    assert body["appointments"] == []
    listed = client_for(world.raiser).get("/api/v1/escalations/").json()["results"]
    assert listed[0]["waiting_on"] == "parties"


# --- Agreement: one side proposes, the other confirms ----------------------------------------


def test_a_proposal_waits_for_the_other_agency_then_resolves(world: World) -> None:
    body = {
        "agreed_outcome": "A strategy discussion will be held.",
        "actions": [
            {
                "description": "Hold a strategy discussion.",
                "owner": world.counterpart.pk,
                "due_on": (local_today() + timedelta(days=3)).isoformat(),
            }
        ],
    }

    proposed = change(world.raiser, "post", world.escalation, "resolve/", body)

    assert proposed.status_code == 200, proposed.content
    assert proposed.json()["status"] == "open"
    assert proposed.json()["waiting_on"] == "confirmation"
    proposal = proposed.json()["proposal"]
    assert proposal["agency"]["id"] == world.school.pk
    assert proposal["proposed_by"]["id"] == world.raiser.pk
    assert proposal["actions"][0]["owner"]["id"] == world.counterpart.pk
    assert proposal["confirmations"] == []
    assert not AgreedAction.objects.exists()

    confirmed = change(world.counterpart, "post", world.escalation, "resolution/confirm/")

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "resolved"
    assert confirmed.json()["waiting_on"] == "check_back"
    assert [a["description"] for a in confirmed.json()["agreed_actions"]] == [
        "Hold a strategy discussion."
    ]
    assert AuditEvent.objects.filter(event=events.ESCALATION_RESOLVED).exists()


def test_the_proposing_agency_cannot_confirm_its_own_proposal(world: World) -> None:
    services.resolve_escalation(
        escalation=world.escalation,
        actor=world.raiser,
        agreed_outcome="Agreed.",
        actions=[services.AgreedActionDetails("Do it.", world.counterpart, local_today())],
    )

    response = change(world.raiser, "post", world.escalation, "resolution/confirm/")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Your agency has already agreed this resolution; the other agencies confirm it."
    )


# --- Agreed actions, the checklist, reopening ----------------------------------------------


def test_a_check_back_without_a_note_when_not_done_is_the_services_refusal(world: World) -> None:
    escalation = resolve_now(world)
    action = AgreedAction.objects.get(escalation=escalation)
    services.confirm_understanding(action=action, actor=world.raiser)

    response = change(
        world.raiser,
        "post",
        escalation,
        f"agreed-actions/{action.pk}/check-back/",
        {"implemented": False},
    )

    assert response.status_code == 409
    assert response.json()["detail"] == ("Enter why the action was not done and what happens next.")


def test_each_agency_answers_its_own_checklist_items(world: World) -> None:
    escalation = resolve_now(world)
    client = client_for(world.raiser)

    checklist = client.get(url(escalation, "checklist/")).json()

    assert [(e["item"], e["answered_by"], (e["agency"] or {}).get("id")) for e in checklist] == [
        ("record_outcome", "record", None),
        ("record_on_subject_file", "people", world.school.pk),
        ("record_on_subject_file", "people", world.social_care.pk),
    ]
    assert checklist[0]["state"] == "done"

    mine = change(
        world.raiser, "put", escalation, "checklist/record_on_subject_file/", {"is_done": True}
    )
    known = change(world.raiser, "put", escalation, "checklist/record_outcome/", {"is_done": True})
    why_not = change(
        world.counterpart,
        "put",
        escalation,
        "checklist/record_on_subject_file/",
        {"is_done": False},
    )

    assert mine.status_code == 200, mine.content
    assert mine.json()["agency"]["id"] == world.school.pk
    assert mine.json()["state"] == "done"
    assert known.status_code == 409
    assert known.json()["detail"] == (
        "Escalate answers that item from the record itself; nobody ticks it."
    )
    assert why_not.status_code == 409
    assert why_not.json()["detail"] == "Enter why this has not been done."
    states = {
        (e["agency"] or {}).get("id"): e["state"]
        for e in client.get(url(escalation, "checklist/")).json()
        if e["item"] == "record_on_subject_file"
    }
    assert states == {world.school.pk: "done", world.social_care.pk: "to_do"}


@pytest.mark.parametrize(("to_next_stage", "stage"), [(False, 1), (True, 2)])
def test_reopening_after_a_failed_check_back(world: World, to_next_stage: bool, stage: int) -> None:
    escalation = resolve_now(world)
    action = AgreedAction.objects.get(escalation=escalation)
    services.confirm_understanding(action=action, actor=world.raiser)
    services.check_back_action(
        action=action, actor=world.raiser, implemented=False, note="It was not held."
    )

    response = change(
        world.raiser,
        "post",
        escalation,
        "reopen/",
        {"reason": "The discussion was not held.", "to_next_stage": to_next_stage},
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "open"
    assert response.json()["stage_number"] == stage
    [old] = response.json()["agreed_actions"]
    assert old["superseded_at"] is not None
    assert AuditEvent.objects.filter(event=events.ESCALATION_REOPENED).exists()


def test_reopening_needs_a_reason(world: World) -> None:
    response = change(world.raiser, "post", world.escalation, "reopen/", {"reason": ""})

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/reason"


# --- More agencies and the lead agency -------------------------------------------------------


def test_another_agency_joins_the_disagreement(world: World) -> None:
    police_officer = world.outsider

    response = change(
        world.raiser,
        "post",
        world.escalation,
        "parties/",
        {"agency": world.police.pk, "side": "challenged", "practitioner": police_officer.pk},
    )

    assert response.status_code == 201, response.content
    assert response.json()["agency"]["id"] == world.police.pk
    assert response.json()["side"] == "challenged"
    assert response["ETag"] == '"2"'
    assert Party.objects.filter(escalation=world.escalation, agency=world.police).exists()
    sides = [
        party["side"]
        for party in client_for(police_officer).get(url(world.escalation)).json()["parties"]
    ]
    assert sides == ["raising", "challenged", "challenged"]
    listed = client_for(world.raiser).get(f"/api/v1/escalations/?agency={world.police.pk}")
    assert [row["id"] for row in listed.json()["results"]] == [str(world.escalation.pk)]


def test_a_party_practitioner_must_work_in_that_agency(world: World) -> None:
    response = change(
        world.raiser,
        "post",
        world.escalation,
        "parties/",
        {"agency": world.police.pk, "side": "challenged", "practitioner": world.counterpart.pk},
    )

    assert response.status_code == 409
    assert response.json()["detail"] == f"Choose someone who works in {world.police.name}."


def test_the_lead_agency_is_chosen_where_the_procedure_has_one(world: World) -> None:
    case = elsewhere("cscp")

    chosen = change(
        case.raiser, "put", case.escalation, "lead-agency/", {"agency": case.challenged.pk}
    )
    nel = change(world.raiser, "put", world.escalation, "lead-agency/", {"agency": world.school.pk})

    assert chosen.status_code == 200, chosen.content
    leads = [party["agency"]["id"] for party in chosen.json()["parties"] if party["is_lead"]]
    assert leads == [case.challenged.pk]
    assert nel.status_code == 409
    assert nel.json()["detail"] == "This procedure does not name a lead agency."


# --- The final stage: panel, chair, reason, decision -----------------------------------------


def test_the_panel_is_appointed_and_changed_by_those_the_procedure_names(world: World) -> None:
    escalation = escalate_to(world)
    member = partnership_person(role="panel_member", name="Pip Panel")

    added = change(
        world.business_manager, "post", escalation, "panel/members/", {"member": member.pk}
    )
    shown = client_for(world.raiser).get(url(escalation)).json()["appointments"]
    removed = change(world.business_manager, "delete", escalation, f"panel/members/{member.pk}/")

    assert added.status_code == 200, added.content
    assert added.json()["members"] == [{"id": member.pk, "name": "Pip Panel"}]
    assert [(a["person"]["id"], a["role"], a["appointed_by"]["id"]) for a in shown] == [
        (member.pk, "panel_member", world.business_manager.pk)
    ]
    assert removed.status_code == 200, removed.content
    assert removed.json()["members"] == []
    assert client_for(member).get(url(escalation)).status_code == 404
    assert AuditEvent.objects.filter(event=events.PANEL_MEMBER_REMOVED).exists()


def test_why_the_panel_is_made_up_as_it_is_is_recorded(world: World) -> None:
    case = elsewhere("devon-preschool")
    escalation = climb(case)

    response = change(
        case.business_manager,
        "put",
        escalation,
        "panel/reason/",
        {"reason": "The police could not send anyone in time."},
    )

    assert response.status_code == 200, response.content
    assert response.json()["reason"] == "The police could not send anyone in time."
    assert client_for(case.raiser).get(url(escalation)).json()["panel_reason"] == (
        "The police could not send anyone in time."
    )


def test_the_meeting_chair_comes_from_an_uninvolved_agency_and_chairs_the_decision(
    world: World,
) -> None:
    case = elsewhere("greenwich")
    escalation = climb(case)
    board = case.raising.partnership
    health = AgencyFactory(partnership=board, name="Greenwich health", kind="health")
    uninvolved = colleague(health, LadderRole.ASSISTANT_DIRECTOR)
    involved = colleague(case.challenged, LadderRole.ASSISTANT_DIRECTOR)
    for member in (uninvolved, involved):  # board members, as the procedure asks
        member.partnership_roles.create(partnership=board, role="executive_member")

    refused = change(
        case.business_manager, "put", escalation, "panel/chair/", {"chair": involved.pk}
    )
    appointed = change(
        case.business_manager, "put", escalation, "panel/chair/", {"chair": uninvolved.pk}
    )
    decided = change(
        uninvolved,
        "post",
        escalation,
        "decision/",
        {"decided_by_kind": "uninvolved_board_member_meeting", "decision": "A conference is held."},
    )

    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "The meeting's chair must come from an agency that is not in the disagreement."
    )
    assert appointed.status_code == 200, appointed.content
    assert appointed.json()["chair"] == {"id": uninvolved.pk, "name": uninvolved.name}
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "resolved"
    assert decided.json()["final_decision"]["chaired_by_agency"]["id"] == uninvolved.agency_id


def test_the_head_of_service_resolves_stage_3(world: World) -> None:
    escalation = escalate_to(world, 3)
    head = acting(world, world.school, escalation)
    assert head.ladder_role == LadderRole.HEAD_OF_SERVICE.value
    body = {
        "agreed_outcome": "Agreed.",
        "actions": [
            {
                "description": "Review the referral.",
                "owner": world.counterpart.pk,
                "due_on": local_today().isoformat(),
            }
        ],
    }

    response = change(head, "post", escalation, "resolve/", body)

    assert response.status_code == 200, response.content
    assert response.json()["waiting_on"] == "confirmation"
