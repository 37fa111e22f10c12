import pytest

from escalate.reporting.exports import safe_cell


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
