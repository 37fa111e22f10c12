"""Reading and checking a directory CSV: agencies or people, every row before any is imported.

Nothing here writes to the database. The checks that need the directory (is this email
taken, does this agency exist) ask a ``Directory``; ``selectors.PartnershipDirectory``
answers from the database and tests pass a plain object. ``services.import_directory``
runs ``check_rows`` again inside its transaction before it writes anything.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import groupby
from typing import Protocol

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from escalate.common.text import text_problem
from escalate.domain.policy import AgencyKind, LadderRole, PartnershipRole

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
MAX_TEXT = 200
MAX_EMAIL = 254
ROLE_SEPARATOR = ";"


class ImportKind(StrEnum):
    AGENCIES = "agencies"
    PEOPLE = "people"


COLUMNS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.AGENCIES: ("name", "kind"),
    ImportKind.PEOPLE: (
        "name",
        "email",
        "job_title",
        "agency",
        "ladder_role",
        "line_manager_email",
        "partnership_roles",
    ),
}


@dataclass(frozen=True)
class KnownPerson:
    """Someone already in the directory, as a line manager reference needs them."""

    email: str
    is_active: bool
    in_partnership: bool


class Directory(Protocol):
    """What the checks need to know about one partnership's directory."""

    def agency_names(self) -> Collection[str]:
        """The partnership's agency names, casefolded."""
        ...

    def emails_in_use(self, emails: Collection[str]) -> Collection[str]:
        """Those of ``emails`` (lowercase) already used by a person or a sign-in account."""
        ...

    def known_people(self, emails: Collection[str]) -> Mapping[str, KnownPerson]:
        """People in the whole directory with one of ``emails`` (lowercase), by email."""
        ...


@dataclass(frozen=True)
class RowProblem:
    row_number: int
    column: str
    value: str
    reason: str

    def describe(self) -> str:
        shown = f" {self.value!r}" if self.value else ""
        return f"Row {self.row_number}, {self.column}{shown}: {self.reason}"


@dataclass(frozen=True)
class RejectedRow:
    row_number: int
    problems: tuple[RowProblem, ...]


@dataclass(frozen=True)
class AgencyRow:
    row_number: int
    name: str
    kind: AgencyKind


@dataclass(frozen=True)
class PersonRow:
    row_number: int
    name: str
    email: str
    job_title: str = ""
    agency: str = ""
    ladder_role: LadderRole | None = None
    line_manager_email: str = ""
    partnership_roles: tuple[PartnershipRole, ...] = ()


ImportRow = AgencyRow | PersonRow


@dataclass(frozen=True)
class ImportReport:
    """The outcome of checking a file: whole-file problems, per-row problems, good rows."""

    kind: ImportKind
    rows_read: int = 0
    file_problems: tuple[str, ...] = ()
    row_problems: tuple[RowProblem, ...] = ()
    rows: tuple[ImportRow, ...] = field(default=())

    @property
    def is_accepted(self) -> bool:
        return not self.file_problems and not self.row_problems

    @property
    def rejected_rows(self) -> tuple[RejectedRow, ...]:
        ordered = sorted(self.row_problems, key=lambda problem: problem.row_number)
        return tuple(
            RejectedRow(number, tuple(problems))
            for number, problems in groupby(ordered, key=lambda problem: problem.row_number)
        )

    @property
    def summary(self) -> str:
        if self.file_problems:
            return "The file cannot be imported. Nothing was imported."
        if self.row_problems:
            rejected = len(self.rejected_rows)
            noun = "row" if self.rows_read == 1 else "rows"
            verb = "was" if rejected == 1 else "were"
            return (
                f"{rejected} of {self.rows_read} {noun} {verb} rejected. Nothing was imported: "
                "correct the file and upload it again."
            )
        noun = "row" if self.rows_read == 1 else "rows"
        return f"All {self.rows_read} {noun} passed the checks."

    def lines(self) -> list[str]:
        """The report as plain text lines, as the management command prints it."""
        lines = [*self.file_problems]
        lines.extend(problem.describe() for problem in sorted_problems(self.row_problems))
        lines.append(self.summary)
        return lines


_COLUMN_ORDER = {
    column: index
    for index, column in enumerate(("row", "name", "kind", *COLUMNS[ImportKind.PEOPLE][1:]))
}


def sorted_problems(problems: Sequence[RowProblem]) -> list[RowProblem]:
    """By row, then in the order of the columns."""
    return sorted(
        problems,
        key=lambda problem: (problem.row_number, _COLUMN_ORDER.get(problem.column, 99)),
    )


# Reading the file ---------------------------------------------------------------------------


