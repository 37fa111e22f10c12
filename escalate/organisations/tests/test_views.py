"""Directory pages: who may reach them, what they change, and what they never show."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
from escalate.organisations.tests.conftest import administrator_of

PEOPLE_HEADER = "name,email,job_title,agency,ladder_role,line_manager_email,partnership_roles\n"

PAGES = ["directory", "agency_create", "agency_edit", "person_create", "person_edit", "import"]


def url_for(page: str, *, agency: Agency, person: Person) -> str:
    if page == "agency_edit":
        return reverse("organisations:agency_edit", args=[agency.pk])
    if page == "person_edit":
        return reverse("organisations:person_edit", args=[person.pk])
    return reverse(f"organisations:{page}")


def upload(text: str | bytes, name: str = "directory.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


# Who may reach the directory ----------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("administrator", 200),
        ("superuser", 200),
        ("practitioner", 404),
        ("chair", 404),
        ("leaver_administrator", 302),  # a leaver is signed out at their next request
        ("anonymous", 302),
    ],
)
def test_permission_matrix(
    client: Client, partnership, school, practitioner, superuser, page: str, who: str, status: int
) -> None:
    users = {
        "administrator": administrator_of(partnership).user,
        "superuser": superuser,
        "practitioner": practitioner.user,
        "chair": PersonFactory(agency=school).user,
        "leaver_administrator": administrator_of(partnership, is_active=False).user,
    }
    PartnershipRoleAssignment.objects.create(
        person=users["chair"].people.get(), partnership=partnership, role="chair"
    )
    if who != "anonymous":
        client.force_login(users[who])

    response = client.get(url_for(page, agency=school, person=practitioner))

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("page", ["agency_edit", "person_edit"])
def test_an_administrator_of_another_partnership_gets_404_for_this_ones_agencies_and_people(
    client: Client, school, practitioner, other_partnership, page: str
) -> None:
    client.force_login(administrator_of(other_partnership).user)
    url = url_for(page, agency=school, person=practitioner)

    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Taken over", "kind": "other"}).status_code == 404
    school.refresh_from_db()
    assert school.name == "Brookfield Primary School"


def test_an_administrator_of_another_partnership_does_not_see_this_ones_directory(
    client: Client, school, practitioner, other_partnership
) -> None:
    client.force_login(administrator_of(other_partnership).user)

    text = client.get(reverse("organisations:directory")).content.decode()

    assert school.name not in text
    assert practitioner.email not in text


def test_an_administrator_sees_no_case_narrative(client: Client, db: None) -> None:
    policy = shipped_policy("nel")
    raiser = PersonFactory(agency=AgencyFactory(name="Raising School"))
    counterpart = PersonFactory(agency=AgencyFactory(name="Other Agency", kind="health"))
    raise_for(raised_by=raiser, other_agency=counterpart.agency, counterpart=counterpart)
    client.force_login(administrator_of(policy.partnership).user)

    pages = [
        reverse("organisations:directory"),
        reverse("organisations:person_edit", args=[raiser.pk]),
        reverse("organisations:person_edit", args=[counterpart.pk]),
        reverse("organisations:agency_edit", args=[raiser.agency.pk]),
    ]
    for url in pages:
        text = client.get(url).content.decode()
        assert raiser.name in text or "Raising School" in text
        for narrative in ("Alex Invented", "CASE-0001", "below threshold", "missed appointments"):
            assert narrative not in text, (url, narrative)


# The directory list ---------------------------------------------------------------------------


def test_the_directory_lists_agencies_and_people_with_links(
    admin_client: Client, school, practitioner
) -> None:
    text = admin_client.get(reverse("organisations:directory")).content.decode()

    assert reverse("organisations:agency_edit", args=[school.pk]) in text
    assert reverse("organisations:person_edit", args=[practitioner.pk]) in text
    assert practitioner.email in text
    assert "Brookfield Primary School" in text


def test_the_directory_query_count_is_pinned_and_does_not_grow_with_people(
    admin_client: Client, partnership, school, django_assert_max_num_queries
) -> None:
    manager = PersonFactory(agency=school, ladder_role="line_manager")
    for _ in range(3):
        PersonFactory(agency=school, line_manager=manager)
    AgencyFactory(partnership=partnership, name="Harbour", kind="voluntary")

    admin_client.get(reverse("organisations:directory"))  # the session settles
    # 3 to sign in (session, user, person with their roles); the page's own 5 are
    # partnerships administered, agencies, people counted, people listed, their roles.
    with CaptureQueriesContext(connection) as few, django_assert_max_num_queries(8):
        admin_client.get(reverse("organisations:directory"))

    for _ in range(20):
        person = PersonFactory(agency=school, line_manager=manager)
        PartnershipRoleAssignment.objects.create(
            person=person, partnership=partnership, role="chair"
        )
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(reverse("organisations:directory"))

    assert response.status_code == 200
    assert len(many) == len(few)


def test_the_directory_searches_people(admin_client: Client, school) -> None:
    PersonFactory(agency=school, name="Findable Person")
    PersonFactory(agency=school, name="Hidden Person")

    text = admin_client.get(reverse("organisations:directory"), {"q": "findable"}).content.decode()

    assert "Findable Person" in text
    assert "Hidden Person" not in text


@pytest.mark.parametrize("search", ["fin\x00dable", "f" * 101])
def test_a_search_the_directory_cannot_run_is_refused_at_the_box(
    admin_client: Client, school, search: str
) -> None:
    """A NUL byte failed the whole page on PostgreSQL; now it is the search's own error, and
    the list shows everyone meanwhile."""
    PersonFactory(agency=school, name="Findable Person")

    response = admin_client.get(reverse("organisations:directory"), {"q": search})
    text = response.content.decode()

    assert response.status_code == 200
    assert "<title>Error: Directory" in text
    assert 'href="#id_q"' in text and 'id="id_q-error"' in text
    assert "Findable Person" in text
    assert "\x00" not in text


# Agencies and people ------------------------------------------------------------------------


def test_adding_an_agency(admin_client: Client, partnership) -> None:
    response = admin_client.post(
        reverse("organisations:agency_create"),
        {"name": "Harbour Family Support", "kind": "voluntary"},
    )

    assert response.status_code == 302
    assert Agency.objects.get(name="Harbour Family Support").partnership == partnership


def test_adding_an_agency_with_a_taken_name_shows_the_error(admin_client: Client, school) -> None:
    response = admin_client.post(
        reverse("organisations:agency_create"), {"name": school.name, "kind": "education"}
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text
    assert "already has an agency called" in text


def test_adding_a_person_creates_an_account_and_shows_no_password(
    admin_client: Client, partnership, school
) -> None:
    page = admin_client.get(reverse("organisations:person_create")).content.decode()
    assert 'type="password"' not in page

    response = admin_client.post(
        reverse("organisations:person_create"),
        {
            "name": "Sam Example",
            "email": "sam.example@example.org",
            "job_title": "Teacher",
            "agency": school.pk,
            "ladder_role": "practitioner",
            "line_manager": "",
            "partnership_roles": [f"{partnership.pk}:panel_member"],
        },
    )

    assert response.status_code == 302
    person = Person.objects.get(email="sam.example@example.org")
    assert person.user.username == "sam.example@example.org"
    assert not person.user.has_usable_password()
    assert list(person.partnership_roles.values_list("role", flat=True)) == ["panel_member"]


def test_a_line_manager_is_chosen_by_email(admin_client: Client, school, practitioner) -> None:
    manager = PersonFactory(agency=school, ladder_role="line_manager")

    admin_client.post(
        reverse("organisations:person_edit", args=[practitioner.pk]),
        {
            "name": practitioner.name,
            "email": practitioner.email,
            "agency": school.pk,
            "ladder_role": "practitioner",
            "line_manager": manager.email.upper(),
            "is_active": "on",
        },
    )

    practitioner.refresh_from_db()
    assert practitioner.line_manager == manager


def test_editing_a_person_can_make_them_inactive(
    admin_client: Client, school, practitioner
) -> None:
    response = admin_client.post(
        reverse("organisations:person_edit", args=[practitioner.pk]),
        {
            "name": practitioner.name,
            "email": practitioner.email,
            "job_title": practitioner.job_title,
            "agency": school.pk,
            "ladder_role": "practitioner",
            "line_manager": "",
            # is_active unticked
        },
    )

    assert response.status_code == 302
    practitioner.refresh_from_db()
    practitioner.user.refresh_from_db()
    assert not practitioner.is_active
    assert not practitioner.user.is_active
    listing = admin_client.get(reverse("organisations:directory")).content.decode()
    assert "Left" in listing


def test_the_edit_form_is_filled_in(admin_client: Client, practitioner) -> None:
    text = admin_client.get(
        reverse("organisations:person_edit", args=[practitioner.pk])
    ).content.decode()

    assert f'value="{practitioner.email}"' in text
    assert "checked" in text  # active


# Importing ----------------------------------------------------------------------------------


def test_importing_a_good_file_imports_every_row(admin_client: Client, partnership) -> None:
    response = admin_client.post(
        reverse("organisations:import"),
        {
            "kind": "agencies",
            "file": upload("name,kind\nHarbour,voluntary\nPolice Unit,police\n"),
            "action": "import",
        },
        follow=True,
    )

    assert Agency.objects.filter(partnership=partnership).count() == 2
    assert "2 agencies imported." in response.content.decode()


def test_one_bad_row_imports_nothing_and_the_report_stays_on_screen(
    admin_client: Client, school
) -> None:
    response = admin_client.post(
        reverse("organisations:import"),
        {
            "kind": "people",
            "file": upload(
                PEOPLE_HEADER
                + "Sam,sam@example.org,,Brookfield Primary School,practitioner,,\n"
                + "Lee,lee@example.org,,Nowhere Academy,practitioner,,\n"
                + "Kim,kim@example.org,,Brookfield Primary School,practitioner,,\n"
            ),
            "action": "import",
        },
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "1 of 3 rows was rejected. Nothing was imported" in text
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">3</td>' in text
    assert "Nowhere Academy" in text
    assert "is not an agency in this partnership" in text
    assert not Person.objects.filter(email__in=["sam@example.org", "kim@example.org"]).exists()


def test_checking_a_file_imports_nothing(admin_client: Client, partnership) -> None:
    response = admin_client.post(
        reverse("organisations:import"),
        {"kind": "agencies", "file": upload("name,kind\nHarbour,voluntary\n"), "action": "check"},
    )

    assert "All 1 row passed the checks." in response.content.decode()
    assert not Agency.objects.filter(partnership=partnership).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        ("name,kind\nCaf\u00e9,other\n".encode("cp1252"), "not UTF-8"),
        (b"title,type\nHarbour,voluntary\n", "Missing: name, kind."),
    ],
    ids=["empty", "not-utf8", "wrong-headers"],
)
def test_a_file_that_cannot_be_read_is_explained(
    admin_client: Client, partnership, data: bytes, message: str
) -> None:
    response = admin_client.post(
        reverse("organisations:import"),
        {"kind": "agencies", "file": upload(data), "action": "import"},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Agency.objects.filter(partnership=partnership).exists()


def test_an_administrator_of_two_partnerships_chooses_one(
    client: Client, partnership, other_partnership
) -> None:
    administrator = administrator_of(partnership)
    PartnershipRoleAssignment.objects.create(
        person=administrator, partnership=other_partnership, role="administrator"
    )
    client.force_login(administrator.user)

    client.post(
        reverse("organisations:import"),
        {
            "partnership": other_partnership.pk,
            "kind": "agencies",
            "file": upload("name,kind\nHarbour,voluntary\n"),
            "action": "import",
        },
    )

    assert Agency.objects.get(name="Harbour").partnership == other_partnership
