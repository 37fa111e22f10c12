"""The register as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from escalate.reporting.selectors import RegisterRow

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

REGISTER_COLUMNS = (
    "Reference",
    "Partnership",
    "Stage",
    "Stage name",
    "Status",
    "Raising agency",
    "Other agency",
    "Category",
    "Raised on",
    "Stage due on",
    "Working days open",
    "Overdue",
    "Whose move",
    "Practice issue updates",
)


def safe_cell(value: object) -> str:
    """``value`` as text, with a leading quote if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def register_csv_lines(rows: Iterable[RegisterRow]) -> Iterator[str]:
    """The register as CSV text, a line at a time as ``rows`` are read: the byte-order mark
    (so spreadsheet programs read the file as UTF-8) and the header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    yield "\ufeff" + _taken(buffer)
    for row in rows:
        writer.writerow(safe_cell(value) for value in _cells(row))
        yield _taken(buffer)


def register_csv(rows: Iterable[RegisterRow]) -> str:
    """The whole register as one CSV text, byte-order mark included (for small uses)."""
    return "".join(register_csv_lines(rows))


def _taken(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _cells(row: RegisterRow) -> tuple[object, ...]:
    return (
        row.reference,
        row.partnership,
        row.stage_number,
        row.stage_name,
        row.status_label,
        row.raising_agency,
        row.other_agency,
        row.category,
        row.raised_on.isoformat(),
        row.due_on.isoformat() if row.due_on else "",
        row.working_days_open,
        "Yes" if row.is_overdue else "No",
        row.waiting_on,
        row.practice_issue_count,
    )