def check_upload(data: bytes, *, kind: ImportKind, directory: Directory) -> ImportReport:
    """Check an uploaded file's bytes: size, encoding (UTF-8, with or without a BOM), rows."""
    if len(data) > MAX_BYTES:
        return _refused(
            kind,
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into smaller "
            f"files of up to {MAX_ROWS:,} rows and import them one at a time.",
        )
    if data.startswith(b"PK\x03\x04"):
        return _refused(
            kind,
            "The file is a spreadsheet workbook, not a CSV file. In your spreadsheet, "
            "save it as 'CSV UTF-8 (comma delimited)' and upload that.",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _refused(
            kind,
            f"The file is not UTF-8 text (an unreadable byte at position {error.start + 1}). "
            "In your spreadsheet, save it as 'CSV UTF-8 (comma delimited)' and upload that.",
        )
    return check_text(text, kind=kind, directory=directory)


def check_text(text: str, *, kind: ImportKind, directory: Directory) -> ImportReport:
    """Check every row of a CSV file's text; the report holds the rows only if all pass."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return _refused(kind, "The file is empty.")
    records, file_problem = _read_records(text, kind)
    if file_problem:
        return _refused(kind, file_problem, rows_read=len(records))
    if not records:
        return _refused(kind, "The file has the column names but no rows to import.")
    # Every row is read as far as it can be, so that a row with a badly formed value is
    # still checked against the others and the directory: one upload reports everything.
    rows: list[ImportRow] = []
    problems: list[RowProblem] = []
    parse = _agency_row if kind is ImportKind.AGENCIES else _person_row
    for number, values in records:
        row, row_problems = parse(number, values)
        rows.append(row)
        problems.extend(row_problems)
    problems.extend(check_rows(rows, directory=directory))
    return ImportReport(
        kind=kind,
        rows_read=len(records),
        row_problems=tuple(sorted_problems(problems)),
        rows=tuple(rows) if not problems else (),
    )


def check_agencies(text: str, *, directory: Directory) -> ImportReport:
    return check_text(text, kind=ImportKind.AGENCIES, directory=directory)


def check_people(text: str, *, directory: Directory) -> ImportReport:
    return check_text(text, kind=ImportKind.PEOPLE, directory=directory)


def _refused(kind: ImportKind, problem: str, *, rows_read: int = 0) -> ImportReport:
    return ImportReport(kind=kind, rows_read=rows_read, file_problems=(problem,))


Record = tuple[int, dict[str, str]]


def _read_records(text: str, kind: ImportKind) -> tuple[list[Record], str]:
    """The data rows as (row number, values by column), or a whole-file problem.

    Row numbers are the spreadsheet's: the column names are row 1.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[Record] = []
    number = 0
    try:
        header: list[str] = []
        for cells in reader:
            number += 1
            if any(cell.strip() for cell in cells):
                header = cells
                break
        header_problem = _header_problem(header, kind)
        if header_problem:
            return [], header_problem
        columns = [_column_key(name) for name in header]
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(records) == MAX_ROWS:
                return records, (
                    f"The file has more than {MAX_ROWS:,} rows. Split it into files of up to "
                    f"{MAX_ROWS:,} rows and import them one at a time."
                )
            extra = [cell for cell in cells[len(columns) :] if cell.strip()]
            values = {column: "" for column in columns}
            values.update(
                {column: cell.strip() for column, cell in zip(columns, cells, strict=False)}
            )
            if extra:
                values["__extra__"] = ", ".join(extra)
            records.append((number, values))
    except csv.Error as error:
        return records, f"Row {number} cannot be read as CSV ({error}). Nothing was imported."
    return records, ""


def _header_problem(header: list[str], kind: ImportKind) -> str:
    expected = COLUMNS[kind]
    columns = [_column_key(name) for name in header]
    missing = [name for name in expected if name not in columns]
    unknown = [
        name.strip() for name, key in zip(header, columns, strict=True) if key not in expected
    ]
    repeated = sorted({key for key in columns if key in expected and columns.count(key) > 1})
    if not (missing or unknown or repeated):
        return ""
    parts = [
        f"The first row must name the columns for {kind.value}: {', '.join(expected)} "
        "(in any order)."
    ]
    if missing:
        parts.append(f"Missing: {', '.join(missing)}.")
    if unknown:
        parts.append(f"Not recognised: {', '.join(repr(name) for name in unknown)}.")
    if repeated:
        parts.append(f"Named more than once: {', '.join(repeated)}.")
    other = ImportKind.PEOPLE if kind is ImportKind.AGENCIES else ImportKind.AGENCIES
    if set(columns) == set(COLUMNS[other]):
        parts.append(f"This looks like a file of {other.value}: choose {other.value} instead.")
    return " ".join(parts)


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _choice_key(text: str) -> str:
    """'Children's social care' and 'childrens-social-care' both read as the stored value."""
    text = text.strip().lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[\s\-]+", "_", text)


def _allowed(values: type[StrEnum]) -> str:
    return ", ".join(member.value for member in values)


# One row's shape ----------------------------------------------------------------------------


def _agency_row(number: int, values: dict[str, str]) -> tuple[AgencyRow, list[RowProblem]]:
    """The row as far as it can be read, and the problems with its values."""
    problems = _common_problems(number, values)
    name = values["name"]
    kind_text = values["kind"]
    kind: AgencyKind | None = None
    if not kind_text:
        problems.append(
            RowProblem(number, "kind", "", f"is missing; use one of: {_allowed(AgencyKind)}")
        )
    else:
        try:
            kind = AgencyKind(_choice_key(kind_text))
        except ValueError:
            problems.append(
                RowProblem(
                    number,
                    "kind",
                    kind_text,
                    f"is not an agency kind; use one of: {_allowed(AgencyKind)}",
                )
            )
    # An unreadable kind still needs a value to check the name; the row is rejected anyway.
    return AgencyRow(row_number=number, name=name, kind=kind or AgencyKind.OTHER), problems


def _person_row(number: int, values: dict[str, str]) -> tuple[PersonRow, list[RowProblem]]:
    """The row as far as it can be read, and the problems with its values.

    A badly formed email is left out of the row, so it is not checked again as a reference.
    """
    problems = _common_problems(number, values)
    email = values["email"].lower()
    email_problems = _email_problems(number, "email", email, required=True)
    problems.extend(email_problems)
    if len(values["job_title"]) > MAX_TEXT:
        problems.append(
            RowProblem(number, "job_title", "", f"is longer than {MAX_TEXT} characters")
        )
    ladder_role: LadderRole | None = None
    if values["ladder_role"]:
        try:
            ladder_role = LadderRole(_choice_key(values["ladder_role"]))
        except ValueError:
            problems.append(
                RowProblem(
                    number,
                    "ladder_role",
                    values["ladder_role"],
                    f"is not a ladder role; use one of: {_allowed(LadderRole)}, or leave it empty",
                )
            )
    manager_email = values["line_manager_email"].lower()
    manager_problems = _email_problems(number, "line_manager_email", manager_email, required=False)
    problems.extend(manager_problems)
    if manager_email and manager_email == email:
        problems.append(
            RowProblem(
                number, "line_manager_email", manager_email, "is the person's own email address"
            )
        )
    roles: list[PartnershipRole] = []
    for text in values["partnership_roles"].split(ROLE_SEPARATOR):
        if not text.strip():
            continue
        try:
            role = PartnershipRole(_choice_key(text))
        except ValueError:
            problems.append(
                RowProblem(
                    number,
                    "partnership_roles",
                    text.strip(),
                    f"is not a partnership role; use any of: {_allowed(PartnershipRole)}, "
                    f"separated by '{ROLE_SEPARATOR}'",
                )
            )
            continue
        if role not in roles:
            roles.append(role)
    if not values["agency"] and not values["partnership_roles"].strip():
        problems.append(
            RowProblem(
                number,
                "agency",
                "",
                "is missing; give the person's agency, or a partnership role for someone who "
                "works for the partnership itself",
            )
        )
    return (
        PersonRow(
            row_number=number,
            name=values["name"],
            email="" if email_problems else email,
            job_title=values["job_title"],
            agency=values["agency"],
            ladder_role=ladder_role,
            line_manager_email="" if manager_problems else manager_email,
            partnership_roles=tuple(roles),
        ),
        problems,
    )


def _common_problems(number: int, values: dict[str, str]) -> list[RowProblem]:
    problems = []
    if "__extra__" in values:
        problems.append(
            RowProblem(
                number,
                "row",
                values["__extra__"],
                "has more values than there are columns (is there an unquoted comma?)",
            )
        )
    if not values["name"]:
        problems.append(RowProblem(number, "name", "", "is missing"))
    elif len(values["name"]) > MAX_TEXT:
        problems.append(RowProblem(number, "name", "", f"is longer than {MAX_TEXT} characters"))
    if len(values.get("agency", "")) > MAX_TEXT:
        problems.append(RowProblem(number, "agency", "", f"is longer than {MAX_TEXT} characters"))
    # The forms' text rules (common.text), so a file cannot store what the forms refuse.
    for column in ("name", "job_title", "agency"):
        value = values.get(column, "")
        if value and len(value) <= MAX_TEXT:
            reason = text_problem(value, column, required=False, single_line=True)
            if reason:
                problems.append(RowProblem(number, column, "", reason.removeprefix(column + " ")))
    return problems


def _email_problems(number: int, column: str, email: str, *, required: bool) -> list[RowProblem]:
    if not email:
        return [RowProblem(number, column, "", "is missing")] if required else []
    try:
        validate_email(email)
    except ValidationError:
        return [RowProblem(number, column, email, "is not a valid email address")]
    if len(email) > MAX_EMAIL:
        return [RowProblem(number, column, "", f"is longer than {MAX_EMAIL} characters")]
    return []


# Rows against each other and the directory ----------------------------------------------------


def check_rows(rows: Sequence[ImportRow], *, directory: Directory) -> list[RowProblem]:
    """Problems between rows, and between them and the directory."""
    agencies = [row for row in rows if isinstance(row, AgencyRow)]
    people = [row for row in rows if isinstance(row, PersonRow)]
    return _agency_problems(agencies, directory) + _people_problems(people, directory)


def _agency_problems(rows: Sequence[AgencyRow], directory: Directory) -> list[RowProblem]:
    if not rows:
        return []
    problems = []
    existing = set(directory.agency_names())
    first_row: dict[str, int] = {}
    for row in rows:
        key = row.name.casefold()
        if not key:
            continue
        if key in existing:
            problems.append(
                RowProblem(
                    row.row_number,
                    "name",
                    row.name,
                    "is already an agency in this partnership's directory",
                )
            )
        elif key in first_row:
            problems.append(
                RowProblem(
                    row.row_number, "name", row.name, f"is also on row {first_row[key]} of the file"
                )
            )
        else:
            first_row[key] = row.row_number
    return problems


def _people_problems(rows: Sequence[PersonRow], directory: Directory) -> list[RowProblem]:
    if not rows:
        return []
    problems = []
    agencies = set(directory.agency_names())
    in_use = set(directory.emails_in_use({row.email for row in rows if row.email}))
    first_row: dict[str, int] = {}
    for row in rows:
        if not row.email:
            pass
        elif row.email in first_row:
            problems.append(
                RowProblem(
                    row.row_number,
                    "email",
                    row.email,
                    f"is also on row {first_row[row.email]} of the file",
                )
            )
        else:
            first_row[row.email] = row.row_number
        if row.email in in_use:
            problems.append(
                RowProblem(row.row_number, "email", row.email, "is already in the directory")
            )
        if row.agency and row.agency.casefold() not in agencies:
            problems.append(
                RowProblem(
                    row.row_number,
                    "agency",
                    row.agency,
                    "is not an agency in this partnership's directory; import the agencies "
                    "first, or check the spelling",
                )
            )
    outside = {row.line_manager_email for row in rows if row.line_manager_email} - set(first_row)
    known = directory.known_people(outside) if outside else {}
    for row in rows:
        reason = _line_manager_problem(row, first_row, known)
        if reason:
            problems.append(
                RowProblem(row.row_number, "line_manager_email", row.line_manager_email, reason)
            )
    problems.extend(_line_manager_loops(rows))
    return problems


def _line_manager_problem(
    row: PersonRow,
    in_file: Mapping[str, int],
    known: Mapping[str, KnownPerson],
) -> str:
    email = row.line_manager_email
    if not email or email in in_file:
        return ""
    person = known.get(email)
    if person is None:
        return "line manager not found: no one in the directory or in this file has this email"
    if not person.in_partnership:
        return "is not in this partnership's directory"
    if not person.is_active:
        return "has left (is inactive in the directory); choose a current line manager"
    return ""


def _line_manager_loops(rows: Sequence[PersonRow]) -> list[RowProblem]:
    """Rows whose line managers, followed within the file, lead back to themselves."""
    manager_of = {
        row.email: row.line_manager_email for row in rows if row.email and row.line_manager_email
    }
    number_of = {row.email: row.row_number for row in rows if row.email}
    problems = []
    for row in rows:
        seen = [row.email]
        current = manager_of.get(row.email, "")
        while current and current in number_of and current not in seen:
            seen.append(current)
            current = manager_of.get(current, "")
        if current == row.email and len(seen) > 1:
            loop = ", ".join(str(number_of[email]) for email in seen)
            problems.append(
                RowProblem(
                    row.row_number,
                    "line_manager_email",
                    row.line_manager_email,
                    f"makes a loop of line managers (rows {loop})",
                )
            )
    return problems
