"""The final stage's pages: the panel, the meeting's chair and the decision (decision 10)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from escalate.escalations import services
from escalate.escalations.models import Appointment, Escalation, FinalDecision
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.escalations.tests.test_views import RAISED_ON, current, signed_in, url
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person


@dataclass
class Final:
    """One partnership's escalation at its final stage, and the people around it."""

    escalation: Escalation
    school: Agency
    health: Agency
    raiser: Person
    chair: Person
    business_manager: Person
    members: list[Person]
    """Board members from the school, health and a third, uninvolved agency."""


def board_member(partnership_slug: str, agency: Agency | None, name: str, role: str) -> Person:
    person = PersonFactory(agency=agency, ladder_role="assistant_director", name=name)
    PartnershipRoleAssignment.objects.create(
        person=person, partnership=shipped_policy(partnership_slug).partnership, role=role
    )
    return person


def at_final_stage(slug: str, *, role: str = "panel_member", **raise_kwargs: object) -> Final:
    policy = shipped_policy(slug)
    partnership = policy.partnership
    school = AgencyFactory(partnership=partnership, name="Invented School")
    health = AgencyFactory(partnership=partnership, name="Invented Trust", kind="health")
    third = AgencyFactory(partnership=partnership, name="Invented Police", kind="police")
    raiser = PersonFactory(agency=school, name="Sam Raiser")
    director = PersonFactory(agency=school, ladder_role="assistant_director")
    escalation = raise_for(raised_by=raiser, other_agency=health, today=RAISED_ON, **raise_kwargs)
    while not escalation.is_at_final_stage:
        escalation = services.escalate_stage(
            escalation=escalation, actor=director, reason="Not agreed.", today=RAISED_ON
        )
    return Final(
        escalation=escalation,
        school=school,
        health=health,
        raiser=raiser,
        chair=partnership_person(role="chair", policy=policy, name="Cal Chair"),
        business_manager=partnership_person(
            role="business_manager", policy=policy, name="Bo Business"
        ),
        members=[
            board_member(slug, school, "Sol School", role),
            board_member(slug, health, "Hal Health", role),
            board_member(slug, third, "Pol Police", role),
        ],
    )


@pytest.fixture
def devon(db: None) -> Final:
    return at_final_stage("devon-preschool")


def test_the_panel_offers_only_people_holding_the_panel_roles_and_never_oneself(
    client: Client, devon: Final
) -> None:
    PartnershipRoleAssignment.objects.create(
        person=devon.chair, partnership=devon.escalation.partnership, role="panel_member"
    )

    text = signed_in(client, devon.chair).get(url("panel", devon.escalation)).content.decode()

    for member in devon.members:
        assert member.name in text
    assert "Cal Chair," not in text  # the chair holds a panel role, but cannot appoint themselves
    assert "Sam Raiser" not in text  # no panel role
    assert "The panel needs representatives of 3 agencies; it has 0." in text


def test_appointing_removing_and_explaining_the_panel(client: Client, devon: Final) -> None:
    _, health_rep, police_rep = devon.members
    signed_in(client, devon.business_manager)
    for member in (health_rep, police_rep):
        response = client.post(
            url("panel", devon.escalation),
            {"revision": current(devon.escalation).revision, "member": member.pk},
        )
        assert response.status_code == 302
    page = client.get(url("panel", devon.escalation)).content.decode()
    assert "The panel needs representatives of 3 agencies; it has 2." in page
    assert url("panel_remove", devon.escalation) in page
    assert url("panel_reason", devon.escalation) in page

    removed = client.post(
        url("panel_remove", devon.escalation),
        {"revision": current(devon.escalation).revision, "member": police_rep.pk},
    )
    assert removed.status_code == 302
    assert "Pol Police left the panel" in client.get(removed["Location"]).content.decode()
    assert not devon.escalation.panel_members.filter(pk=police_rep.pk).exists()

    outsider_rep = board_member(
        "devon-preschool",
        AgencyFactory(partnership=devon.escalation.partnership, name="Invented Charity"),
        "Cha Charity",
        "panel_member",
    )
    for member in (police_rep, outsider_rep):
        client.post(
            url("panel", devon.escalation),
            {"revision": current(devon.escalation).revision, "member": member.pk},
        )
    page = client.get(url("panel", devon.escalation)).content.decode()
    assert "sit on the panel where possible" in page  # the school is not on it
    reason = client.post(
        url("panel_reason", devon.escalation),
        {
            "revision": current(devon.escalation).revision,
            "reason": "The school asked not to sit on it.",
        },
    )
    assert reason.status_code == 302
    page = client.get(url("panel", devon.escalation)).content.decode()
    assert "The school asked not to sit on it." in page
    assert "sit on the panel where possible" not in page

    detail = client.get(url("detail", devon.escalation)).content.decode()
    assert "Hal Health (" in detail
    assert ": Panel member" in detail


