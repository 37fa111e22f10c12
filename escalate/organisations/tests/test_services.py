"""Directory services: the rows they write, the accounts they keep in step, what they refuse."""

from __future__ import annotations

import pytest

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.domain.policy import AgencyKind, LadderRole, PartnershipRole
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory
from escalate.organisations import services
from escalate.organisations.importing import check_agencies, check_people
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
from escalate.organisations.selectors import PartnershipDirectory
from escalate.organisations.services import DirectoryRefused, PersonDetails
from escalate.organisations.tests.conftest import administrator_of

PEOPLE_HEADER = "name,email,job_title,agency,ladder_role,line_manager_email,partnership_roles\n"


def roles_of(person: Person) -> set[tuple[str, str]]:
    return set(person.partnership_roles.values_list("partnership__slug", "role"))


# Agencies -----------------------------------------------------------------------------------


def test_creating_an_agency(partnership, administrator) -> None:
    agency = services.create_agency(
        actor=administrator, partnership=partnership, name=" Harbour ", kind=AgencyKind.VOLUNTARY
    )

    assert (agency.partnership, agency.name, agency.kind) == (partnership, "Harbour", "voluntary")


def test_an_agency_name_already_in_the_partnership_is_refused(partnership, school) -> None:
    with pytest.raises(DirectoryRefused, match="already has an agency called") as refusal:
        services.create_agency(
            actor=None,
            partnership=partnership,
            name="BROOKFIELD primary school",
            kind=AgencyKind.EDUCATION,
        )

    assert refusal.value.field == "name"


def test_the_same_agency_name_in_another_partnership_is_allowed(other_partnership, school) -> None:
    agency = services.create_agency(
        actor=None, partnership=other_partnership, name=school.name, kind=AgencyKind.EDUCATION
    )

    assert agency.partnership == other_partnership


def test_updating_an_agency(partnership, school) -> None:
    services.update_agency(
        agency=school, actor=None, name="Brookfield Academy", kind=AgencyKind.EDUCATION
    )

    school.refresh_from_db()
    assert school.name == "Brookfield Academy"


def test_renaming_an_agency_to_another_agencys_name_is_refused(partnership, school) -> None:
    harbour = AgencyFactory(partnership=partnership, name="Harbour", kind="voluntary")

    with pytest.raises(DirectoryRefused):
        services.update_agency(
            agency=harbour, actor=None, name=school.name, kind=AgencyKind.VOLUNTARY
        )


# People -------------------------------------------------------------------------------------


def test_creating_a_person_creates_their_account_without_a_password(
    partnership, school, administrator
) -> None:
    person = services.create_person(
        actor=administrator,
        details=PersonDetails(
            name="Sam Example",
            email=" Sam.Example@Example.org ",
            job_title="Teacher",
            agency=school,
            ladder_role=LadderRole.PRACTITIONER,
        ),
        partnership_roles={partnership: {PartnershipRole.PANEL_MEMBER}},
    )

    assert person.email == "sam.example@example.org"
    assert person.user.username == "sam.example@example.org"
    assert person.user.email == "sam.example@example.org"
    assert not person.user.has_usable_password()
    assert person.user.is_active
    assert person.ladder_role == "practitioner"
    assert roles_of(person) == {("riverside", "panel_member")}


def test_an_email_already_in_the_directory_is_refused_whatever_its_case(
    partnership, practitioner
) -> None:
    with pytest.raises(DirectoryRefused, match="already in the directory") as refusal:
        services.create_person(
            actor=None,
            details=PersonDetails(
                name="Copy", email=practitioner.email.upper(), agency=practitioner.agency
            ),
            partnership_roles={partnership: set()},
        )

    assert refusal.value.field == "email"
    assert Person.objects.count() == 1


def test_someone_with_no_agency_needs_a_partnership_role(partnership) -> None:
    with pytest.raises(DirectoryRefused, match="partnership role") as refusal:
        services.create_person(
            actor=None,
            details=PersonDetails(name="Nobody", email="nobody@example.org"),
            partnership_roles={partnership: set()},
        )

    assert refusal.value.field == "agency"


