"""One account, a place in each partnership's directory (decision 20): each partnership gives
and keeps its own entry (agency, rung, line manager); the person signs in once, chooses
where they work, and sees and acts on each partnership's escalations only from its place."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.common import account_security
from escalate.domain.policy import LadderRole, PartnershipRole
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory
from escalate.organisations import services
from escalate.organisations.importing import check_people
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
from escalate.organisations.selectors import PartnershipDirectory
from escalate.organisations.services import DirectoryRefused, PersonDetails
from escalate.organisations.tests.conftest import administrator_of
from escalate.policies.models import Partnership

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(other_partnership: Partnership) -> Agency:
    return AgencyFactory(partnership=other_partnership, name="Hillside Clinic", kind="health")


@pytest.fixture
def hillside_admin(other_partnership: Partnership) -> Person:
    return administrator_of(other_partnership, name="Hal Hillside")


def place_in(agency: Agency, *, rung: LadderRole = LadderRole.PRACTITIONER) -> PersonDetails:
    return PersonDetails(
        name="", email="", job_title="Named nurse", agency=agency, ladder_role=rung
    )


def second_place(actor: Person, practitioner: Person, agency: Agency, **kwargs: object) -> Person:
    return services.add_place_for_someone_elsewhere(
        actor=actor, email=practitioner.email.upper(), place=place_in(agency, **kwargs)
    )


def test_a_place_elsewhere_is_a_new_entry_sharing_the_account_and_is_recorded_there(
    hillside_admin: Person, practitioner: Person, clinic: Agency, other_partnership: Partnership
) -> None:
    there = second_place(hillside_admin, practitioner, clinic)

    assert there.pk != practitioner.pk
    assert there.user_id == practitioner.user_id
    assert (there.name, there.email, there.agency) == (
        practitioner.name,
        practitioner.email,
        clinic,
    )
    created = AuditEvent.objects.get(event=events.PERSON_CREATED)
    assert created.partnership_id == other_partnership.pk
    assert created.data["person"] == there.pk


def test_only_the_agency_s_own_partnership_gives_a_place_in_it(
    administrator: Person, practitioner: Person, clinic: Agency
) -> None:
    # Riverside's administrator cannot place anyone in Hillside's clinic, whatever the form.
    with pytest.raises(DirectoryRefused, match="Only Hillside"):
        second_place(administrator, practitioner, clinic)
    assert not Person.objects.filter(agency=clinic).exists()


def test_a_second_place_in_the_same_partnership_is_refused(
    hillside_admin: Person, practitioner: Person, clinic: Agency
) -> None:
    second_place(hillside_admin, practitioner, clinic)

    with pytest.raises(DirectoryRefused, match="already has a place"):
        second_place(hillside_admin, practitioner, AgencyFactory(partnership=clinic.partnership))


@pytest.mark.parametrize(
    ("email", "says"),
    [("nobody@example.org", "No one in Escalate"), ("leaver@example.org", "no longer active")],
)
def test_an_unknown_or_inactive_address_gets_no_place(
    hillside_admin: Person, clinic: Agency, school: Agency, email: str, says: str
) -> None:
    PersonFactory(agency=school, email="leaver@example.org", is_active=False)

    with pytest.raises(DirectoryRefused, match=says):
        services.add_place_for_someone_elsewhere(
            actor=hillside_admin, email=email, place=place_in(clinic)
        )
    assert not Person.objects.filter(agency=clinic).exists()


def test_the_shared_email_is_changed_only_by_who_keeps_every_place(
    administrator: Person, hillside_admin: Person, practitioner: Person, clinic: Agency
) -> None:
    there = second_place(hillside_admin, practitioner, clinic)
    details = PersonDetails(
        name=practitioner.name,
        email="priya.new@example.org",
        job_title=practitioner.job_title,
        agency=practitioner.agency,
        ladder_role=LadderRole(practitioner.ladder_role),
    )

    with pytest.raises(DirectoryRefused, match="also works in Hillside"):
        services.update_person(
            person=practitioner, details=details, actor=administrator, partnership_roles={}
        )

    both = administrator_of(practitioner.agency.partnership, name="Bo Both")
    PartnershipRoleAssignment.objects.create(
        person=both, partnership=clinic.partnership, role=PartnershipRole.ADMINISTRATOR.value
    )
    services.update_person(person=practitioner, details=details, actor=both, partnership_roles={})
    there.refresh_from_db()
    assert there.email == "priya.new@example.org"
    assert there.user.username == "priya.new@example.org"


def test_leaving_one_place_keeps_the_account_for_the_other(
    administrator: Person, hillside_admin: Person, practitioner: Person, clinic: Agency
) -> None:
    there = second_place(hillside_admin, practitioner, clinic)

    details = PersonDetails(
        name=practitioner.name,
        email=practitioner.email,
        job_title=practitioner.job_title,
        agency=practitioner.agency,
        ladder_role=LadderRole(practitioner.ladder_role),
        is_active=False,
    )
    services.update_person(
        person=practitioner, details=details, actor=administrator, partnership_roles={}
    )

    there.refresh_from_db()
    assert there.is_active
    assert there.user.is_active


def test_an_import_finds_the_line_manager_s_place_in_its_own_partnership(
    hillside_admin: Person, practitioner: Person, clinic: Agency, other_partnership: Partnership
) -> None:
    there = second_place(hillside_admin, practitioner, clinic, rung=LadderRole.LINE_MANAGER)
    report = check_people(
        "name,email,job_title,agency,ladder_role,line_manager_email,partnership_roles\n"
        f"Nell Nurse,nell@example.org,Nurse,{clinic.name},practitioner,{practitioner.email},\n",
        directory=PartnershipDirectory(other_partnership),
    )
    assert report.is_accepted, report.lines()

    services.import_directory(partnership=other_partnership, actor=hillside_admin, rows=report.rows)

    assert Person.objects.get(email="nell@example.org").line_manager == there


def signed_in(client: Client, person: Person) -> Person:
    client.force_login(person.user)
    working_in: Person = client.get(reverse("escalations:mine")).wsgi_request.person  # type: ignore[attr-defined]
    return working_in


def switch(client: Client, place: Person) -> None:
    response = client.post(reverse("accounts:switch_place"), {"place": place.pk})
    assert response.status_code == 302


def test_they_work_in_their_first_place_until_they_choose_another(
    client: Client, hillside_admin: Person, practitioner: Person, clinic: Agency
) -> None:
    there = second_place(hillside_admin, practitioner, clinic)
    assert signed_in(client, practitioner) == practitioner

    switch(client, there)

    page = client.get(reverse("escalations:mine"))
    assert page.wsgi_request.person == there  # type: ignore[attr-defined]
    assert "You are working in <strong>Hillside Safeguarding Partnership (Hillside Clinic)" in (
        page.content.decode()
    )
    assert "Work in Riverside Safeguarding Partnership (Brookfield Primary School)" in (
        page.content.decode()
    )


def test_nobody_switches_into_a_place_that_is_not_theirs(
    client: Client, practitioner: Person, clinic: Agency
) -> None:
    stranger = PersonFactory(agency=clinic)
    signed_in(client, practitioner)

    switch(client, stranger)

    assert signed_in(client, practitioner) == practitioner


def test_a_chosen_place_that_closes_ends_the_session_there(
    client: Client,
    administrator: Person,
    hillside_admin: Person,
    practitioner: Person,
    clinic: Agency,
) -> None:
    there = second_place(hillside_admin, practitioner, clinic)
    signed_in(client, practitioner)
    switch(client, there)

    Person.objects.filter(pk=there.pk).update(is_active=False)

    assert client.get(reverse("escalations:mine")).status_code == 302


def test_roles_come_from_every_active_place_and_a_second_factor_follows_the_highest(
    client: Client, hillside_admin: Person, practitioner: Person, clinic: Agency, settings: object
) -> None:
    settings.ESCALATE_SECOND_FACTOR = "above_practitioner"  # type: ignore[attr-defined]
    there = second_place(hillside_admin, practitioner, clinic, rung=LadderRole.SAFEGUARDING_LEAD)
    PartnershipRoleAssignment.objects.create(
        person=there, partnership=clinic.partnership, role=PartnershipRole.CHAIR.value
    )
    client.force_login(practitioner.user)

    # A practitioner here, but a lead and chair there: the account needs its second factor.
    response = client.get(reverse("escalations:mine"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_set_up"))
    person = response.wsgi_request.person  # type: ignore[attr-defined]
    assert person == practitioner
    assert person.viewer().has_partnership_role(clinic.partnership_id, {PartnershipRole.CHAIR})


def test_signing_out_everywhere_from_one_place_ends_the_sessions_of_every_place(
    hillside_admin: Person, practitioner: Person, clinic: Agency
) -> None:
    there = second_place(hillside_admin, practitioner, clinic)
    laptop, phone = Client(), Client()
    signed_in(laptop, practitioner)
    signed_in(phone, practitioner)
    switch(phone, there)

    account_security.sign_out_everywhere(person=practitioner)

    assert phone.get(reverse("escalations:mine")).status_code == 302
    assert laptop.get(reverse("escalations:mine")).status_code == 302


def test_the_directory_page_offers_a_place_to_someone_elsewhere(
    client: Client, hillside_admin: Person, practitioner: Person, clinic: Agency
) -> None:
    client.force_login(hillside_admin.user)
    assert reverse("organisations:person_place_elsewhere") in (
        client.get(reverse("organisations:directory")).content.decode()
    )

    response = client.post(
        reverse("organisations:person_place_elsewhere"),
        {"email": practitioner.email, "agency": clinic.pk, "ladder_role": "practitioner"},
    )

    there = Person.objects.get(agency=clinic)
    assert response["Location"] == reverse("organisations:person_edit", kwargs={"pk": there.pk})
    page = client.get(response["Location"]).content.decode()
    assert "Also works in" in page
    assert "Riverside Safeguarding Partnership" in page