def test_a_panel_member_records_the_panel_s_decision(client: Client, devon: Final) -> None:
    for member in devon.members:
        services.add_panel_member(escalation=devon.escalation, actor=devon.chair, member=member)
    member = devon.members[1]

    signed_in(client, member)
    form = client.get(url("decision", devon.escalation)).content.decode()
    assert "A resolution panel hears representations and decides" in form
    assert "The partnership&#x27;s chair decides" not in form  # not theirs to record
    assert "chaired_by_agency" not in form
    response = client.post(
        url("decision", devon.escalation),
        {
            "revision": current(devon.escalation).revision,
            "decided_by_kind": "resolution_panel",
            "decision": "A joint visit this week.",
        },
    )

    assert response.status_code == 302
    assert FinalDecision.objects.get().decided_by == member


def test_a_party_cannot_open_the_panel_page(client: Client, devon: Final) -> None:
    response = signed_in(client, devon.raiser).get(url("panel", devon.escalation))

    assert response.status_code == 403
    assert "Only the chair or the business manager can appoint panel members." in (
        response.content.decode()
    )


@pytest.fixture
def greenwich(db: None) -> Final:
    return at_final_stage("greenwich", role="executive_member", entry_route="refused_icpc")


def test_the_meeting_s_chair_comes_from_an_agency_not_in_the_disagreement(
    client: Client, greenwich: Final
) -> None:
    police_rep = greenwich.members[2]
    as_raiser = signed_in(Client(), greenwich.raiser).get(url("detail", greenwich.escalation))
    assert "Waiting on the chair or the business manager" in as_raiser.content.decode()
    signed_in(client, greenwich.business_manager)
    detail = client.get(url("detail", greenwich.escalation)).content.decode()
    assert url("meeting_chair", greenwich.escalation) in detail
    assert "Waiting on you" in detail

    form = client.get(url("meeting_chair", greenwich.escalation)).content.decode()
    assert "Pol Police" in form
    assert "Sol School" not in form
    assert "Hal Health" not in form
    response = client.post(
        url("meeting_chair", greenwich.escalation),
        {"revision": greenwich.escalation.revision, "chair": police_rep.pk},
    )

    assert response.status_code == 302
    assert Appointment.objects.get().person == police_rep
    detail = client.get(response["Location"]).content.decode()
    assert "Pol Police will chair the meeting" in detail
    assert ": Chair of the meeting" in detail


def test_the_appointed_chair_records_the_decision_and_it_names_their_agency(
    client: Client, greenwich: Final
) -> None:
    police_rep = greenwich.members[2]
    services.appoint_meeting_chair(
        escalation=greenwich.escalation, actor=greenwich.business_manager, chair=police_rep
    )
    assert (
        signed_in(Client(), greenwich.chair).get(url("decision", greenwich.escalation)).status_code
        == 403
    )

    response = signed_in(client, police_rep).post(
        url("decision", greenwich.escalation),
        {
            "revision": current(greenwich.escalation).revision,
            "decided_by_kind": "uninvolved_board_member_meeting",
            "decision": "A conference will be held.",
        },
    )

    assert response.status_code == 302
    assert FinalDecision.objects.get().chaired_by_agency == police_rep.agency
    assert "Chaired by a board member from" in (client.get(response["Location"]).content.decode())


def test_greenwich_has_no_panel_page(client: Client, greenwich: Final) -> None:
    response = signed_in(client, greenwich.chair).get(url("panel", greenwich.escalation))

    assert response.status_code == 403
    assert "This procedure's final stage has no resolution panel." in (
        response.content.decode().replace("&#x27;", "'")
    )
