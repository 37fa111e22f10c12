"""Hypothesis drives the contact form, the API and the directory import with generated text.

Whatever is typed or uploaded, no door answers 5xx; a refusal is a form error (or a report
naming the rows) and writes nothing; the HTML form and the API give the same text the same
answer (the shared rule is ``common.text``). A summary accepted is read back as stored: each
of its lines escaped in the case's page, in a cell of its Word document, in its PDF's text
(for a few short Latin examples: WeasyPrint is slow), and the register's CSV keeps the
case's row and none of its narrative. ``ESCALATE_FUZZ_EXAMPLES`` (set by ``make fuzz``)
raises the number of examples; ``test_fuzz_more_doors.py`` drives the other doors.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from escalate.api.tests.conftest import client_for, etag
from escalate.common.tests.figures import record_figure
from escalate.escalations import clock
from escalate.escalations.models import Contact, Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency
from escalate.tests.fuzzing import (
    ANY_CHARACTER,
    FUZZ,
    PDFTOTEXT,
    csv_rows,
    docx_text,
    in_docx,
    missing_from_html,
    pdf_text,
    readable_in_pdf,
    signed_in,
    text,
    without_spaces,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.form_fuzz,
    pytest.mark.usefixtures("api_without_rate_limits"),
]

TEXT = text()
# Written into every run, whatever Hypothesis draws: the PDF is checked for these.
PDF_EXAMPLES = ("First line <b>&amp;</b>\nsecond line\r\nthird", "=SUM(A1) 'quoted' \"double\"")


def contact_form(escalation: Escalation, today: date) -> dict[str, Any]:
    current = Escalation.objects.get(pk=escalation.pk)
    return {
        "revision": current.revision,
        "kind": Contact.Kind.TELEPHONE,
        "between": "Sam and Kim",
        "summary": "Discussed.",
        "outcome": "No agreement.",
        "decision_makers": "",
        "happened_on_day": str(today.day),
        "happened_on_month": str(today.month),
        "happened_on_year": str(today.year),
    }


def test_contact_text_gets_one_answer_at_the_form_and_the_api(record_property: Any) -> None:
    shipped_policy("nel")
    school, care = AgencyFactory(), AgencyFactory(kind="childrens_social_care")
    raiser = PersonFactory(agency=school, name="Sam Fuzz")
    escalation = raise_for(raised_by=raiser, other_agency=care, today=clock.local_today())
    browser, api = signed_in(raiser), client_for(raiser)
    today = clock.local_today()
    tried = {"submissions": 0}
    accepted: list[str] = []

    @FUZZ
    @given(summary=TEXT)
    @example(summary=PDF_EXAMPLES[0])
    @example(summary=PDF_EXAMPLES[1])
    def check(summary: str) -> None:
        current = Escalation.objects.get(pk=escalation.pk)
        contacts = Contact.objects.count()
        form = {**contact_form(current, today), "summary": summary}
        page = browser.post(reverse("escalations:record_contact", kwargs={"pk": current.pk}), form)
        tried["submissions"] += 1
        assert page.status_code in {200, 302}, page.status_code
        by_form = page.status_code == 302
        if not by_form:
            assert "govuk-error-summary" in page.content.decode()
            assert Contact.objects.count() == contacts, "a refused contact was written"
        else:
            # What was stored (trimmed by the form) is what every output must show.
            stored = Contact.objects.latest("pk").summary
            assert stored == summary.strip()
            accepted.append(stored)
            shown = browser.get(reverse("escalations:detail", kwargs={"pk": current.pk}))
            assert shown.status_code == 200
            missing = missing_from_html(stored, shown.content.decode())
            assert not missing, f"the case page does not show {missing[:3]!r}"
            docx = browser.get(reverse("documents:record_docx", kwargs={"pk": current.pk}))
            assert docx.status_code == 200
            assert in_docx(stored, docx_text(docx.content)), "the Word document lacks it"

        body = {
            "kind": "telephone",
            "between": "Sam and Kim",
            "summary": summary,
            "outcome": "No agreement.",
            "decision_makers": "",
            "happened_on": today.isoformat(),
        }
        before = Contact.objects.count()
        answer = api.post(
            f"/api/v1/escalations/{current.pk}/contacts/",
            json.dumps(body),
            content_type="application/json",
            HTTP_IF_MATCH=etag(api, current),
        )
        tried["submissions"] += 1
        assert answer.status_code < 500, answer.content[:500]
        assert answer.status_code in {201, 400}, answer.content[:500]
        by_api = answer.status_code == 201
        if not by_api:
            assert Contact.objects.count() == before
        # Both count the length as typed (decision 23), then trim: one answer for every text.
        assert by_form == by_api, f"form {page.status_code}, API {answer.status_code}"

    check()
    assert set(PDF_EXAMPLES) <= set(accepted)
    record_figure(record_property, "fuzz_form_submissions", tried["submissions"])
    record_figure(record_property, "fuzz_forms", 2)

    # The register's CSV holds no narrative: the case's row is there, by reference and
    # category, and no contact's words leak into it.
    overseer = signed_in(partnership_person(role="business_manager", name="Bo Fuzz"))
    register = overseer.get(reverse("reporting:register_csv"))
    assert register.status_code == 200
    assert register.streaming, "the register is streamed, whatever its size"
    rows = csv_rows(b"".join(register.streaming_content))  # type: ignore[attr-defined]
    escalation.refresh_from_db()
    (row,) = [row for row in rows[1:] if row[0] == escalation.reference]
    labels = {category.key: category.label for category in escalation.policy.rules.categories}
    assert row[rows[0].index("Category")] == labels[escalation.category]
    assert not any(PDF_EXAMPLES[1] in cell for line in rows for cell in line)

    # WeasyPrint takes a second or more a page, and twenty pages of 20,000 characters
    # would take most of a minute: a second escalation holds the fixed examples and the
    # first few short Latin ones Hypothesis drew (which other scripts' fonts may lack),
    # recorded through the same form, and its one PDF is read back.
    if PDFTOTEXT is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text was not read")
    drawn = [value for value in accepted if readable_in_pdf(value) and 0 < len(value) < 500]
    printed = raise_for(raised_by=raiser, other_agency=care, today=today)
    for value in dict.fromkeys([*PDF_EXAMPLES, *drawn[:3]]):
        recorded = browser.post(
            reverse("escalations:record_contact", kwargs={"pk": printed.pk}),
            {**contact_form(printed, today), "summary": value},
        )
        assert recorded.status_code == 302, recorded.status_code
    pdf = browser.get(reverse("documents:record_pdf", kwargs={"pk": printed.pk}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    readable = without_spaces(pdf_text(pdf.content))
    for value in dict.fromkeys([*PDF_EXAMPLES, *drawn[:3]]):
        assert without_spaces(value) in readable, f"the PDF does not show {value!r}"


CELL = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    st.text(st.sampled_from('ab,"\n'), max_size=300),
)


@st.composite
def agency_files(draw: st.DrawFn) -> bytes:
    rows = draw(st.lists(st.tuples(CELL, st.sampled_from(["education", "police", "", "x"]))))
    lines = [
        "name,kind",
        *(f'"{name.replace(chr(34), chr(34) * 2)}",{kind}' for name, kind in rows),
    ]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


def test_directory_import_never_fails_and_refuses_whole_files(record_property: Any) -> None:
    administrator = partnership_person(role="administrator", name="Ada Fuzz")
    client = signed_in(administrator)
    files = 0

    @FUZZ
    @given(data=agency_files())
    def check(data: bytes) -> None:
        nonlocal files
        agencies = Agency.objects.count()
        response = client.post(
            reverse("organisations:import"),
            {
                "kind": "agencies",
                "file": SimpleUploadedFile("fuzz.csv", data, "text/csv"),
                "action": "import",
            },
        )
        files += 1
        assert response.status_code in {200, 302}, response.status_code
        if response.status_code == 200:
            assert Agency.objects.count() == agencies, "a refused file wrote agencies"
            assert "Nothing was imported" in response.content.decode() or not data.strip()
        else:
            directory = client.get(reverse("organisations:directory"))
            assert directory.status_code == 200

    check()
    record_figure(record_property, "fuzz_import_files", files)
