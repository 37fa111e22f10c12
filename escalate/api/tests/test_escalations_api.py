"""The escalation endpoints: who gets what, what each change stores, and what it refuses."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from unittest.mock import ANY

import pytest
from rest_framework.test import APIClient

from escalate.api.tests.conftest import (
    API_URLS,
    World,
    acting,
    client_for,
    escalate_to,
    etag,
)
from escalate.audit import events
from escalate.audit.models import AuditEvent, ReadEvent
from escalate.domain import moves
from escalate.domain.policy import SubjectKind
from escalate.escalations import services
from escalate.escalations.access import escalations_visible_to
from escalate.escalations.clock import local_today
from escalate.escalations.models import AgreedAction, Contact, Escalation
from escalate.escalations.tests.factories import (
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import PartnershipRoleAssignment

pytestmark = pytest.mark.urls(API_URLS)

FORGED_POSITION = base64.b64encode(b"p=not+a+time").decode()
"""A cursor as DRF writes them (a query string, base64), pointing at no real position."""


EVERY_ESCALATION_ENDPOINT = [
    ("get", "", None),
    ("get", "contacts/", None),
    ("post", "contacts/", {}),
    ("post", "contacts/1/corrections/", {"summary": "Fixed.", "reason": "A typing slip."}),
    ("post", "escalate/", {"reason": "Not agreed."}),
    ("post", "resolve/", {}),
    ("post", "resolution/confirm/", {}),
    ("post", "withdraw/", {"reason": "No longer needed."}),
    ("post", "close/", {}),
    ("post", "reopen/", {"reason": "Not done."}),
    ("post", "parties/", {"agency": 1, "side": "challenged"}),
    ("put", "lead-agency/", {"agency": 1}),
    ("get", "agreed-actions/", None),
    ("post", "agreed-actions/1/confirm/", {}),
    ("post", "agreed-actions/1/check-back/", {"implemented": True}),
    ("get", "checklist/", None),
    ("put", "checklist/record_outcome/", {"is_done": True}),
    ("get", "representations/", None),
    ("post", "representations/", {"text": "Our view."}),
    ("get", "panel/", None),
    ("post", "panel/members/", {"member": 1}),
    ("delete", "panel/members/1/", None),
    ("put", "panel/chair/", {"chair": 1}),
    ("put", "panel/reason/", {"reason": "None could come."}),
    ("post", "decision/", {"decided_by_kind": "chair_decision", "decision": "Agreed."}),
    ("post", "decision/corrections/", {"decision": "Agreed.", "reason": "A typing slip."}),
    ("get", "history/", None),
    ("get", "documents/record.pdf", None),
    ("get", "documents/record.docx", None),
    ("get", "documents/summary.txt", None),
    ("post", "practice-issues/", {"issue": "Thresholds differ.", "is_resolved": False}),
    ("post", "good-practice/", {"description": "Records were shared the same day."}),
    ("get", "attachments/", None),
    ("post", "attachments/", {"kind": "minutes"}),
    ("get", "attachments/1/", None),
]


def call(client: APIClient, method: str, url: str, body: Any = None, **headers: str) -> Any:
    return getattr(client, method)(url, body, format="json", **headers)


def url(escalation: Escalation, rest: str = "") -> str:
    return f"/api/v1/escalations/{escalation.pk}/{rest}"


def contact_body(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "telephone",
        "between": "Sam Raiser (teacher) and Kim Other (social worker)",
        "summary": "Discussed the referral decision.",
        "outcome": "Kim will ask her manager to review it.",
        "decision_makers": "",
        "happened_on": local_today().isoformat(),
        **overrides,
    }


# --- Permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "rest", "body"),
    EVERY_ESCALATION_ENDPOINT,
    ids=[f"{method} {rest or 'detail'}" for method, rest, _ in EVERY_ESCALATION_ENDPOINT],
)
def test_another_agencys_practitioner_gets_404_everywhere(world: World, method, rest, body):
    client = client_for(world.outsider)

    response = call(client, method, url(world.escalation, rest), body, HTTP_IF_MATCH='"1"')

    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
    assert not ReadEvent.objects.filter(reader=world.outsider).exists()


def test_every_escalation_endpoint_is_in_the_permission_loop():
    from escalate.api import urls

    routes = {
        str(pattern.pattern).removeprefix(urls.E)
        for pattern in urls.v1
        if str(pattern.pattern).startswith(urls.E)
    }
    looped = {
        rest.replace("agreed-actions/1/", "agreed-actions/<str:action_id>/")
        .replace("checklist/record_outcome/", "checklist/<str:item>/")
        .replace("panel/members/1/", "panel/members/<str:person_id>/")
        .replace("attachments/1/", "attachments/<str:attachment_id>/")
        .replace("contacts/1/corrections/", "contacts/<str:contact_id>/corrections/")
        for _, rest, _ in EVERY_ESCALATION_ENDPOINT
    }
    assert routes == looped


def test_an_unknown_escalation_is_404_like_an_unseen_one(world: World):
    client = client_for(world.raiser)
    for pk in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = client.get(f"/api/v1/escalations/{pk}/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_someone_who_can_see_but_not_move_gets_the_stage_machines_refusal(world: World):
    escalation = escalate_to(world)
    client = client_for(world.scrutineer)
    assert client.get(url(escalation)).status_code == 200

    response = call(
        client,
        "post",
        url(escalation, "contacts/"),
        contact_body(),
        HTTP_IF_MATCH=etag(client, escalation),
    )

    assert response.status_code == 409
    assert response.json()["type"].endswith("/transition-refused")
    assert response.json()["detail"] == (
        "Only people involved in this escalation can record a contact."
    )
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("raiser", 200),
        ("counterpart", 200),
        ("manager", 200),
        ("business_manager", 200),
        ("chair", 200),
        ("scrutineer", 404),
        ("outsider", 404),
    ],
)
def test_who_may_read_an_escalation_matches_the_browser(world: World, who: str, status: int):
    response = client_for(getattr(world, who)).get(url(world.escalation))
    assert response.status_code == status


def test_the_list_shows_only_what_the_person_may_see(world: World):
    other_school = world.police  # the outsider's agency raises its own escalation
    mine = services.raise_escalation(
        raised_by=world.outsider,
        policy=world.escalation.policy,
        subject=services.SubjectDetails(
            kind=SubjectKind.CHILD, name="Jo Invented", case_reference="C-2"
        ),
        other_agency=world.school,
        counterpart=None,
        category=world.escalation.category,
        decision_disputed="A decision.",
        evidence="Evidence.",
        desired_outcome="An outcome.",
    ).escalation
    assert other_school.pk == mine.raising_agency_id

    ids = [
        row["id"]
        for row in client_for(world.outsider).get("/api/v1/escalations/").json()["results"]
    ]

    assert ids == [str(mine.pk)]


# --- Reading ------------------------------------------------------------------------------------


def test_reading_an_escalation_gives_its_record_an_etag_and_a_read_event(world: World):
    response = client_for(world.raiser).get(url(world.escalation))

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["reference"] == world.escalation.reference
    assert body["subject"]["case_reference"] == "CASE-0001"
    assert body["stages"][0]["number"] == 1
    assert ReadEvent.objects.filter(reader=world.raiser, escalation=world.escalation).count() == 1


def test_list_filters(world: World):
    client = client_for(world.business_manager)
    escalation = world.escalation

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/v1/escalations/?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("status=open") == [str(escalation.pk)]
    assert ids("status=closed") == []
    assert ids("stage=1") == [str(escalation.pk)]
    assert ids("stage=2") == []
    assert ids(f"agency={world.social_care.pk}") == [str(escalation.pk)]
    assert ids(f"agency={world.police.pk}") == []
    assert ids(f"category={escalation.category}") == [str(escalation.pk)]
    assert ids("deadline=overdue") == []
    today = local_today()
    assert ids(f"raised_from={today}&raised_to={today}") == [str(escalation.pk)]
    assert ids(f"raised_from={today + timedelta(days=1)}") == []
    Escalation.objects.filter(pk=escalation.pk).update(stage_due_on=today - timedelta(days=3))
    assert ids("deadline=overdue") == [str(escalation.pk)]
    assert ids("deadline=due") == [str(escalation.pk)]


@pytest.mark.parametrize(
    "query",
    [
        "status=sideways",
        "stage=0",
        "raised_from=yesterday",
        "deadline=soon",
        "colour=red",
        "page_size=1000",
        "page_size=%C2%B2",  # "²": a digit to str.isdigit, not to int
    ],
)
def test_bad_filters_are_400_with_the_parameter_named(world: World, query: str):
    response = client_for(world.raiser).get(f"/api/v1/escalations/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["type"].endswith("/validation")
    assert all("parameter" in error for error in body["errors"])


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", FORGED_POSITION],  # the second decodes, but its position is not a time
)
def test_a_cursor_that_names_no_page_is_404_with_the_parameter_named(world: World, cursor: str):
    response = client_for(world.raiser).get(f"/api/v1/escalations/?cursor={cursor}")

    assert response.status_code == 404
    assert response.json()["errors"] == [{"parameter": "cursor", "detail": ANY}]


def test_the_list_pages_with_a_cursor(world: World):
    for number in range(3):
        services.raise_escalation(
            raised_by=world.raiser,
            policy=world.escalation.policy,
            subject=services.SubjectDetails(
                kind=SubjectKind.CHILD, name="Jo Invented", case_reference=f"C-{number}"
            ),
            other_agency=world.social_care,
            counterpart=None,
            category=world.escalation.category,
            decision_disputed="A decision.",
            evidence="Evidence.",
            desired_outcome="An outcome.",
        )
    client = client_for(world.raiser)
    seen: list[str] = []
    next_url = "/api/v1/escalations/?page_size=3"
    while next_url:
        page = client.get(next_url).json()
        seen += [row["id"] for row in page["results"]]
        next_url = page["next"]
    assert len(seen) == len(set(seen)) == 4


def test_a_leads_pages_read_from_involvement_rows_are_the_whole_set_in_order(world: World):
    """A safeguarding lead sees their own cases and their agency's; the pages the API finds
    from those rows join up, forwards and back, into exactly the visible set, newest first,
    with and without filters."""
    lead = PersonFactory(agency=world.school, name="Dee Lead", ladder_role="safeguarding_lead")
    _more_escalations(world, 4)
    own = raise_for(raised_by=lead, other_agency=world.police, today=local_today())
    services.withdraw_escalation(escalation=own, actor=lead, reason="Sorted.", today=local_today())
    raise_for(raised_by=world.counterpart, other_agency=world.police, today=local_today())
    client = client_for(lead)

    def walk(query: str) -> tuple[list[str], list[str]]:
        forwards, page = [], client.get(f"/api/v1/escalations/?page_size=2{query}").json()
        while True:
            forwards.append([row["id"] for row in page["results"]])
            if not page["next"]:
                break
            page = client.get(page["next"]).json()
        backwards = [forwards[-1]]
        while page["previous"]:
            page = client.get(page["previous"]).json()
            backwards.insert(0, [row["id"] for row in page["results"]])
        return [i for p in forwards for i in p], [i for p in backwards for i in p]

    for query, narrowed in (
        ("", {}),
        ("&status=open", {"status": "open"}),
        ("&status=withdrawn", {"status": "withdrawn"}),
        (f"&agency={world.police.pk}", {"parties__agency": world.police}),
    ):
        expected = [
            str(pk)
            for pk in escalations_visible_to(lead)
            .filter(**narrowed)
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)
        ]
        assert walk(query) == (expected, expected), query
    assert len(walk("")[0]) == 6  # the world's, four more, and the lead's own


def _more_escalations(world: World, count: int) -> None:
    for number in range(count):
        raise_for(
            raised_by=world.raiser,
            other_agency=world.social_care,
            today=local_today(),
            subject=services.SubjectDetails(
                kind=SubjectKind.CHILD, name="Jo Invented", case_reference=f"C-{number}"
            ),
        )


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("raiser", "/api/v1/escalations/"),
        ("business_manager", "/api/v1/register/"),
        ("raiser", "/api/v1/people/"),
        ("raiser", "/api/v1/agencies/"),
    ],
)
def test_lists_read_the_same_number_of_queries_however_many_rows(world: World, who, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(getattr(world, who))
    client.get(path)  # the token's first use records it; count the calls after

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    before = queries()
    _more_escalations(world, 3)
    for _ in range(3):
        PersonFactory(agency=world.school)
    assert queries() == before


# --- Raising --------------------------------------------------------------------------------


def raise_body(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "subject": {"kind": "child", "name": "Alex Invented", "case_reference": "CASE-0002"},
        "other_agency": world.social_care.pk,
        "counterpart": world.counterpart.pk,
        "category": world.escalation.category,
        "decision_disputed": "Referral judged below threshold.",
        "evidence": "Three missed appointments.",
        "desired_outcome": "A strategy discussion.",
        **overrides,
    }


def test_raising_creates_an_escalation_with_its_audit_event(world: World):
    response = call(client_for(world.raiser), "post", "/api/v1/escalations/", raise_body(world))

    assert response.status_code == 201, response.content
    created = Escalation.objects.get(pk=response.json()["id"])
    assert created.raised_by == world.raiser
    assert response["Location"].endswith(f"/api/v1/escalations/{created.pk}/")
    assert response["ETag"] == '"1"'
    assert AuditEvent.objects.filter(escalation=created, event=events.ESCALATION_RAISED).exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"counterpart": None},
        {"immediate_risk": True, "same_day_route_taken": True},
    ],
    ids=["with a counterpart", "without one", "same-day route"],
)
def test_the_raise_response_is_the_case_as_read_back(world: World, overrides: dict[str, Any]):
    # The response is built from the rows raising wrote, not read back: it must say what a
    # read says, history, parties, who acts and the moves included.
    client = client_for(world.raiser)
    raised = call(client, "post", "/api/v1/escalations/", raise_body(world, **overrides))
    assert raised.status_code == 201, raised.content

    read = client.get(raised["Location"])

    assert raised.json() == read.json()
    assert raised["ETag"] == read["ETag"]


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"other_agency": "school"}, "#/other_agency"),
        ({"subject": {"kind": "child", "name": "A", "nhs_number": "123"}}, "#/subject/nhs_number"),
        ({"subject": {"kind": "pet", "name": "A", "case_reference": "C"}}, "#/subject/kind"),
        ({"decision_disputed": ""}, "#/decision_disputed"),
        ({"counterpart": "nobody"}, "#/counterpart"),
    ],
)
def test_raising_with_bad_fields_is_400_with_pointers(world: World, overrides, pointer):
    response = call(
        client_for(world.raiser), "post", "/api/v1/escalations/", raise_body(world, **overrides)
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert pointer in [error["pointer"] for error in response.json()["errors"]]


def test_a_subject_with_neither_reference_nor_nhs_number_is_refused_by_the_procedure(
    world: World,
):
    body = raise_body(world, subject={"kind": "child", "name": "A"})

    response = call(client_for(world.raiser), "post", "/api/v1/escalations/", body)

    assert response.status_code == 409
    assert "case reference, PID or NHS number" in response.json()["detail"]


def test_a_date_of_birth_after_today_is_refused_by_the_procedure(world: World):
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    subject = {"kind": "child", "name": "A", "case_reference": "C-1", "date_of_birth": tomorrow}

    response = call(
        client_for(world.raiser), "post", "/api/v1/escalations/", raise_body(world, subject=subject)
    )

    assert response.status_code == 409
    assert "date of birth must be today or in the past" in response.json()["detail"]
    assert Escalation.objects.count() == 1  # the world's own


def test_the_counterpart_must_work_in_the_other_agency(world: World):
    body = raise_body(world, other_agency=world.police.pk)

    response = call(client_for(world.raiser), "post", "/api/v1/escalations/", body)

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Choose someone who works in Invented Police, or nobody if not known."
    )


def test_the_other_agency_must_be_another_agency_of_the_partnership(world: World):
    elsewhere = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)
    client = client_for(world.raiser)

    answers = [
        call(client, "post", "/api/v1/escalations/", raise_body(world, **body))
        for body in (
            {"other_agency": 999999, "counterpart": None},
            {"other_agency": elsewhere.agency_id, "counterpart": None},
            {"other_agency": world.school.pk, "counterpart": None},
        )
    ]

    assert [answer.status_code for answer in answers] == [409, 409, 409]
    assert [answer.json()["detail"] for answer in answers] == [
        moves.NO_SUCH_AGENCY,
        moves.NO_SUCH_AGENCY,
        "The other agency must be a different agency from your own.",
    ]
    assert Escalation.objects.count() == 1


def test_a_refusal_by_the_procedure_is_409(world: World):
    body = raise_body(world, start_at=3)  # only with immediate risk

    response = call(client_for(world.raiser), "post", "/api/v1/escalations/", body)

    assert response.status_code == 409
    assert response.json()["type"].endswith("/transition-refused")
    assert "immediate risk" in response.json()["detail"]


def test_someone_outside_an_agency_cannot_raise(world: World):
    response = call(
        client_for(world.business_manager), "post", "/api/v1/escalations/", raise_body(world)
    )
    assert response.status_code == 403


# --- Changes: ETag, If-Match, 412, 428 -------------------------------------------------------


def test_a_change_without_if_match_is_428_and_changes_nothing(world: World):
    response = call(
        client_for(world.raiser), "post", url(world.escalation, "escalate/"), {"reason": "x"}
    )

    assert response.status_code == 428
    assert response.json()["type"].endswith("/precondition-required")
    world.escalation.refresh_from_db()
    assert world.escalation.stage_number == 1


@pytest.mark.parametrize("if_match", ['"7"', 'W/"1"', "garbage", '"1x"'])
def test_a_change_with_a_stale_or_unusable_if_match_is_412(world: World, if_match: str):
    response = call(
        client_for(world.raiser),
        "post",
        url(world.escalation, "escalate/"),
        {"reason": "x"},
        HTTP_IF_MATCH=if_match,
    )

    assert response.status_code == 412
    assert response.json()["type"].endswith("/stale")
    world.escalation.refresh_from_db()
    assert world.escalation.stage_number == 1


def test_a_change_someone_else_made_first_makes_the_old_etag_stale(world: World):
    mine, theirs = client_for(world.raiser), client_for(world.counterpart)
    seen = etag(mine, world.escalation)
    call(theirs, "post", url(world.escalation, "contacts/"), contact_body(), HTTP_IF_MATCH=seen)

    response = call(
        mine, "post", url(world.escalation, "escalate/"), {"reason": "x"}, HTTP_IF_MATCH=seen
    )

    assert response.status_code == 412
    assert "Contact recorded" in response.json()["detail"]


def test_the_response_to_a_change_carries_the_new_etag(world: World):
    client = client_for(world.raiser)

    response = call(
        client, "post", url(world.escalation, "contacts/"), contact_body(), HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 201, response.content
    assert response["ETag"] == '"2"'
    assert etag(client, world.escalation) == '"2"'


def test_recording_a_contact_stores_it_and_audits_it(world: World):
    response = call(
        client_for(world.counterpart),
        "post",
        url(world.escalation, "contacts/"),
        contact_body(),
        HTTP_IF_MATCH='"1"',
    )

    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.recorded_by == world.counterpart
    assert AuditEvent.objects.filter(
        escalation=world.escalation, event=events.CONTACT_RECORDED, actor=world.counterpart
    ).exists()


@pytest.mark.parametrize(
    ("field", "text", "says"),
    [
        ("summary", "Called\x1b[31m twice", "control characters"),
        ("outcome", "Agreed\x00", "Null characters are not allowed"),
        ("summary", "\u200b\u200b", "some text you can see"),
    ],
)
def test_a_contact_s_text_keeps_the_forms_rules(world: World, field: str, text: str, says: str):
    response = call(
        client_for(world.raiser),
        "post",
        url(world.escalation, "contacts/"),
        contact_body(**{field: text}),
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["pointer"] == f"#/{field}" and says in error["detail"]
    assert not Contact.objects.exists()


def test_a_name_that_turns_the_text_around_is_refused(world: World):
    subject = {"kind": "child", "name": "Alex \u202eInvented", "case_reference": "C-1"}

    response = call(
        client_for(world.raiser), "post", "/api/v1/escalations/", raise_body(world, subject=subject)
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/subject/name"
    assert Escalation.objects.count() == 1  # the world's own


def test_a_contact_in_the_future_is_refused(world: World):
    future = (local_today() + timedelta(days=2)).isoformat()

    response = call(
        client_for(world.raiser),
        "post",
        url(world.escalation, "contacts/"),
        contact_body(happened_on=future),
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "The date of the contact must be today or in the past."
    assert not Contact.objects.exists()


def test_escalating_past_the_final_stage_is_409(world: World):
    escalation = escalate_to(world)
    client = client_for(acting(world, world.school))

    response = call(
        client,
        "post",
        url(escalation, "escalate/"),
        {"reason": "x"},
        HTTP_IF_MATCH=etag(client, escalation),
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "This escalation is already at its final stage."


def test_withdrawing(world: World):
    client = client_for(world.raiser)

    response = call(
        client,
        "post",
        url(world.escalation, "withdraw/"),
        {"reason": "Resolved informally."},
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert AuditEvent.objects.filter(event=events.ESCALATION_WITHDRAWN).exists()


def test_resolving_needs_an_owner_from_the_partnership(world: World):
    elsewhere = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)

    def resolve_with(owner: Any) -> Any:
        body = {
            "agreed_outcome": "Agreed.",
            "actions": [
                {"description": "Review.", "owner": owner, "due_on": local_today().isoformat()}
            ],
        }
        return call(
            client_for(world.raiser),
            "post",
            url(world.escalation, "resolve/"),
            body,
            HTTP_IF_MATCH='"1"',
        )

    for owner in (999999, elsewhere.pk):
        response = resolve_with(owner)
        assert response.status_code == 409
        assert response.json()["detail"] == moves.NOT_IN_PARTNERSHIP
    assert resolve_with("someone").json()["errors"][0]["pointer"] == "#/actions/0/owner"
    world.escalation.refresh_from_db()
    assert world.escalation.revision == 1


def test_resolving_needs_at_least_one_action(world: World):
    body = {"agreed_outcome": "Agreed.", "actions": []}

    response = call(
        client_for(world.raiser),
        "post",
        url(world.escalation, "resolve/"),
        body,
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/actions"


def test_checklist_items_that_are_not_on_the_checklist_are_404(world: World):
    client = client_for(world.raiser)

    response = call(
        client,
        "put",
        url(world.escalation, "checklist/no_such_item/"),
        {"is_done": True},
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 404


def test_the_checklist_waits_for_resolution(world: World):
    response = call(
        client_for(world.raiser),
        "put",
        url(world.escalation, "checklist/record_outcome/"),
        {"is_done": True},
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 409


def test_an_agreed_action_of_another_escalation_is_404(world: World):
    other = raise_for(
        raised_by=world.raiser,
        other_agency=world.social_care,
        counterpart=world.counterpart,
        today=local_today(),
        subject=services.SubjectDetails(
            kind=SubjectKind.CHILD, name="Jo Invented", case_reference="C-9"
        ),
    )
    services.resolve_escalation(
        escalation=other,
        actor=world.raiser,
        agreed_outcome="Agreed.",
        actions=[services.AgreedActionDetails("Do it.", world.counterpart, local_today())],
    )
    services.confirm_resolution(escalation=other, actor=world.counterpart)
    action = AgreedAction.objects.get(escalation=other)

    response = call(
        client_for(world.raiser),
        "post",
        url(world.escalation, f"agreed-actions/{action.pk}/confirm/"),
        {},
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 404


# --- The final stage, history and practice issues ------------------------------------------------


def test_the_final_stage_through_the_api(world: World):
    escalation = escalate_to(world)
    raiser = client_for(world.raiser)

    represented = call(
        raiser,
        "post",
        url(escalation, "representations/"),
        {"text": "Our view."},
        HTTP_IF_MATCH=etag(raiser, escalation),
    )
    assert represented.status_code == 201, represented.content
    assert raiser.get(url(escalation, "representations/")).json()[0]["text"] == "Our view."

    chair = client_for(world.chair)
    decided = call(
        chair,
        "post",
        url(escalation, "decision/"),
        {"decided_by_kind": "chair_decision", "decision": "The referral is accepted."},
        HTTP_IF_MATCH=etag(chair, escalation),
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "resolved"
    assert decided.json()["final_decision"]["decision"] == "The referral is accepted."


def test_only_the_chair_or_panel_may_decide(world: World):
    escalation = escalate_to(world)
    client = client_for(world.raiser)

    response = call(
        client,
        "post",
        url(escalation, "decision/"),
        {"decided_by_kind": "chair_decision", "decision": "Mine."},
        HTTP_IF_MATCH=etag(client, escalation),
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "Only the chair can record this decision."
    assert not escalation.final_decisions.exists()


def test_appointing_a_panel_member_lets_them_see_the_escalation(world: World):
    escalation = escalate_to(world)
    member = partnership_person(role="panel_member", name="Pip Panel")
    client = client_for(world.business_manager)
    assert client.get(url(escalation, "panel/")).json()["members"] == []
    assert client_for(member).get(url(escalation)).status_code == 404

    response = call(
        client,
        "post",
        url(escalation, "panel/members/"),
        {"member": member.pk},
        HTTP_IF_MATCH=etag(client, escalation),
    )

    assert response.status_code == 200, response.content
    assert response.json()["members"] == [{"id": member.pk, "name": "Pip Panel"}]
    assert client_for(member).get(url(escalation)).status_code == 200


def test_the_history_lists_the_audit_events(world: World):
    response = client_for(world.raiser).get(url(world.escalation, "history/"))

    assert response.status_code == 200
    assert [row["event"] for row in response.json()["results"]] == [events.ESCALATION_RAISED]
    assert ReadEvent.objects.filter(detail="API: history").count() == 1


def test_practice_issues_wait_for_the_procedures_stage(world: World):
    response = call(
        client_for(world.raiser),
        "post",
        url(world.escalation, "practice-issues/"),
        {"issue": "Thresholds differ.", "is_resolved": False},
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 409


def test_practice_issues_check_if_match(world: World):
    escalation = escalate_to(world, 3)
    client = client_for(acting(world, world.school, escalation))  # the lead agency's rung

    stale = call(
        client,
        "post",
        url(escalation, "practice-issues/"),
        {"issue": "Thresholds differ.", "is_resolved": False},
        HTTP_IF_MATCH='"1"',
    )
    fresh = call(
        client,
        "post",
        url(escalation, "practice-issues/"),
        {"issue": "Thresholds differ.", "is_resolved": False},
        HTTP_IF_MATCH=etag(client, escalation),
    )

    assert stale.status_code == 412
    assert fresh.status_code == 201, fresh.content
    assert fresh.json()["lead_agency"]["id"] == world.school.pk


def test_a_partnership_role_holder_without_an_agency_reads_through_their_role(world: World):
    PartnershipRoleAssignment.objects.filter(person=world.business_manager).delete()

    response = client_for(world.business_manager).get(url(world.escalation))

    assert response.status_code == 404
