"""Hypothesis drives the other doors: raising (the details step's free text), the reasons for
escalating and withdrawing, practice issues, the directory's person form, its people import,
and the lists' filters and searches (hostile text, huge numbers, impossible dates).

As in ``test_fuzz_doors.py``: no answer is a 5xx; the HTML form and the API give the same
text the same answer (and the people import the same as the person form); a refusal writes
nothing; what is accepted is read back, as stored, from the page that shows it. Each example
runs in a savepoint rolled back after it, so every example meets the same escalation at the
same stage (an accepted reason would otherwise move it on, and the next example would be
refused for a reason that has nothing to do with its text).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from escalate.api.tests.conftest import client_for, colleague, etag
from escalate.common.tests.figures import record_figure
from escalate.escalations import clock, services
from escalate.escalations.forms import RaiseState, RouteForm
from escalate.escalations.models import Escalation, StageEntry
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, Person
from escalate.reporting.models import PracticeIssue
from escalate.tests.fuzzing import (
    ANY_CHARACTER,
    FEWER,
    FUZZ,
    missing_from_html,
    signed_in,
    text,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.form_fuzz,
    pytest.mark.usefixtures("api_without_rate_limits"),
]


@contextmanager
def undone() -> Iterator[None]:
    """Whatever happens inside is rolled back (a savepoint inside the test's transaction)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@dataclass
class Tally:
    submissions: int = 0
    files: int = 0
    queries: int = 0


def _api_post(api: APIClient, path: str, body: dict[str, Any], **headers: str) -> Any:
    return api.post(path, json.dumps(body), content_type="application/json", **headers)


def _acting(escalation: Escalation, agency: Agency, raiser: Person) -> Person:
    """Who acts for ``agency`` at the escalation's stage: its rung (decision 7)."""
    rung = escalation.policy.rules.acting_rung(escalation.stage_number)
    return raiser if rung.value == "practitioner" else colleague(agency, rung)


def _escalated_to(escalation: Escalation, number: int, *, raiser: Person) -> Escalation:
    while escalation.stage_number < number:
        escalation = services.escalate_stage(
            escalation=escalation,
            actor=_acting(escalation, escalation.raising_agency, raiser),
            reason="Not agreed.",
        )
    return escalation


# --- Escalating and withdrawing: the reason ---------------------------------------------

MOVES = (("escalations:escalate", "escalate/"), ("escalations:withdraw", "withdraw/"))


def test_reasons_get_one_answer_at_the_forms_and_the_api(record_property: Any) -> None:
    shipped_policy("nel")
    school, care = AgencyFactory(), AgencyFactory(kind="childrens_social_care")
    raiser = PersonFactory(agency=school, name="Sam Fuzz")
    escalation = raise_for(raised_by=raiser, other_agency=care, today=clock.local_today())
    browser, api = signed_in(raiser), client_for(raiser)
    tally = Tally()

    @FUZZ
    @given(reason=text())
    def check(reason: str) -> None:
        for url_name, api_path in MOVES:
            url = reverse(url_name, kwargs={"pk": escalation.pk})
            with undone():
                page = browser.post(url, {"revision": escalation.revision, "reason": reason})
                tally.submissions += 1
                assert page.status_code in {200, 302}, (url_name, page.status_code)
                by_form = page.status_code == 302
                fresh = Escalation.objects.get(pk=escalation.pk)
                if by_form:
                    stored = StageEntry.objects.filter(escalation=escalation).order_by("pk")
                    reasons = [entry.outcome_reason for entry in stored if entry.outcome_reason]
                    assert reasons == [reason.strip()], reasons
                    shown = browser.get(reverse("escalations:detail", kwargs={"pk": fresh.pk}))
                    assert shown.status_code == 200
                    missing = missing_from_html(reasons[0], shown.content.decode())
                    assert not missing, f"{url_name}: the page does not show {missing[:3]!r}"
                else:
                    assert "govuk-error-summary" in page.content.decode()
                    assert fresh.revision == escalation.revision, "a refused reason was written"
            with undone():
                answer = _api_post(
                    api,
                    f"/api/v1/escalations/{escalation.pk}/{api_path}",
                    {"reason": reason},
                    HTTP_IF_MATCH=etag(api, escalation),
                )
                tally.submissions += 1
                assert answer.status_code in {200, 400}, (api_path, answer.content[:500])
                by_api = answer.status_code == 200
                if not by_api:
                    fresh = Escalation.objects.get(pk=escalation.pk)
                    assert fresh.revision == escalation.revision
            assert by_form == by_api, (
                f"{url_name}: form {page.status_code}, API {answer.status_code}"
            )

    check()
    record_figure(record_property, "fuzz_form_submissions", tally.submissions)
    record_figure(record_property, "fuzz_forms", 2 * len(MOVES))


# --- Practice issues, from the procedures' notification stage -----------------------------


def test_practice_issues_get_one_answer_at_the_form_and_the_api(record_property: Any) -> None:
    shipped_policy("nel")
    school, care = AgencyFactory(), AgencyFactory(kind="childrens_social_care")
    raiser = PersonFactory(agency=school, name="Sam Fuzz")
    escalation = raise_for(raised_by=raiser, other_agency=care, today=clock.local_today())
    escalation = _escalated_to(escalation, 3, raiser=raiser)
    lead = PersonFactory(agency=school, ladder_role="assistant_director", name="Dee Lead")
    browser, api = signed_in(lead), client_for(lead)
    overseer = signed_in(partnership_person(role="business_manager", name="Bo Fuzz"))
    tally = Tally()

    @FEWER
    @given(issue=text(), resolved=st.booleans())
    def check(issue: str, resolved: bool) -> None:
        url = reverse("reporting:practice_issue_new", kwargs={"pk": escalation.pk})
        with undone():
            page = browser.post(url, {"issue": issue, "is_resolved": "yes" if resolved else "no"})
            tally.submissions += 1
            assert page.status_code in {200, 302}, page.status_code
            by_form = page.status_code == 302
            if by_form:
                stored = PracticeIssue.objects.get()
                assert (stored.issue, stored.is_resolved) == (issue.strip(), resolved)
                listed = overseer.get(reverse("reporting:practice_issues"))
                assert listed.status_code == 200
                missing = missing_from_html(stored.issue, listed.content.decode())
                assert not missing, f"the practice issues page does not show {missing[:3]!r}"
            else:
                assert not PracticeIssue.objects.exists(), "a refused issue was written"
        with undone():
            answer = _api_post(
                api,
                f"/api/v1/escalations/{escalation.pk}/practice-issues/",
                {"issue": issue, "is_resolved": resolved},
                HTTP_IF_MATCH=etag(api, escalation),
            )
            tally.submissions += 1
            assert answer.status_code in {201, 400}, answer.content[:500]
            by_api = answer.status_code == 201
            assert PracticeIssue.objects.exists() == by_api
        assert by_form == by_api, f"form {page.status_code}, API {answer.status_code}"

    check()
    record_figure(record_property, "fuzz_form_submissions", tally.submissions)
    record_figure(record_property, "fuzz_forms", 2)


# --- The directory: a person, by the form, the API and an import file ---------------------

NAME = text(max_size=40, limits=(200,))


def _people_file(agency: Agency, *, name: str, email: str, job_title: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "name",
            "email",
            "job_title",
            "agency",
            "ladder_role",
            "line_manager_email",
            "partnership_roles",
        ]
    )
    writer.writerow([name, email, job_title, agency.name, "practitioner", "", ""])
    return buffer.getvalue().encode("utf-8")


