"""The injection sweep: hostile text typed into every free-text field, through the real pages.

What the forms accept (markup and script, template syntax, spreadsheet formulas, emoji,
zero-width and right-to-left characters in narrative) must come back as the same words
everywhere it is shown or exported: escaped in HTML (the page, the list, the register,
the practice issues, the history, who has seen it, the PDF's source), as text in the Word
document, the plain-text summary and the subject access export, and never as a formula
in the register's CSV. What the forms refuse (a NUL byte or other control characters,
100,000 characters, text-direction controls in a name) is a clear form error, and nothing
at all is written. No page answers 500.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from escalate.audit.models import AuditEvent
from escalate.common.tests.figures import record_figure
from escalate.escalations import clock
from escalate.escalations.documents import build_record, record_html
from escalate.escalations.forms import RaiseState, RouteForm
from escalate.escalations.models import (
    AgreedAction,
    Contact,
    Escalation,
    Representation,
    StageEntry,
    Subject,
)
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, Person
from escalate.reporting.exports import FORMULA_TRIGGERS
from escalate.reporting.models import PracticeIssue

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SCRIPT_ESCAPED = (
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
)
TEMPLATE = "{{ request.user.password }}{% debug %}"
FORMULA = "=cmd|' /C calc'!A0"
ODD = "Ale\u200bx\u200d 👩🏽‍⚕️ 🧒"
RIGHT_TO_LEFT = "\u202eKCAJ"


def hostile(field: str, *, one_line: bool = False) -> str:
    """Everything a form should accept, in one value, tagged with the field it went into."""
    text = f"{FORMULA} {SCRIPT} {TEMPLATE} {ODD} [{field}]"
    return text if one_line else f"{text} {RIGHT_TO_LEFT}\nA second line."


# What forms must refuse, with the words of the error they give.
REFUSED = {
    "a NUL byte": ("Sam\x00Invented", "must not contain hidden control characters"),
    "control characters": ("Sam\x1b[31mInvented\x0b", "must not contain hidden control characters"),
    "100,000 characters": ("A" * 100_000, "characters or fewer"),
    "only invisible characters": ("\u200b\u2060\u200d", "must contain some text you can see"),
}
REFUSED_IN_A_NAME = {
    **REFUSED,
    "a right-to-left override": ("Sam\u202eKCAJ", "change the direction of the text"),
}


def assert_escaped(html: str, value: str, where: str) -> None:
    assert SCRIPT not in html and "<img src=x" not in html, f"raw markup in {where}"
    assert SCRIPT_ESCAPED in html, f"the hostile text is not shown, escaped, in {where}"
    assert TEMPLATE in html, f"template syntax was evaluated in {where}"
    tag = value[value.index("[") : value.index("]") + 1]
    assert tag in html, f"{tag} is missing from {where}"


def written() -> tuple[int, ...]:
    """Everything a refused submission must leave as it was."""
    counts = tuple(
        model.objects.count()
        for model in (
            AuditEvent,
            Escalation,
            Subject,
            StageEntry,
            Contact,
            AgreedAction,
            Representation,
            PracticeIssue,
            Agency,
            Person,
        )
    )
    revisions = tuple(Escalation.objects.order_by("pk").values_list("revision", flat=True))
    return counts + revisions


# --- The people and the pages -------------------------------------------------------------


@dataclass
class Sweep:
    administrator: Person
    business_manager: Person
    data_protection_officer: Person
    today: date
    clients: dict[int, Client]

    def as_(self, person: Person) -> Client:
        if person.pk not in self.clients:
            client = Client(raise_request_exception=True)
            assert person.user is not None
            client.force_login(person.user)
            self.clients[person.pk] = client
        return self.clients[person.pk]


@pytest.fixture
def sweep(db: None) -> Sweep:
    shipped_policy("nel")
    return Sweep(
        administrator=partnership_person(role="administrator", name="Sweep Admin"),
        business_manager=partnership_person(role="business_manager", name="Sweep BM"),
        data_protection_officer=partnership_person(
            role="data_protection_officer", name="Sweep DPO"
        ),
        today=clock.local_today(),
        clients={},
    )


def _date(prefix: str, day: date) -> dict[str, str]:
    return {
        f"{prefix}_day": str(day.day),
        f"{prefix}_month": str(day.month),
        f"{prefix}_year": str(day.year),
    }


def agency_form(name: str) -> dict[str, str]:
    return {"name": name, "kind": "education"}


def person_form(agency: Agency, **fields: str) -> dict[str, Any]:
    return {
        "name": "Sam Sweep",
        "email": f"sweep{Person.objects.count()}@school.example.org",
        "job_title": "Class teacher",
        "agency": agency.pk,
        "ladder_role": "practitioner",
        **fields,
    }


def raise_url() -> str:
    state = RaiseState(subject_kind="child", immediate_risk=False, route=RouteForm.ESCALATION)
    return f"{reverse('escalations:raise_details')}?state={state.token()}"


def raise_form(other_agency: Agency, **fields: str) -> dict[str, Any]:
    category = shipped_policy("nel").rules.categories[0].key
    return {
        "subject_name": "Robin Sweep",
        "case_reference": "SWEEP-1",
        "other_agency": other_agency.pk,
        "counterpart": "",
        "category": category,
        "decision_disputed": "Referral judged below threshold.",
        "evidence": "Three missed appointments.",
        "desired_outcome": "A strategy discussion.",
        "subject_views": "",
        "entry_route": "standard",
        **fields,
    }


def contact_form(escalation: Escalation, today: date, **fields: str) -> dict[str, Any]:
    return {
        "revision": escalation.revision,
        "kind": Contact.Kind.TELEPHONE,
        "between": "Sam and Kim",
        "summary": "Talked it through.",
        "outcome": "No agreement.",
        "decision_makers": "",
        **_date("happened_on", today),
        **fields,
    }


def resolve_form(
    escalation: Escalation, owner: Person, today: date, **fields: str
) -> dict[str, Any]:
    description = fields.pop("description", "Hold a strategy discussion.")
    return {
        "revision": escalation.revision,
        "agreed_outcome": "Agreed.",
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "3",
        "actions-0-description": description,
        "actions-0-owner": owner.pk,
        **_date("actions-0-due_on", today),
        **fields,
    }


def _fresh(escalation: Escalation) -> Escalation:
    return Escalation.objects.get(pk=escalation.pk)


def _url(name: str, escalation: Escalation) -> str:
    return reverse(name, kwargs={"pk": escalation.pk})


# --- What is accepted comes back as the same words, everywhere ----------------------------


def test_hostile_text_is_shown_and_exported_as_text_everywhere(
    sweep: Sweep, record_property: Any
) -> None:
    admin = sweep.as_(sweep.administrator)
    submissions = 0

    def post(client: Client, url: str, data: dict[str, Any]) -> Any:
        nonlocal submissions
        submissions += 1
        response = client.post(url, data)
        assert response.status_code == 302, _errors(response)
        return response

    # The directory: agencies whose names start as spreadsheet formulas, a hostile person.
    names = {trigger: f"{trigger}{hostile('agency', one_line=True)}" for trigger in "=+-@"}
    for name in names.values():
        post(admin, reverse("organisations:agency_create"), agency_form(name))
    agencies = {trigger: Agency.objects.get(name=name) for trigger, name in names.items()}
    raiser_name = hostile("person", one_line=True)
    post(
        admin,
        reverse("organisations:person_create"),
        person_form(agencies["="], name=raiser_name, job_title=hostile("job title", one_line=True)),
    )
    raiser = Person.objects.get(name=raiser_name)
    counterpart = PersonFactory(agency=agencies["+"], name="Kim Sweep")
    directory = admin.get(reverse("organisations:directory")).content.decode()
    assert_escaped(directory, raiser_name, "the directory")
    assert_escaped(directory, names["@"], "the directory")
    editing = admin.get(reverse("organisations:person_edit", kwargs={"pk": raiser.pk}))
    assert_escaped(editing.content.decode(), raiser_name, "the person's form")

    # Raising, recording a contact, escalating to the final stage with hostile reasons.
    client = sweep.as_(raiser)
    narrative = {
        "decision_disputed": hostile("decision disputed"),
        "evidence": hostile("evidence"),
        "desired_outcome": hostile("desired outcome"),
        "subject_views": hostile("views and wishes"),
    }
    post(
        client,
        raise_url(),
        raise_form(
            agencies["+"],
            subject_name=hostile("subject name", one_line=True),
            case_reference=hostile("case ref", one_line=True)[:60],
            **narrative,
        ),
    )
    escalation = Escalation.objects.get(raised_by=raiser)
    contact = {
        "between": hostile("between"),
        "summary": hostile("summary"),
        "outcome": hostile("outcome"),
        "decision_makers": hostile("decision makers"),
    }
    post(
        client,
        _url("escalations:record_contact", escalation),
        contact_form(escalation, sweep.today, **contact),
    )
    # Each stage above the first belongs to a more senior rung: the school's director moves it.
    director = sweep.as_(PersonFactory(agency=agencies["="], ladder_role="assistant_director"))
    while not _fresh(escalation).is_at_final_stage:
        current = _fresh(escalation)
        post(
            director,
            _url("escalations:escalate", current),
            {"revision": current.revision, "reason": hostile("reason")},
        )
    escalation = _fresh(escalation)
    post(
        client,
        _url("escalations:new_representation", escalation),
        {"revision": escalation.revision, "text": hostile("representation")},
    )
    post(
        director,
        _url("reporting:practice_issue_new", escalation),
        {"issue": hostile("practice issue"), "is_resolved": "no"},
    )
    at_final_stage = escalation

    # A second escalation, resolved at stage 1 with a hostile agreed outcome and action.
    post(
        client,
        raise_url(),
        raise_form(
            agencies["+"],
            subject_name=hostile("subject name", one_line=True),
            case_reference=hostile("case ref", one_line=True)[:60],
            **narrative,
        ),
    )
    escalation = Escalation.objects.filter(raised_by=raiser).exclude(pk=at_final_stage.pk).get()
    post(
        client,
        _url("escalations:record_contact", escalation),
        contact_form(escalation, sweep.today, **contact),
    )

    # Another open escalation, so the register lists every formula-like agency name.
    raise_for(
        raised_by=PersonFactory(agency=agencies["-"]), other_agency=agencies["@"], today=sweep.today
    )
    places = 2  # the directory and the person's form, above
    overseer = sweep.as_(sweep.business_manager)
    register = overseer.get(reverse("reporting:register"))
    assert_escaped(register.content.decode(), names["="], "the register")
    register_csv = overseer.get(reverse("reporting:register_csv"))
    cells = [cell for row in _csv(register_csv) for cell in row]
    for name in names.values():
        assert f"'{name}" in cells, f"{name[:1]} agency name not neutralised in the CSV"
    assert not any(cell.startswith(FORMULA_TRIGGERS) for cell in cells)
    issues = overseer.get(reverse("reporting:practice_issues"))
    assert_escaped(issues.content.decode(), hostile("practice issue"), "the practice issues")
    places += 4

    # Resolving with a hostile agreed action, which the other agency confirms; then every
    # page and document of the record.
    escalation = _fresh(escalation)
    post(
        client,
        _url("escalations:resolve", escalation),
        resolve_form(
            escalation,
            counterpart,
            sweep.today,
            agreed_outcome=hostile("agreed outcome"),
            description=hostile("agreed action"),
        ),
    )
    escalation = _fresh(escalation)
    other_manager = PersonFactory(agency=agencies["+"], ladder_role="line_manager")
    post(
        sweep.as_(other_manager),
        _url("escalations:confirm_resolution", escalation),
        {"revision": escalation.revision},
    )
    shown = {
        "the escalation page": client.get(_url("escalations:detail", escalation)),
        "the final stage's page": client.get(_url("escalations:detail", at_final_stage)),
        "the list": client.get(reverse("escalations:mine")),
    }
    assert all(response.status_code == 200 for response in shown.values())
    common = {
        **narrative,
        **contact,
        "subject name": hostile("subject name", one_line=True),
        "who acted, in the history": raiser_name,
        "who has seen it": raiser_name,
        "agency": names["+"],
    }
    expected_on = {
        "the escalation page": {
            **common,
            "agreed outcome": hostile("agreed outcome"),
            "agreed action": hostile("agreed action"),
        },
        "the final stage's page": {
            **common,
            "reason": hostile("reason"),
            "representation": hostile("representation"),
        },
    }
    for where, values in expected_on.items():
        page = shown[where].content.decode()
        for field, value in values.items():
            assert_escaped(page, value, f"{where} ({field})")
        assert page.count(SCRIPT_ESCAPED) > 10
        assert "Who has seen this case" in page
    assert_escaped(shown["the list"].content.decode(), names["+"], "the list")
    places += 3

    source = record_html(build_record(escalation, prepared_on=sweep.today))
    in_the_record = [
        narrative["decision_disputed"],
        narrative["evidence"],
        narrative["desired_outcome"],
        *contact.values(),
        hostile("agreed outcome"),
        hostile("agreed action"),
    ]  # the recording template's fields: the subject's views are not among them
    for value in in_the_record:
        assert_escaped(source, value, "the PDF's source HTML")
    pdf = client.get(reverse("documents:record_pdf", kwargs={"pk": escalation.pk}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    places += 2

    docx = client.get(reverse("documents:record_docx", kwargs={"pk": escalation.pk}))
    assert docx.status_code == 200
    xml = zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode()
    assert "<script>" not in xml
    text = _docx_text(docx.content)
    for value in (narrative["evidence"], contact["summary"], hostile("agreed outcome")):
        assert value.split("\n")[0] in text, "the Word document lost or changed the text"
    places += 1

    summary = client.get(reverse("documents:summary_text", kwargs={"pk": escalation.pk}))
    assert summary.status_code == 200
    assert summary["Content-Type"].startswith("text/plain")
    assert summary["X-Content-Type-Options"] == "nosniff"
    assert hostile("agreed outcome").split("\n")[0] in summary.content.decode()
    places += 1

    officer = sweep.as_(sweep.data_protection_officer)
    export = officer.get(reverse("subject_access_export", kwargs={"pk": escalation.subject_id}))
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/json")
    exported = json.dumps(json.loads(export.content), ensure_ascii=False)
    assert json.dumps(hostile("subject name", one_line=True), ensure_ascii=False) in exported
    assert json.dumps(narrative["evidence"], ensure_ascii=False) in exported
    places += 1

    record_figure(record_property, "hostile_submissions", submissions)
    record_figure(record_property, "hostile_places", places)


def _errors(response: Any) -> str:
    return f"status {response.status_code}: {response.content.decode()[:2000]}"


def _csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8").removeprefix("\ufeff"))))


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    texts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(texts)


# --- What is refused is a clear error, and nothing is written -------------------------------


@dataclass(frozen=True)
class Form:
    """One form: where it posts, its valid answers, and which of its fields are free text."""

    url: Callable[[Sweep, dict[str, Any]], str]
    data: Callable[[Sweep, dict[str, Any]], dict[str, Any]]
    fields: tuple[str, ...]
    one_line: tuple[str, ...] = ()
    who: str = "raiser"
    at_final_stage: bool = False


def _world(sweep: Sweep, *, at_final_stage: bool) -> dict[str, Any]:
    school = AgencyFactory()
    care = AgencyFactory(kind="childrens_social_care")
    raiser = PersonFactory(agency=school, name="Sam Sweep")
    counterpart = PersonFactory(agency=care, name="Kim Sweep")
    escalation = raise_for(
        raised_by=raiser, other_agency=care, counterpart=counterpart, today=sweep.today
    )
    # Each stage belongs to its rung and those above: the school's director moves it, and
    # reports the practice issues for the lead (raising) agency.
    director = PersonFactory(agency=school, ladder_role="assistant_director")
    if at_final_stage:
        from escalate.escalations import services

        while not escalation.is_at_final_stage:
            escalation = services.escalate_stage(
                escalation=escalation, actor=director, reason="Not agreed.", today=sweep.today
            )
    return {
        "school": school,
        "care": care,
        "raiser": raiser,
        "counterpart": counterpart,
        "director": director,
        "escalation": escalation,
    }


def _on(name: str) -> Callable[[Sweep, dict[str, Any]], str]:
    return lambda sweep, world: _url(name, world["escalation"])


FORMS = {
    "raise": Form(
        url=lambda sweep, world: raise_url(),
        data=lambda sweep, world: raise_form(world["care"]),
        fields=(
            "subject_name",
            "case_reference",
            "decision_disputed",
            "evidence",
            "desired_outcome",
            "subject_views",
        ),
        one_line=("subject_name", "case_reference"),
    ),
    "contact": Form(
        url=_on("escalations:record_contact"),
        data=lambda sweep, world: contact_form(world["escalation"], sweep.today),
        fields=("between", "summary", "outcome", "decision_makers"),
    ),
    "escalate": Form(
        url=_on("escalations:escalate"),
        data=lambda sweep, world: {"revision": world["escalation"].revision, "reason": "No."},
        fields=("reason",),
    ),
    "resolve": Form(
        url=_on("escalations:resolve"),
        data=lambda sweep, world: resolve_form(
            world["escalation"], world["counterpart"], sweep.today
        ),
        fields=("agreed_outcome", "actions-0-description"),
    ),
    "representation": Form(
        url=_on("escalations:new_representation"),
        data=lambda sweep, world: {"revision": world["escalation"].revision, "text": "Our view."},
        fields=("text",),
        at_final_stage=True,
    ),
    "practice issue": Form(
        url=_on("reporting:practice_issue_new"),
        data=lambda sweep, world: {"issue": "A gap in the procedure.", "is_resolved": "no"},
        fields=("issue",),
        at_final_stage=True,
        who="director",
    ),
    "directory agency": Form(
        url=lambda sweep, world: reverse("organisations:agency_create"),
        data=lambda sweep, world: agency_form("Sweep Library"),
        fields=("name",),
        one_line=("name",),
        who="administrator",
    ),
    "directory person": Form(
        url=lambda sweep, world: reverse("organisations:person_create"),
        data=lambda sweep, world: person_form(world["school"]),
        fields=("name", "job_title"),
        one_line=("name", "job_title"),
        who="administrator",
    ),
}


@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_refused_text_is_a_clear_error_and_writes_nothing(
    sweep: Sweep, form_name: str, record_property: Any
) -> None:
    form = FORMS[form_name]
    world = _world(sweep, at_final_stage=form.at_final_stage)
    person = sweep.administrator if form.who == "administrator" else world[form.who]
    client = sweep.as_(person)
    url = form.url(sweep, world)
    valid = form.data(sweep, world)
    submissions = 0

    for field in form.fields:
        refusals = REFUSED_IN_A_NAME if field in form.one_line else REFUSED
        for what, (value, message) in refusals.items():
            before = written()
            response = client.post(url, {**valid, field: value})
            submissions += 1
            body = response.content.decode()
            assert response.status_code == 200, f"{field} with {what}: {response.status_code}"
            assert "govuk-error-summary" in body, f"{field} with {what}: no error shown"
            assert message in body, f"{field} with {what}: the error does not say why"
            assert written() == before, f"{field} with {what}: something was written"

    record_figure(record_property, "hostile_submissions", submissions)
    record_figure(record_property, "hostile_rejected", submissions)


def test_the_valid_answers_used_above_are_accepted(sweep: Sweep) -> None:
    """Each refusal above is down to the hostile field alone: the rest of the form is valid."""
    for name, form in FORMS.items():
        world = _world(sweep, at_final_stage=form.at_final_stage)
        person = sweep.administrator if form.who == "administrator" else world[form.who]
        response = sweep.as_(person).post(form.url(sweep, world), form.data(sweep, world))
        assert response.status_code == 302, f"{name}: {_errors(response)}"
