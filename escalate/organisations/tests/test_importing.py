"""Checking directory CSV files without a database: a plain object stands in for the directory."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import pytest

from escalate.domain.policy import AgencyKind, LadderRole, PartnershipRole
from escalate.organisations.importing import (
    MAX_BYTES,
    MAX_ROWS,
    AgencyRow,
    ImportKind,
    KnownPerson,
    PersonRow,
    check_agencies,
    check_people,
    check_text,
    check_upload,
)

PEOPLE_HEADER = "name,email,job_title,agency,ladder_role,line_manager_email,partnership_roles\n"


@dataclass
class FakeDirectory:
    agencies: frozenset[str] = frozenset({"brookfield primary school", "riverside health"})
    people: dict[str, KnownPerson] = field(
        default_factory=lambda: {
            "head@example.org": KnownPerson("head@example.org", True, True),
            "leaver@example.org": KnownPerson("leaver@example.org", False, True),
            "elsewhere@example.org": KnownPerson("elsewhere@example.org", True, False),
        }
    )
    accounts: frozenset[str] = frozenset({"account-only@example.org"})

    def agency_names(self) -> Collection[str]:
        return self.agencies

    def emails_in_use(self, emails: Collection[str]) -> Collection[str]:
        return {email for email in emails if email in self.people or email in self.accounts}

    def known_people(self, emails: Collection[str]) -> Mapping[str, KnownPerson]:
        return {email: person for email, person in self.people.items() if email in emails}


DIRECTORY = FakeDirectory()


def reasons(report) -> list[tuple[int, str, str]]:
    return [(p.row_number, p.column, p.reason) for p in report.row_problems]


def test_a_good_agencies_file_passes_with_every_row() -> None:
    report = check_agencies(
        "name,kind\nHarbour Family Support,voluntary\nPolice Safeguarding Unit,Police\n",
        directory=DIRECTORY,
    )

    assert report.is_accepted
    assert report.rows == (
        AgencyRow(2, "Harbour Family Support", AgencyKind.VOLUNTARY),
        AgencyRow(3, "Police Safeguarding Unit", AgencyKind.POLICE),
    )
    assert report.summary == "All 2 rows passed the checks."


def test_a_good_people_file_passes_with_every_row() -> None:
    text = PEOPLE_HEADER + (
        "Sam Example,Sam.Example@Example.org,Teacher,Brookfield Primary School,practitioner,"
        "lee.example@example.org,\n"
        "Lee Example,lee.example@example.org,Head teacher,brookfield primary school,"
        "Line manager,head@example.org,panel_member; chair\n"
        "Kim Example,kim.example@example.org,Business manager,,,,business_manager\n"
    )

    report = check_people(text, directory=DIRECTORY)

    assert report.is_accepted, report.lines()
    assert report.rows[0] == PersonRow(
        row_number=2,
        name="Sam Example",
        email="sam.example@example.org",
        job_title="Teacher",
        agency="Brookfield Primary School",
        ladder_role=LadderRole.PRACTITIONER,
        line_manager_email="lee.example@example.org",
    )
    assert report.rows[1].partnership_roles == (PartnershipRole.PANEL_MEMBER, PartnershipRole.CHAIR)
    assert report.rows[2].agency == ""


def test_one_bad_row_among_good_ones_rejects_the_file_and_names_the_row() -> None:
    report = check_agencies(
        "name,kind\nHarbour Family Support,voluntary\nCity Housing,housing\nPolice Unit,police\n",
        directory=DIRECTORY,
    )

    assert not report.is_accepted
    assert report.rows == ()
    assert [(p.row_number, p.column, p.value) for p in report.row_problems] == [
        (3, "kind", "housing")
    ]
    assert "use one of: education, early_years, health" in report.row_problems[0].reason
    assert report.summary == (
        "1 of 3 rows was rejected. Nothing was imported: correct the file and upload it again."
    )
    assert report.lines()[0].startswith("Row 3, kind 'housing': is not an agency kind")


def test_a_byte_order_mark_is_ignored() -> None:
    data = "name,kind\nHarbour Family Support,voluntary\n".encode("utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")

    report = check_upload(data, kind=ImportKind.AGENCIES, directory=DIRECTORY)

    assert report.is_accepted
    assert report.rows[0].name == "Harbour Family Support"


def test_windows_line_endings_and_quoted_commas_are_read() -> None:
    text = 'name,kind\r\n"Smith, Jones and Partners Surgery",health\r\n'

    report = check_agencies(text, directory=DIRECTORY)

    assert report.rows[0].name == "Smith, Jones and Partners Surgery"


def test_wrong_headers_say_what_is_missing_and_not_recognised() -> None:
    report = check_agencies("name,type\nHarbour Family Support,voluntary\n", directory=DIRECTORY)

    assert not report.is_accepted
    (problem,) = report.file_problems
    assert "must name the columns for agencies: name, kind" in problem
    assert "Missing: kind." in problem
    assert "Not recognised: 'type'." in problem


def test_a_people_file_uploaded_as_agencies_says_so() -> None:
    report = check_agencies(PEOPLE_HEADER + "Sam,sam@example.org,,,,,chair\n", directory=DIRECTORY)

    assert "This looks like a file of people: choose people instead." in report.file_problems[0]


def test_headers_are_read_in_any_order_and_case() -> None:
    report = check_agencies("Kind, Name \nvoluntary,Harbour Family Support\n", directory=DIRECTORY)

    assert report.is_accepted


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n\r\n", "The file is empty."),
        (b"\xef\xbb\xbf", "The file is empty."),
        (b"name,kind\r\n", "The file has the column names but no rows to import."),
    ],
    ids=["no-bytes", "blank-lines", "bom-only", "header-only"],
)
def test_an_empty_file_is_refused(data: bytes, message: str) -> None:
    report = check_upload(data, kind=ImportKind.AGENCIES, directory=DIRECTORY)

    assert report.file_problems == (message,)
    assert not report.is_accepted


def test_a_file_that_is_not_utf8_is_refused_with_a_fix() -> None:
    data = "name,kind\nCaf\u00e9 Family Hub,voluntary\n".encode("cp1252")

    report = check_upload(data, kind=ImportKind.AGENCIES, directory=DIRECTORY)

    (problem,) = report.file_problems
    assert "not UTF-8" in problem
    assert "CSV UTF-8" in problem


def test_a_spreadsheet_workbook_is_refused_with_a_fix() -> None:
    report = check_upload(b"PK\x03\x04rest", kind=ImportKind.AGENCIES, directory=DIRECTORY)

    assert "spreadsheet workbook" in report.file_problems[0]


def test_a_file_over_the_size_limit_is_refused() -> None:
    data = b"name,kind\n" + b"x" * MAX_BYTES

    report = check_upload(data, kind=ImportKind.AGENCIES, directory=DIRECTORY)

    assert "larger than 2 MB" in report.file_problems[0]


def test_a_file_over_the_row_limit_is_refused() -> None:
    text = "name,kind\n" + "".join(f"Agency {n},other\n" for n in range(MAX_ROWS + 1))

    report = check_agencies(text, directory=DIRECTORY)

    assert "more than 5,000 rows" in report.file_problems[0]
    assert report.rows == ()


def test_a_file_at_the_row_limit_passes() -> None:
    text = "name,kind\n" + "".join(f"Agency {n},other\n" for n in range(MAX_ROWS))

    report = check_agencies(text, directory=DIRECTORY)

    assert report.is_accepted
    assert len(report.rows) == MAX_ROWS


def test_row_numbers_count_blank_lines_as_a_spreadsheet_does() -> None:
    report = check_agencies(
        "name,kind\n\nHarbour,voluntary\n,,\nSchool,nursery\n", directory=DIRECTORY
    )

    assert reasons(report)[0][0] == 5
    assert report.rows_read == 2


def test_agency_names_already_in_the_directory_or_repeated_are_rejected() -> None:
    report = check_agencies(
        "name,kind\nBROOKFIELD PRIMARY SCHOOL,education\nHarbour,voluntary\nharbour,voluntary\n",
        directory=DIRECTORY,
    )

    assert reasons(report) == [
        (2, "name", "is already an agency in this partnership's directory"),
        (4, "name", "is also on row 3 of the file"),
    ]


def test_a_missing_name_or_kind_is_rejected() -> None:
    report = check_agencies("name,kind\n,voluntary\nHarbour,\n", directory=DIRECTORY)

    assert [(row, column) for row, column, _ in reasons(report)] == [(2, "name"), (3, "kind")]


def test_a_row_with_more_values_than_columns_is_rejected() -> None:
    report = check_agencies("name,kind\nSmith, Jones Surgery,health\n", directory=DIRECTORY)

    assert reasons(report)[0][1] == "row"
    assert "unquoted comma" in reasons(report)[0][2]


def test_apostrophes_and_spaces_in_kinds_and_roles_are_understood() -> None:
    report = check_agencies("name,kind\nCSC,Children's social care\n", directory=DIRECTORY)

    assert report.rows[0].kind is AgencyKind.CHILDRENS_SOCIAL_CARE


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("Sam,not-an-email,,Brookfield Primary School,,,", "email", "is not a valid email address"),
        ("Sam,,,Brookfield Primary School,,,", "email", "is missing"),
        (
            "Sam,head@example.org,,Brookfield Primary School,,,",
            "email",
            "is already in the directory",
        ),
        (
            "Sam,account-only@example.org,,Brookfield Primary School,,,",
            "email",
            "is already in the directory",
        ),
        (
            "Sam,sam@example.org,,Brookfield Primary School,boss,,",
            "ladder_role",
            "is not a ladder role; use one of: practitioner, line_manager, safeguarding_lead, "
            "head_of_service, assistant_director, or leave it empty",
        ),
        (
            "Sam,sam@example.org,,Nowhere Academy,,,",
            "agency",
            "is not an agency in this partnership's directory; import the agencies first, "
            "or check the spelling",
        ),
        (
            "Sam,sam@example.org,,,,,",
            "agency",
            "is missing; give the person's agency, or a partnership role for someone who works "
            "for the partnership itself",
        ),
        (
            "Sam,sam@example.org,,Brookfield Primary School,,nobody@example.org,",
            "line_manager_email",
            "line manager not found: no one in the directory or in this file has this email",
        ),
        (
            "Sam,sam@example.org,,Brookfield Primary School,,leaver@example.org,",
            "line_manager_email",
            "has left (is inactive in the directory); choose a current line manager",
        ),
        (
            "Sam,sam@example.org,,Brookfield Primary School,,elsewhere@example.org,",
            "line_manager_email",
            "is not in this partnership's directory",
        ),
        (
            "Sam,sam@example.org,,Brookfield Primary School,,sam@example.org,",
            "line_manager_email",
            "is the person's own email address",
        ),
        (
            "Sam,sam@example.org,,Brookfield Primary School,,not an email,",
            "line_manager_email",
            "is not a valid email address",
        ),
        (
            "Sam,sam@example.org,,,,,chair;mayor",
            "partnership_roles",
            "is not a partnership role; use any of: business_manager, chair, executive_member, "
            "panel_member, independent_scrutineer, administrator, data_protection_officer, "
            "separated by ';'",
        ),
    ],
    ids=[
        "invalid-email",
        "missing-email",
        "email-of-a-person",
        "email-of-an-account",
        "unknown-ladder-role",
        "unknown-agency",
        "no-agency-and-no-role",
        "line-manager-not-found",
        "line-manager-left",
        "line-manager-in-another-partnership",
        "own-line-manager",
        "line-manager-email-invalid",
        "unknown-partnership-role",
    ],
)
def test_a_bad_person_row_is_rejected_with_its_reason(row: str, column: str, reason: str) -> None:
    report = check_people(PEOPLE_HEADER + row + "\n", directory=DIRECTORY)

    assert (2, column, reason) in reasons(report)
    assert report.rows == ()


def test_an_email_repeated_in_the_file_is_rejected_on_the_later_row() -> None:
    text = PEOPLE_HEADER + (
        "Sam,sam@example.org,,Brookfield Primary School,,,\n"
        "Sam Again,SAM@example.org,,Brookfield Primary School,,,\n"
    )

    report = check_people(text, directory=DIRECTORY)

    assert reasons(report) == [(3, "email", "is also on row 2 of the file")]


def test_a_line_manager_on_a_rejected_row_is_not_also_reported_missing() -> None:
    text = PEOPLE_HEADER + (
        "Lee,lee@example.org,,Brookfield Primary School,chief,,\n"
        "Sam,sam@example.org,,Brookfield Primary School,,lee@example.org,\n"
    )

    report = check_people(text, directory=DIRECTORY)

    assert [rejected.row_number for rejected in report.rejected_rows] == [2]


def test_a_loop_of_line_managers_in_the_file_is_rejected() -> None:
    text = PEOPLE_HEADER + (
        "Ann,ann@example.org,,Brookfield Primary School,,bob@example.org,\n"
        "Bob,bob@example.org,,Brookfield Primary School,,ann@example.org,\n"
        "Cat,cat@example.org,,Brookfield Primary School,,ann@example.org,\n"
    )

    report = check_people(text, directory=DIRECTORY)

    assert reasons(report) == [
        (2, "line_manager_email", "makes a loop of line managers (rows 2, 3)"),
        (3, "line_manager_email", "makes a loop of line managers (rows 3, 2)"),
    ]


def test_every_row_is_reported_not_just_the_first() -> None:
    text = PEOPLE_HEADER + (
        "Ann,ann@example.org,,Brookfield Primary School,,,\n"
        ",bad,,Nowhere,boss,,\n"
        "Cat,cat@example.org,,Brookfield Primary School,,,\n"
        "Dan,head@example.org,,Brookfield Primary School,,,\n"
    )

    report = check_people(text, directory=DIRECTORY)

    assert [rejected.row_number for rejected in report.rejected_rows] == [3, 5]
    assert {column for row, column, _ in reasons(report) if row == 3} == {
        "name",
        "email",
        "ladder_role",
        "agency",
    }
    assert report.summary.startswith("2 of 4 rows were rejected.")


def test_kind_is_read_from_the_argument() -> None:
    report = check_text(
        "name,kind\nHarbour,voluntary\n", kind=ImportKind.PEOPLE, directory=DIRECTORY
    )

    assert "must name the columns for people" in report.file_problems[0]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Bad\x00Name", "must not contain hidden control characters"),
        ("Esc\x1bName", "must not contain hidden control characters"),
        ("\u202eKCAJ", "must not contain hidden characters that change the direction of the text"),
        ("\u200b\u200b", "must contain some text you can see"),
    ],
    ids=["nul", "escape", "right-to-left", "invisible"],
)
def test_a_name_the_forms_refuse_is_refused_in_a_file_too(name: str, reason: str) -> None:
    report = check_agencies(f"name,kind\n{name},education\n", directory=DIRECTORY)

    assert reasons(report) == [(2, "name", reason)]