def test_making_someone_inactive_also_stops_their_account(administrator, practitioner) -> None:
    services.update_person(
        person=practitioner,
        actor=administrator,
        details=PersonDetails(
            name=practitioner.name,
            email=practitioner.email,
            agency=practitioner.agency,
            ladder_role=LadderRole.PRACTITIONER,
            is_active=False,
        ),
        partnership_roles={},
    )

    practitioner.refresh_from_db()
    practitioner.user.refresh_from_db()
    assert not practitioner.is_active
    assert not practitioner.user.is_active
    assert Person.objects.filter(pk=practitioner.pk).exists()  # never deleted


def test_making_someone_active_again_restores_their_account(administrator, practitioner) -> None:
    details = PersonDetails(
        name=practitioner.name, email=practitioner.email, agency=practitioner.agency
    )
    services.update_person(
        person=practitioner,
        actor=administrator,
        details=PersonDetails(**{**details.__dict__, "is_active": False}),
        partnership_roles={},
    )
    services.update_person(
        person=practitioner, actor=administrator, details=details, partnership_roles={}
    )

    practitioner.user.refresh_from_db()
    assert practitioner.user.is_active


def test_changing_an_email_changes_the_username(administrator, practitioner) -> None:
    services.update_person(
        person=practitioner,
        actor=administrator,
        details=PersonDetails(
            name=practitioner.name, email="new.address@example.org", agency=practitioner.agency
        ),
        partnership_roles={},
    )

    practitioner.user.refresh_from_db()
    assert practitioner.user.username == "new.address@example.org"


def test_an_administrator_cannot_make_themselves_inactive(partnership, administrator) -> None:
    with pytest.raises(DirectoryRefused, match="cannot make yourself inactive"):
        services.update_person(
            person=administrator,
            actor=administrator,
            details=PersonDetails(
                name=administrator.name, email=administrator.email, is_active=False
            ),
            partnership_roles={partnership: {PartnershipRole.ADMINISTRATOR}},
        )


def test_an_administrator_cannot_remove_their_own_administrator_role(
    partnership, school, administrator
) -> None:
    with pytest.raises(DirectoryRefused, match="own administrator role"):
        services.update_person(
            person=administrator,
            actor=administrator,
            details=PersonDetails(
                name=administrator.name, email=administrator.email, agency=school
            ),
            partnership_roles={partnership: set()},
        )


def test_an_administrator_cannot_redirect_a_staff_account(administrator, school) -> None:
    staff = PersonFactory(agency=school)
    staff.user.is_staff = True
    staff.user.save()

    with pytest.raises(DirectoryRefused, match="only a superuser"):
        services.update_person(
            person=staff,
            actor=administrator,
            details=PersonDetails(name=staff.name, email="mine@example.org", agency=school),
            partnership_roles={},
        )


def test_roles_in_partnerships_not_given_are_left_alone(
    partnership, other_partnership, administrator, practitioner
) -> None:
    PartnershipRoleAssignment.objects.create(
        person=practitioner, partnership=other_partnership, role="chair"
    )

    services.update_person(
        person=practitioner,
        actor=administrator,
        details=PersonDetails(
            name=practitioner.name, email=practitioner.email, agency=practitioner.agency
        ),
        partnership_roles={partnership: {PartnershipRole.PANEL_MEMBER}},
    )

    assert roles_of(practitioner) == {("hillside", "chair"), ("riverside", "panel_member")}


def test_a_loop_of_line_managers_is_refused(school, practitioner) -> None:
    manager = PersonFactory(agency=school, ladder_role="line_manager", line_manager=practitioner)

    with pytest.raises(DirectoryRefused, match="loop of line managers"):
        services.update_person(
            person=practitioner,
            actor=None,
            details=PersonDetails(
                name=practitioner.name,
                email=practitioner.email,
                agency=school,
                line_manager=manager,
            ),
            partnership_roles={},
        )


def test_a_leaver_cannot_become_a_line_manager(school, practitioner) -> None:
    leaver = PersonFactory(agency=school, is_active=False)

    with pytest.raises(DirectoryRefused, match="has left"):
        services.update_person(
            person=practitioner,
            actor=None,
            details=PersonDetails(
                name=practitioner.name, email=practitioner.email, agency=school, line_manager=leaver
            ),
            partnership_roles={},
        )