def test_a_person_gets_one_answer_at_the_form_the_api_and_the_import(
    record_property: Any,
) -> None:
    administrator = partnership_person(role="administrator", name="Ada Fuzz")
    agency = AgencyFactory(name="Invented Academy")
    browser, api = signed_in(administrator), client_for(administrator)
    tally = Tally()

    @FEWER
    @given(name=NAME, job_title=st.one_of(st.just("Class teacher"), NAME))
    def check(name: str, job_title: str) -> None:
        email = f"fuzz{tally.submissions}@school.example.org"
        people = Person.objects.count()
        with undone():
            page = browser.post(
                reverse("organisations:person_create"),
                {
                    "name": name,
                    "email": email,
                    "job_title": job_title,
                    "agency": agency.pk,
                    "ladder_role": "practitioner",
                },
            )
            tally.submissions += 1
            assert page.status_code in {200, 302}, page.status_code
            by_form = page.status_code == 302
            if by_form:
                person = Person.objects.get(email=email)
                assert (person.name, person.job_title) == (name.strip(), job_title.strip())
                editing = browser.get(
                    reverse("organisations:person_edit", kwargs={"pk": person.pk})
                )
                assert editing.status_code == 200
                for value in (person.name, person.job_title):
                    missing = missing_from_html(value, editing.content.decode())
                    assert not missing, f"the person's page does not show {missing[:3]!r}"
            else:
                assert "govuk-error-summary" in page.content.decode()
                assert Person.objects.count() == people, "a refused person was written"
        with undone():
            answer = _api_post(
                api,
                "/api/v1/people/",
                {
                    "name": name,
                    "email": email,
                    "job_title": job_title,
                    "agency": agency.pk,
                    "ladder_role": "practitioner",
                },
            )
            tally.submissions += 1
            assert answer.status_code in {201, 400}, answer.content[:500]
            by_api = answer.status_code == 201
            assert Person.objects.count() == people + by_api
        with undone():
            data = _people_file(agency, name=name, email=email, job_title=job_title)
            imported = browser.post(
                reverse("organisations:import"),
                {
                    "kind": "people",
                    "file": SimpleUploadedFile("people.csv", data, "text/csv"),
                    "action": "import",
                },
            )
            tally.files += 1
            assert imported.status_code in {200, 302}, imported.status_code
            by_import = imported.status_code == 302
            assert Person.objects.count() == people + by_import
        assert by_form == by_api, f"form {page.status_code}, API {answer.status_code}"
        # Known difference, reported, not settled here: the import trims each cell before it
        # counts (a spreadsheet pads cells), the form and the API count as typed.
        padded = any(len(value) > 200 >= len(value.strip()) for value in (name, job_title))
        if not padded:
            assert by_form == by_import, f"form {page.status_code}, import {imported.status_code}"

    check()
    record_figure(record_property, "fuzz_form_submissions", tally.submissions)
    record_figure(record_property, "fuzz_forms", 2)
    record_figure(record_property, "fuzz_import_files", tally.files)


