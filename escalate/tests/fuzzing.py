"""What the Hypothesis fuzz files share: the text they type, and how they look for it again.

A value the forms accept must come back as the same words wherever it is shown: escaped in
the page (where ``linebreaksbr`` turns each line break into ``<br>``), as cell text in the
Word document, as text in the PDF (as far as ``pdftotext`` can read it back) and as a cell
of the register's CSV.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile

from django.test import Client
from django.utils.html import escape
from docx import Document
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from escalate.organisations.models import Person
from escalate.reporting.exports import safe_cell

EXAMPLES = int(os.environ.get("ESCALATE_FUZZ_EXAMPLES", "0")) or 25
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
# The same, for the slower doors (a whole escalation's page or a form with many fields).
FEWER = settings(FUZZ, max_examples=max(5, EXAMPLES * 3 // 5))

# Any character but a surrogate (no browser or JSON encoder can send one), weighted towards
# the hostile ones: controls, direction overrides, invisible formatting, odd digits, line
# and paragraph separators, markup.
HOSTILE = st.sampled_from(
    ["\x00", "\x1b", "\x0b", "\x7f", "\x85", "\u202e", "\u2066", "\u200b", "\u2028", "²", "<", "&"]
)
ANY_CHARACTER = st.one_of(st.characters(exclude_categories=["Cs"]), HOSTILE)
PADDING = st.sampled_from(["", " ", "\n", " \t\r\n"])


@st.composite
def long_text(draw: st.DrawFn, *, around: int) -> str:
    """Words just under, at or over a length limit, sometimes padded with spaces: built
    whole (drawing 20,000 characters one by one would cost seconds an example)."""
    length = draw(st.integers(around - 10, around + 10))
    return draw(PADDING) + ("a " * length)[:length] + draw(PADDING)


def text(*, max_size: int = 60, limits: tuple[int, ...] = (20_000,)) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(ANY_CHARACTER, max_size=max_size),
        st.just(" \t\n "),
        *(long_text(around=limit) for limit in limits),
    )


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def lines_of(value: str) -> list[str]:
    """The lines ``linebreaksbr`` makes of ``value`` (only CR and LF break a line there)."""
    return re.split(r"\r\n|\r|\n", value)


def missing_from_html(value: str, html: str) -> list[str]:
    """The lines of ``value`` that ``html`` does not show, escaped (empty when all are)."""
    return [line for line in lines_of(value) if escape(line) not in html]


def docx_text(content: bytes) -> str:
    """The text of every cell of every table in a Word document, one cell a line."""
    document = Document(io.BytesIO(content))
    return "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )


def in_docx(value: str, text_of_cells: str) -> bool:
    """Whether a cell of the Word document holds ``value``, line breaks and all: one break
    for each line break typed, CRLF (what a browser sends from a text box) included."""
    return value.replace("\r\n", "\n").replace("\r", "\n") in text_of_cells


PDFTOTEXT = shutil.which("pdftotext")


def pdf_text(content: bytes) -> str:
    """The PDF's text as ``pdftotext`` reads it (poppler-utils; callers skip without it)."""
    assert PDFTOTEXT is not None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(content)
        pdf.flush()
        done = subprocess.run(
            [PDFTOTEXT, "-enc", "UTF-8", pdf.name, "-"], capture_output=True, check=True
        )
    return done.stdout.decode("utf-8")


def without_spaces(value: str) -> str:
    """``value`` with no whitespace: a PDF wraps lines where its layout needs."""
    return "".join(value.split())


def readable_in_pdf(value: str) -> bool:
    """Printable Latin text: the PDF's fonts have a glyph for it and ``pdftotext`` reads it
    back as typed (other scripts may be drawn as boxes, or reordered right to left)."""
    return all(character.isspace() or " " < character <= "~" for character in value)


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def as_csv_cell(value: str) -> str:
    return safe_cell(value)
