"""A leaver's open work goes to a named successor in their agency, or is flagged to the
business managers; their sessions end at once; each step is in the history."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.domain.policy import PartnershipRole
from escalate.escalations import leavers, services
from escalate.escalations.access import escalations_visible_to
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import PersonFactory, raise_for
from escalate.notifications.models import Notification
from escalate.organisations import services as directory
from escalate.organisations.models import PartnershipRoleAssignment, Person
from escalate.organisations.services import DirectoryRefused, PersonDetails
from escalate.reporting.tests.conftest import Partnerships
from escalate.reporting.tests.conftest import world as world  # the fixture, shared

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


@pytest.fixture
def administrator(world: Partnerships) -> Person:
    person = PersonFactory(agency=None, ladder_role="", name="Ada Admin")
    PartnershipRoleAssignment.objects.create(
        person=person,
        partnership=world.school.partnership,
        role=PartnershipRole.ADMINISTRATOR.value,
    )
    return person


@pytest.fixture
def successor(world: Partnerships) -> Person:
    return PersonFactory(agency=world.school, name="Sol Successor")


@pytest.fixture
def case(world: Partnerships) -> Escalation:
    """Raised by the teacher, who is leaving."""
    return raise_for(raised_by=world.teacher, other_agency=world.social_care, today=TODAY)


def test_a_leaver_s_escalation_goes_to_their_successor(
    world: Partnerships, administrator: Person, successor: Person, case: Escalation
) -> None:
    handed = leavers.leave(person=world.teacher, successor=successor, actor=administrator)

    assert handed == 1
    case.refresh_from_db()
    assert case.raised_by_id == successor.pk
    assert case in escalations_visible_to(successor)
    world.teacher.refresh_from_db()
    assert not world.teacher.is_active
    assert world.teacher.sessions_revoked_at is not None
    assert not world.teacher.user.is_active
    told = Notification.objects.get(kind=Notification.Kind.HANDED_OVER)
    assert told.recipient_id == successor.pk
    assert told.escalation_id == case.pk


def test_the_hand_over_is_in_the_case_s_history_and_the_leaving_in_the_directory_s(
    world: Partnerships, administrator: Person, successor: Person, case: Escalation
) -> None:
    leavers.leave(person=world.teacher, successor=successor, actor=administrator)

    handed = AuditEvent.objects.get(escalation=case, event=events.WORK_HANDED_OVER)
    assert handed.data == {"from": world.teacher.pk, "to": successor.pk, "places": ["raiser"]}
    assert handed.actor_id == administrator.pk
    left = AuditEvent.objects.get(event=events.PERSON_DEACTIVATED)
    assert left.data == {"person": world.teacher.pk, "successor": successor.pk}


def test_with_nobody_named_the_business_managers_are_told_and_the_place_is_kept(
    world: Partnerships, administrator: Person, case: Escalation
) -> None:
    leavers.leave(person=world.teacher, successor=None, actor=administrator)

    case.refresh_from_db()
    assert case.raised_by_id == world.teacher.pk
    flagged = Notification.objects.get(kind=Notification.Kind.LEAVER_WORK)
    assert flagged.recipient_id == world.manager.pk
    assert leavers.open_work_of(world.teacher).escalation_count == 1


def test_work_flagged_when_they_left_can_be_handed_over_later(
    world: Partnerships, administrator: Person, successor: Person, case: Escalation
) -> None:
    leavers.leave(person=world.teacher, successor=None, actor=administrator)

    handed = leavers.leave(person=world.teacher, successor=successor, actor=administrator)

    assert handed == 1
    case.refresh_from_db()
    assert case.raised_by_id == successor.pk
    assert leavers.open_work_of(world.teacher).escalation_count == 0


def test_making_someone_inactive_in_the_directory_flags_their_work(
    world: Partnerships, administrator: Person, case: Escalation
) -> None:
    teacher = world.teacher
    directory.update_person(
        person=teacher,
        actor=administrator,
        details=PersonDetails(
            name=teacher.name, email=teacher.email, agency=teacher.agency, is_active=False
        ),
        partnership_roles={},
    )

    assert Notification.objects.filter(kind=Notification.Kind.LEAVER_WORK).exists()
    assert AuditEvent.objects.filter(event=events.PERSON_DEACTIVATED).exists()


def test_a_successor_in_another_agency_is_refused_and_nothing_changes(
    world: Partnerships, administrator: Person, case: Escalation
) -> None:
    elsewhere = PersonFactory(agency=world.police)

    with pytest.raises(DirectoryRefused, match="Choose someone in"):
        leavers.leave(person=world.teacher, successor=elsewhere, actor=administrator)

    world.teacher.refresh_from_db()
    assert world.teacher.is_active
    case.refresh_from_db()
    assert case.raised_by_id == world.teacher.pk


def test_agreed_actions_still_to_do_go_to_the_successor(
    world: Partnerships, administrator: Person, successor: Person, case: Escalation
) -> None:
    heads = [
        PersonFactory(agency=case.raising_agency, ladder_role="assistant_director"),
        PersonFactory(agency=case.other_agency, ladder_role="assistant_director"),
    ]
    case = services.resolve_escalation(
        escalation=case,
        actor=heads[0],
        agreed_outcome="A joint visit is booked.",
        actions=[services.AgreedActionDetails("Visit.", world.teacher, date(2026, 12, 4))],
        today=TODAY,
    )
    if case.status == Escalation.Status.OPEN:
        case = services.confirm_resolution(escalation=case, actor=heads[1], today=TODAY)

    leavers.leave(person=world.teacher, successor=successor, actor=administrator)

    assert list(case.agreed_actions.values_list("owner_id", flat=True)) == [successor.pk]
    case.refresh_from_db()
    assert case.raised_by_id == successor.pk  # resolved, waiting for the check-back: live


def test_the_leaver_is_signed_out_at_once(
    world: Partnerships, administrator: Person, successor: Person, client: Client
) -> None:
    client.force_login(world.teacher.user)
    assert client.get("/escalations/").status_code == 200

    leavers.leave(person=world.teacher, successor=successor, actor=administrator)

    assert client.get("/escalations/").status_code == 302


def test_roles_granted_and_revoked_are_each_recorded(
    world: Partnerships, administrator: Person
) -> None:
    nel = world.school.partnership
    person = world.teacher
    details = PersonDetails(name=person.name, email=person.email, agency=person.agency)

    directory.update_person(
        person=person,
        actor=administrator,
        details=details,
        partnership_roles={nel: [PartnershipRole.CHAIR]},
    )
    directory.update_person(
        person=person, actor=administrator, details=details, partnership_roles={nel: []}
    )

    recorded = AuditEvent.objects.filter(event__in=[events.ROLE_GRANTED, events.ROLE_REVOKED])
    assert [(e.event, e.data["role"], e.partnership_id) for e in recorded.order_by("pk")] == [
        (events.ROLE_GRANTED, "chair", nel.pk),
        (events.ROLE_REVOKED, "chair", nel.pk),
    ]


def test_the_administrator_makes_a_leaver_from_their_directory_page(
    world: Partnerships, administrator: Person, successor: Person, case: Escalation, client: Client
) -> None:
    client.force_login(administrator.user)
    person_page = client.get(f"/directory/people/{world.teacher.pk}/edit/").content.decode()
    assert f"/directory/people/{world.teacher.pk}/leave/" in person_page

    page = client.get(f"/directory/people/{world.teacher.pk}/leave/")
    assert "1 escalation still open" in page.content.decode()
    assert successor.name in page.content.decode()

    done = client.post(
        f"/directory/people/{world.teacher.pk}/leave/", {"successor": successor.pk}, follow=True
    )

    assert "is now Sol Successor" in done.content.decode()
    case.refresh_from_db()
    assert case.raised_by_id == successor.pk


def test_the_page_refuses_a_successor_from_another_agency_beside_the_field(
    world: Partnerships, administrator: Person, case: Escalation, client: Client
) -> None:
    client.force_login(administrator.user)
    elsewhere = PersonFactory(agency=world.police)

    page = client.post(f"/directory/people/{world.teacher.pk}/leave/", {"successor": elsewhere.pk})

    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()  # not offered: not in the agency
    world.teacher.refresh_from_db()
    assert world.teacher.is_active


def test_a_partnership_officer_s_successor_must_work_for_the_same_partnership(
    world: Partnerships, administrator: Person
) -> None:
    cscp_chair = PersonFactory(agency=world.cscp_school)

    with pytest.raises(DirectoryRefused, match="holds a role in"):
        leavers.leave(person=world.manager, successor=cscp_chair, actor=administrator)

    world.manager.refresh_from_db()
    assert world.manager.is_active