# --- Lists: filters, searches and cursors from the address bar ----------------------------

HUGE = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1e309", "NaN", "-0", "0x10", "99999-12-31", "2026-02-30", "0000-00-00"]),
)
VALUE = st.one_of(st.text(ANY_CHARACTER, max_size=30), HUGE, st.just("x" * 5_000))
LIST_FIELDS = ("status", "stage", "agency", "category", "overdue_only", "cursor")
QUERIES = {
    "reporting:register": (
        *LIST_FIELDS,
        "reference",
        "partnership",
        "raised_from",
        "raised_to",
        "figure",
    ),
    "reporting:register_csv": (*LIST_FIELDS, "reference", "partnership", "raised_from"),
    "reporting:practice_issues": (
        "partnership",
        "lead_agency",
        "status",
        "show",
        "recorded_from",
        "recorded_to",
        "cursor",
    ),
    "escalations:mine": LIST_FIELDS,
    "organisations:directory": ("q", "page"),
    "subject_access": ("q",),
}


def test_list_filters_and_searches_never_fail(record_property: Any) -> None:
    shipped_policy("nel")
    school, care = AgencyFactory(), AgencyFactory(kind="childrens_social_care")
    raiser = PersonFactory(agency=school, name="Sam Fuzz")
    raise_for(raised_by=raiser, other_agency=care, today=clock.local_today())
    # Each list as someone who may see it: the register and the practice issues as the
    # business manager, the directory as its administrator, subject access as the officer.
    viewers: dict[str, Client] = {
        "reporting": signed_in(partnership_person(role="business_manager", name="Bo Fuzz")),
        "escalations": signed_in(raiser),
        "organisations": signed_in(partnership_person(role="administrator", name="Ada Fuzz")),
        "subject_access": signed_in(
            partnership_person(role="data_protection_officer", name="Dot Fuzz")
        ),
    }
    tally = Tally()

    @settings(FUZZ, max_examples=FUZZ.max_examples * 4)  # a GET each: cheap
    @given(url_name=st.sampled_from(sorted(QUERIES)), data=st.data())
    def check(url_name: str, data: st.DataObject) -> None:
        fields = QUERIES[url_name]
        query = data.draw(st.dictionaries(st.sampled_from(fields), VALUE, max_size=len(fields)))
        client = viewers[url_name.split(":")[0]]
        response = client.get(reverse(url_name), query)
        tally.queries += 1
        # The CSV has no page to show a filter's error on: it answers 400, saying which.
        allowed = {200, 400} if url_name == "reporting:register_csv" else {200}
        assert response.status_code in allowed, (url_name, query, response.status_code)

    check()
    record_figure(record_property, "fuzz_query_strings", tally.queries)
    record_figure(record_property, "fuzz_query_lists", len(QUERIES))