def test_creating_a_person_is_audited(partnership, school, administrator) -> None:
    person = services.create_person(
        actor=administrator,
        details=PersonDetails(name="Sam Example", email="sam@example.org", agency=school),
        partnership_roles={},
    )

    event = AuditEvent.objects.get(event=events.PERSON_CREATED)
    assert event.actor == administrator
    assert event.data["person"] == person.pk


# Importing ----------------------------------------------------------------------------------


def test_importing_agencies_creates_every_row(partnership, administrator) -> None:
    report = check_agencies(
        "name,kind\nHarbour,voluntary\nPolice Unit,police\n",
        directory=PartnershipDirectory(partnership),
    )

    result = services.import_directory(
        partnership=partnership, actor=administrator, rows=report.rows
    )

    assert result.agencies_created == 2
    assert set(Agency.objects.filter(partnership=partnership).values_list("name", "kind")) == {
        ("Harbour", "voluntary"),
        ("Police Unit", "police"),
    }
    assert result.describe() == "2 agencies imported."


def test_importing_people_creates_accounts_line_managers_and_roles(
    partnership, school, administrator
) -> None:
    head = PersonFactory(agency=school, email="head@example.org", user__username="head@example.org")
    report = check_people(
        PEOPLE_HEADER
        + "Sam,sam@example.org,Teacher,Brookfield Primary School,practitioner,lee@example.org,\n"
        + "Lee,lee@example.org,Deputy,brookfield primary school,line_manager,HEAD@example.org,"
        + "panel_member;chair\n"
        + "Kim,kim@example.org,Business manager,,,,business_manager\n",
        directory=PartnershipDirectory(partnership),
    )
    assert report.is_accepted, report.lines()

    result = services.import_directory(
        partnership=partnership, actor=administrator, rows=report.rows
    )

    assert (result.people_created, result.roles_assigned) == (3, 3)
    sam = Person.objects.get(email="sam@example.org")
    lee = Person.objects.get(email="lee@example.org")
    kim = Person.objects.get(email="kim@example.org")
    assert (sam.agency, sam.line_manager, sam.ladder_role) == (school, lee, "practitioner")
    assert lee.line_manager == head
    assert kim.agency is None
    assert roles_of(lee) == {("riverside", "panel_member"), ("riverside", "chair")}
    assert sam.user.username == "sam@example.org"
    assert not sam.user.has_usable_password()
    assert result.describe() == "3 people imported, with 3 partnership roles."


def test_an_import_refuses_rows_the_directory_no_longer_allows(partnership, school) -> None:
    report = check_people(
        PEOPLE_HEADER
        + "Sam,sam@example.org,,Brookfield Primary School,,,\n"
        + "Lee,lee@example.org,,Brookfield Primary School,,,\n",
        directory=PartnershipDirectory(partnership),
    )
    PersonFactory(agency=school, email="lee@example.org", user__username="lee@example.org")

    with pytest.raises(services.ImportRefused) as refusal:
        services.import_directory(partnership=partnership, actor=None, rows=report.rows)

    assert [(p.row_number, p.reason) for p in refusal.value.problems] == [
        (3, "is already in the directory")
    ]
    assert not Person.objects.filter(email="sam@example.org").exists()


def test_directory_lookups_for_the_import(partnership, other_partnership, school) -> None:
    elsewhere = AgencyFactory(partnership=other_partnership, name="Hill School")
    PersonFactory(agency=school, email="here@example.org", user__username="here@example.org")
    PersonFactory(agency=elsewhere, email="there@example.org", user__username="there@example.org")
    administrator_of(partnership, email="admin@example.org", user__username="admin@example.org")
    directory = PartnershipDirectory(partnership)

    assert directory.agency_names() == {"brookfield primary school"}
    assert directory.emails_in_use({"HERE@example.org".lower(), "free@example.org"}) == {
        "here@example.org"
    }
    known = directory.known_people({"here@example.org", "there@example.org", "admin@example.org"})
    assert {email: person.in_partnership for email, person in known.items()} == {
        "here@example.org": True,
        "there@example.org": False,
        "admin@example.org": True,
    }
