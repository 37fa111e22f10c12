"""More than two agencies, and the lead agency where the procedure has one (decision 11)."""

from __future__ import annotations

import pytest
from django.test import Client

from escalate.escalations import services
from escalate.escalations.models import Escalation, Party
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
    signed_in,
    url,
)


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def test_the_party_rows_list_every_agency_with_its_side(client: Client, world: World) -> None:
    text = signed_in(client, world.raiser).get(url("detail", world.escalation)).content.decode()

    assert "Invented Primary School" in text
    assert "Raising side: raised the disagreement" in text
    assert "Challenged side: its decision, action or inaction is challenged" in text
    assert "Practitioner: Kim Other (Social worker, Invented Children&#x27;s Services)" in text
    assert "Lead agency" not in text  # NEL names no lead agency


def test_an_agency_joins_on_a_side_with_its_practitioner(client: Client, world: World) -> None:
    officer = PersonFactory(agency=world.police, name="Dee Officer", job_title="PC")
    signed_in(client, world.counterpart)
    form = client.get(url("add_agency", world.escalation)).content.decode()
    assert "Invented Police" in form
    assert "Dee Officer" in form

    response = client.post(
        url("add_agency", world.escalation),
        {
            "revision": world.escalation.revision,
            "agency": world.police.pk,
            "side": "challenged",
            "practitioner": officer.pk,
        },
    )

    assert response.status_code == 302
    party = Party.objects.get(escalation=world.escalation, agency=world.police)
    assert party.side == Party.Side.CHALLENGED
    assert party.practitioner == officer
    detail = client.get(response["Location"]).content.decode()
    assert "Invented Police added to the disagreement" in detail
    assert "Practitioner: Dee Officer (PC, Invented Police)" in detail


def test_only_this_partnership_s_agencies_not_yet_in_it_are_offered(
    client: Client, world: World
) -> None:
    elsewhere = AgencyFactory(
        partnership=shipped_policy("cscp").partnership, name="Invented Elsewhere Academy"
    )
    signed_in(client, world.raiser)

    form = client.get(url("add_agency", world.escalation)).content.decode()
    posted = client.post(
        url("add_agency", world.escalation),
        {"revision": world.escalation.revision, "agency": elsewhere.pk, "side": "raising"},
    )

    assert "Invented Elsewhere Academy" not in form
    assert "Invented Children&#x27;s Services</option>" not in form  # already in it
    assert "Select a valid choice" in posted.content.decode()
    assert not Party.objects.filter(agency=elsewhere).exists()


def test_a_practitioner_from_another_agency_is_refused_with_the_service_s_sentence(
    client: Client, world: World
) -> None:
    wrong = PersonFactory(agency=world.police, name="Dee Officer")
    health = AgencyFactory(name="Invented Health Visiting", kind="health")

    response = signed_in(client, world.raiser).post(
        url("add_agency", world.escalation),
        {
            "revision": world.escalation.revision,
            "agency": health.pk,
            "side": "raising",
            "practitioner": wrong.pk,
        },
    )

    assert response.status_code == 200
    assert "Choose someone who works in Invented Health Visiting." in response.content.decode()
    assert not Party.objects.filter(agency=health).exists()


def test_the_partnership_cannot_add_an_agency(client: Client, world: World) -> None:
    response = signed_in(client, world.business_manager).get(url("add_agency", world.escalation))

    assert response.status_code == 403
    assert "Only the agencies in this disagreement can add an agency to it." in (
        response.content.decode()
    )


def test_nel_names_no_lead_agency(client: Client, world: World) -> None:
    response = signed_in(client, world.raiser).get(url("lead_agency", world.escalation))

    assert response.status_code == 403
    assert "This procedure does not name a lead agency." in response.content.decode()


@pytest.fixture
def cscp(db: None) -> Escalation:
    cscp = shipped_policy("cscp").partnership
    school = AgencyFactory(partnership=cscp, name="Invented Academy")
    health = AgencyFactory(partnership=cscp, name="Invented Community Health", kind="health")
    raiser = PersonFactory(agency=school, name="Ro Raiser")
    PersonFactory(agency=health, name="Ash Nurse")
    return raise_for(raised_by=raiser, other_agency=health, today=RAISED_ON)


def test_cscp_shows_and_changes_the_lead_agency(client: Client, cscp: Escalation) -> None:
    signed_in(client, cscp.raised_by)
    detail = client.get(url("detail", cscp)).content.decode()
    assert "Lead agency: completes the Escalation Notification Form" in detail
    assert url("lead_agency", cscp) in detail
    form = client.get(url("lead_agency", cscp)).content.decode()
    assert "Invented Academy" in form
    assert "Invented Community Health" in form

    response = client.post(
        url("lead_agency", cscp), {"revision": cscp.revision, "agency": cscp.other_agency_id}
    )

    assert response.status_code == 302
    assert Party.objects.get(escalation=cscp, is_lead=True).agency_id == cscp.other_agency_id
    assert "Invented Community Health is the lead agency" in (
        client.get(response["Location"]).content.decode()
    )
    assert current(cscp).revision == cscp.revision + 1


def test_at_the_line_managers_stage_the_page_names_each_side_s_own_manager(
    client: Client, world: World
) -> None:
    # The raiser's own line manager is named for the school, not every line manager there;
    # children's services names no manager for its practitioner, so its rung is listed.
    PersonFactory(
        agency=world.school, name="Max Deputy", job_title="Deputy head", ladder_role="line_manager"
    )
    world.raiser.line_manager = world.school_manager
    world.raiser.save(update_fields=["line_manager"])
    escalation = services.escalate_stage(
        escalation=world.escalation, actor=world.director, reason="No agreement.", today=RAISED_ON
    )
    assert escalation.stage_number == 2

    text = signed_in(client, world.raiser).get(url("detail", escalation)).content.decode()

    assert "Jo Deputy (Deputy head, Invented Primary School)" in text
    assert "Max Deputy" not in text
    assert "Lee Manager (Team manager, Invented Children&#x27;s Services)" in text