# --- Raising: the details step's free text, by the form and the API -----------------------

RAISE_FIELDS = {
    # the form's field: where the API takes it (in the subject, or at the top)
    "subject_name": ("subject", "name"),
    "case_reference": ("subject", "case_reference"),
    "decision_disputed": ("", "decision_disputed"),
    "evidence": ("", "evidence"),
    "desired_outcome": ("", "desired_outcome"),
    "subject_views": ("", "subject_views"),
}


def test_raising_gets_one_answer_at_the_form_and_the_api(record_property: Any) -> None:
    policy = shipped_policy("nel")
    school, care = AgencyFactory(), AgencyFactory(kind="childrens_social_care")
    raiser = PersonFactory(agency=school, name="Sam Fuzz")
    browser, api = signed_in(raiser), client_for(raiser)
    state = RaiseState(subject_kind="child", immediate_risk=False, route=RouteForm.ESCALATION)
    url = f"{reverse('escalations:raise_details')}?state={state.token()}"
    category = policy.rules.categories[0].key
    form = {
        "subject_name": "Robin Fuzz",
        "case_reference": "FUZZ-1",
        "other_agency": care.pk,
        "counterpart": "",
        "category": category,
        "decision_disputed": "Referral judged below threshold.",
        "evidence": "Three missed appointments.",
        "desired_outcome": "A strategy discussion.",
        "subject_views": "",
        "entry_route": "standard",
    }
    tally = Tally()

    @FEWER
    @given(field=st.sampled_from(sorted(RAISE_FIELDS)), value=text(limits=(20_000, 200, 60)))
    def check(field: str, value: str) -> None:
        raised = Escalation.objects.count()
        with undone():
            page = browser.post(url, {**form, field: value})
            tally.submissions += 1
            assert page.status_code in {200, 302}, page.status_code
            by_form = page.status_code == 302
            if by_form:
                escalation = Escalation.objects.get(raised_by=raiser)
                shown = browser.get(escalation.get_absolute_url())
                assert shown.status_code == 200
                stored = _raised_value(escalation, field)
                assert stored == value.strip()
                missing = missing_from_html(stored, shown.content.decode())
                assert not missing, f"{field}: the page does not show {missing[:3]!r}"
            else:
                assert "govuk-error-summary" in page.content.decode()
                assert Escalation.objects.count() == raised, "a refused raise was written"
        where, key = RAISE_FIELDS[field]
        body: dict[str, Any] = {
            "subject": {"kind": "child", "name": form["subject_name"], "case_reference": "FUZZ-1"},
            "other_agency": care.pk,
            "category": category,
            "decision_disputed": form["decision_disputed"],
            "evidence": form["evidence"],
            "desired_outcome": form["desired_outcome"],
            "subject_views": "",
        }
        (body[where] if where else body)[key] = value
        with undone():
            answer = _api_post(api, "/api/v1/escalations/", body)
            tally.submissions += 1
            # 409: what the service refuses (a case with no reference or NHS number).
            assert answer.status_code in {201, 400, 409}, answer.content[:500]
            by_api = answer.status_code == 201
            assert Escalation.objects.count() == raised + by_api
        assert by_form == by_api, (
            f"{field}={value[:80]!r}: form {page.status_code}, API {answer.content[:300]!r}"
        )

    check()
    record_figure(record_property, "fuzz_form_submissions", tally.submissions)
    record_figure(record_property, "fuzz_forms", 2)


def _raised_value(escalation: Escalation, field: str) -> str:
    if field == "subject_name":
        return str(escalation.subject.name)
    if field == "case_reference":
        return str(escalation.subject.case_reference)
    return str(getattr(escalation, field))
