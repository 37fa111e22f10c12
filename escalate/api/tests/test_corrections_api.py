"""Corrections through the API (decision 0025): the same service, the same refusals, and
the contact's first version and every correction readable."""

from __future__ import annotations

from django.test import Client

from escalate.api.tests.conftest import World, client_for, etag
from escalate.api.tests.test_escalations_api import call, contact_body, url
from escalate.domain.moves import CORRECTION_REFUSED
from escalate.domain.policy import FinalStageKind
from escalate.escalations import services
from escalate.escalations.models import Contact, Correction, Escalation, FinalDecision
from escalate.escalations.tests.test_pages_final_stage import at_final_stage
from escalate.escalations.tests.test_views import signed_in


def recorded(world: World) -> Contact:
    client = client_for(world.counterpart)
    response = call(
        client,
        "post",
        url(world.escalation, "contacts/"),
        contact_body(),
        HTTP_IF_MATCH=etag(client, world.escalation),
    )
    assert response.status_code == 201
    return Contact.objects.get(pk=response.json()["id"])


def test_the_author_corrects_one_answer_and_the_rest_stay(world: World) -> None:
    contact = recorded(world)
    client = client_for(world.counterpart)

    response = call(
        client,
        "post",
        url(world.escalation, f"contacts/{contact.pk}/corrections/"),
        {"summary": "Discussed the threshold decision.", "reason": "I named the wrong decision."},
        HTTP_IF_MATCH=etag(client, world.escalation),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["summary"] == "Discussed the threshold decision."
    assert body["outcome"] == "Kim will ask her manager to review it."
    assert body["as_recorded"]["summary"] == "Discussed the referral decision."
    [correction] = body["corrections"]
    assert correction["reason"] == "I named the wrong decision."
    assert correction["corrected_by"]["name"] == "Kim Other"
    listed = call(client, "get", url(world.escalation, "contacts/")).json()
    assert listed[0]["summary"] == "Discussed the threshold decision."
    detail = call(client, "get", url(world.escalation)).json()
    assert detail["contacts"][0]["corrections"][0]["reason"] == "I named the wrong decision."


def test_the_authors_manager_may_and_the_other_side_may_not(world: World) -> None:
    contact = recorded(world)
    path = url(world.escalation, f"contacts/{contact.pk}/corrections/")
    body = {"outcome": "Kim's manager will review it today.", "reason": "The day was agreed."}

    raiser = client_for(world.raiser)
    refused = call(raiser, "post", path, body, HTTP_IF_MATCH=etag(raiser, world.escalation))
    assert refused.status_code == 409
    assert refused.json()["detail"] == CORRECTION_REFUSED
    assert not Correction.objects.exists()

    manager = client_for(world.manager)
    allowed = call(manager, "post", path, body, HTTP_IF_MATCH=etag(manager, world.escalation))
    assert allowed.status_code == 201


def test_the_page_and_the_api_give_the_same_refusal(world: World) -> None:
    contact = recorded(world)

    page = signed_in(Client(), world.raiser).get(
        f"/escalations/{world.escalation.pk}/contacts/{contact.pk}/correct/"
    )

    assert page.status_code == 403
    assert CORRECTION_REFUSED.replace("'", "&#x27;") in page.content.decode()


def test_a_correction_that_changes_nothing_or_gives_no_reason_is_refused(world: World) -> None:
    contact = recorded(world)
    client = client_for(world.counterpart)
    path = url(world.escalation, f"contacts/{contact.pk}/corrections/")

    same = call(
        client, "post", path, {"reason": "No change."}, HTTP_IF_MATCH=etag(client, world.escalation)
    )
    no_reason = call(
        client, "post", path, {"summary": "New."}, HTTP_IF_MATCH=etag(client, world.escalation)
    )

    assert same.status_code == 409
    assert "Change at least one answer" in same.json()["detail"]
    assert no_reason.status_code == 400
    assert not Correction.objects.exists()


def test_an_unknown_contact_is_404(world: World) -> None:
    client = client_for(world.counterpart)

    response = call(
        client,
        "post",
        url(world.escalation, "contacts/999999/corrections/"),
        {"summary": "New.", "reason": "Why."},
        HTTP_IF_MATCH=etag(client, world.escalation),
    )

    assert response.status_code == 404


def test_the_chair_corrects_their_decision_through_the_api(db: None) -> None:
    final = at_final_stage("nel")
    services.record_final_decision(
        escalation=final.escalation,
        actor=final.chair,
        decided_by_kind=FinalStageKind.CHAIR_DECISION,
        decision="A joint vist.",
    )
    escalation = Escalation.objects.get(pk=final.escalation.pk)
    client = client_for(final.chair)

    response = call(
        client,
        "post",
        url(escalation, "decision/corrections/"),
        {"decision": "A joint visit.", "reason": "A spelling mistake."},
        HTTP_IF_MATCH=etag(client, escalation),
    )

    assert response.status_code == 200
    decision = response.json()["final_decision"]
    assert (decision["decision"], decision["as_recorded"]) == ("A joint visit.", "A joint vist.")
    assert decision["corrections"][0]["reason"] == "A spelling mistake."
    assert FinalDecision.objects.get().decision == "A joint vist."
