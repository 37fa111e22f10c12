from collections.abc import Iterator
from datetime import date

import pytest

from escalate.domain.engine import DeadlineState
from escalate.reporting.exports import register_csv, register_csv_lines, safe_cell
from escalate.reporting.selectors import RegisterRow


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://example.invalid")', '\'=HYPERLINK("http://example.invalid")'),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturn", "'\rReturn"),
        ("Northfield Primary", "Northfield Primary"),
        ("Agency = Police", "Agency = Police"),
        (15, "15"),
        (None, ""),
    ],
    ids=[
        "equals",
        "plus",
        "minus",
        "at",
        "tab",
        "carriage-return",
        "plain",
        "inner-equals",
        "number",
        "none",
    ],
)
def test_cells_a_spreadsheet_would_run_are_quoted(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


# The stream ----------------------------------------------------------------------------


def _row(reference: str, agency: str) -> RegisterRow:
    return RegisterRow(
        reference=reference,
        url="/escalations/x/",
        partnership="NEL",
        stage_number=1,
        stage_name="Practitioners",
        raising_agency=agency,
        other_agency="Police",
        category="Referral",
        raised_on=date(2026, 11, 2),
        due_on=date(2026, 11, 3),
        working_days_open=15,
        deadline_state=DeadlineState.OVERDUE,
        practice_issue_count=0,
        waiting_on="Waiting on you",
    )


def test_the_stream_writes_the_mark_and_header_then_a_line_per_row_as_it_reads() -> None:
    read: list[str] = []

    def rows() -> Iterator[RegisterRow]:
        for reference in ("R-1", "R-2"):
            read.append(reference)
            yield _row(reference, "=cmd|' /C calc'!A0")

    lines = register_csv_lines(rows())

    first = next(lines)
    assert first.startswith("\ufeffReference,Partnership,Stage,Stage name,Status,")
    assert read == []  # nothing read until the next line is asked for
    second = next(lines)
    assert read == ["R-1"]
    assert second.startswith("R-1,NEL,1,Practitioners,Open,")
    assert "'=cmd" in second and second.endswith("\r\n")
    assert len(list(lines)) == 1
    assert register_csv([_row("R-3", "School")]).count("\r\n") == 2
