"""Resolution is agreement: one agency proposes, every other confirms (domain decision 8)."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from escalate.domain.engine import TransitionRefused
from escalate.escalations import services
from escalate.escalations.models import AgreedAction, Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.escalations.tests.test_views import (
    RAISED_ON,
    World,
    build_world,
    current,
    resolve_data,
    signed_in,
    url,
)
from escalate.organisations.models import Person


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def propose(world: World, by: Person | None = None) -> Escalation:
    return services.resolve_escalation(
        escalation=world.escalation,
        actor=by or world.manager,
        agreed_outcome="Children's services will hold a strategy discussion.",
        actions=[
            services.AgreedActionDetails(
                "Hold the strategy discussion.", world.manager, date(2080, 1, 8)
            )
        ],
        today=RAISED_ON,
    )


def test_the_detail_page_says_who_proposed_and_who_must_confirm(
    client: Client, world: World
) -> None:
    propose(world)

    text = (
        signed_in(client, world.counterpart).get(url("detail", world.escalation)).content.decode()
    )

    assert (
        "Resolution proposed by Lee Manager (Invented Children&#x27;s Services), waiting for "
        "confirmation from Invented Primary School."
    ) in text
    assert "Hold the strategy discussion." in text
    assert "Waiting on Invented Primary School" in text
    assert url("confirm_resolution", world.escalation) not in text  # their agency proposed
    assert "Stage due" in text  # the stage stays open and its deadline runs


def test_the_confirming_agency_reads_the_proposal_then_confirms(
    client: Client, world: World
) -> None:
    propose(world)
    signed_in(client, world.raiser)

    page = client.get(url("confirm_resolution", world.escalation)).content.decode()
    assert "Children&#x27;s services will hold a strategy discussion." in page
    assert "Hold the strategy discussion." in page
    assert "Lee Manager (Team manager, Invented Children&#x27;s Services)" in page
    assert "Waiting on you" in client.get(url("detail", world.escalation)).content.decode()

    response = client.post(
        url("confirm_resolution", world.escalation),
        {"revision": current(world.escalation).revision},
    )

    assert response.status_code == 302
    assert current(world.escalation).status == Escalation.Status.RESOLVED
    assert AgreedAction.objects.get().description == "Hold the strategy discussion."
    assert (
        "Resolution confirmed: escalation resolved"
        in client.get(response["Location"]).content.decode()
    )


def test_the_proposing_agency_cannot_confirm_its_own_proposal(client: Client, world: World) -> None:
    propose(world)

    response = signed_in(client, world.counterpart).get(url("confirm_resolution", world.escalation))

    assert response.status_code == 403
    assert "Your agency has already agreed this resolution" in response.content.decode()


def test_nothing_to_confirm_is_refused_with_the_reason(client: Client, world: World) -> None:
    response = signed_in(client, world.raiser).get(url("confirm_resolution", world.escalation))

    assert response.status_code == 403
    assert "No resolution is waiting for confirmation at this stage." in response.content.decode()


def test_proposing_through_the_page_leaves_the_stage_open(client: Client, world: World) -> None:
    response = signed_in(client, world.manager).post(
        url("resolve", world.escalation), resolve_data(world.escalation.revision, world.manager)
    )

    assert response.status_code == 302
    assert current(world.escalation).status == Escalation.Status.OPEN
    assert "Resolution proposed: the other agencies confirm it next" in (
        client.get(response["Location"]).content.decode()
    )
    again = client.get(url("resolve", world.escalation))
    assert again.status_code == 403
    assert "A resolution is already waiting for confirmation at this stage." in (
        again.content.decode()
    )


def test_the_resolve_page_says_the_other_agencies_confirm(client: Client, world: World) -> None:
    text = signed_in(client, world.raiser).get(url("resolve", world.escalation)).content.decode()

    assert "The other agencies in the disagreement confirm the resolution" in text


def test_where_one_side_only_is_involved_recording_resolves_at_once(
    client: Client, db: None
) -> None:
    """Devon's stage 1 is a talk with one's own supervisor: recording it ends the stage."""
    devon = shipped_policy("devon-preschool")
    preschool = AgencyFactory(partnership=devon.partnership, name="Invented Pre-school")
    health = AgencyFactory(partnership=devon.partnership, name="Invented Health", kind="health")
    raiser = PersonFactory(agency=preschool)
    escalation = raise_for(raised_by=raiser, other_agency=health, today=RAISED_ON)
    signed_in(client, raiser)
    assert "Recording the outcome ends this stage" in (
        client.get(url("resolve", escalation)).content.decode()
    )

    response = client.post(url("resolve", escalation), resolve_data(escalation.revision, raiser))

    assert response.status_code == 302
    assert current(escalation).status == Escalation.Status.RESOLVED
    assert "Escalation resolved" in client.get(response["Location"]).content.decode()


def test_a_refused_confirmation_shows_the_service_s_sentence(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page passes the stage machine's gate, the service refuses: the form says why."""
    propose(world)

    def refuse(**kwargs: object) -> None:
        raise TransitionRefused("The service's own sentence.")

    monkeypatch.setattr(services, "confirm_resolution", refuse)
    response = signed_in(client, world.raiser).post(
        url("confirm_resolution", world.escalation),
        {"revision": current(world.escalation).revision},
    )

    assert response.status_code == 200
    assert "The service&#x27;s own sentence." in response.content.decode()
