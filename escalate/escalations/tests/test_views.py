"""The practitioners' pages: who may open what, what the forms refuse, and what they keep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalate.escalations import clock, services
from escalate.escalations.models import AgreedAction, Contact, Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, Person

RAISED_ON = date(2026, 12, 18)  # a Friday, a week before Christmas


@dataclass
class World:
    school: Agency
    social_care: Agency
    police: Agency
    raiser: Person
    counterpart: Person
    manager: Person
    school_manager: Person
    director: Person
    business_manager: Person
    scrutineer: Person
    chair: Person
    panel_member: Person
    outsider: Person
    escalation: Escalation


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def build_world() -> World:
    """NEL: a school raises against children's services. Stage 1 belongs to the two named
    practitioners, stage 2 to the line managers, stages 3 to 5 to more senior rungs (the
    school's assistant director may move every stage)."""
    school = AgencyFactory(name="Invented Primary School", kind="education")
    social_care = AgencyFactory(name="Invented Children's Services", kind="childrens_social_care")
    police = AgencyFactory(name="Invented Police", kind="police")
    raiser = PersonFactory(agency=school, name="Sam Raiser", job_title="Class teacher")
    counterpart = PersonFactory(agency=social_care, name="Kim Other", job_title="Social worker")
    manager = PersonFactory(
        agency=social_care, name="Lee Manager", job_title="Team manager", ladder_role="line_manager"
    )
    return World(
        school=school,
        social_care=social_care,
        police=police,
        raiser=raiser,
        counterpart=counterpart,
        manager=manager,
        school_manager=PersonFactory(
            agency=school, name="Jo Deputy", job_title="Deputy head", ladder_role="line_manager"
        ),
        director=PersonFactory(
            agency=school,
            name="Ari Director",
            job_title="Director of education",
            ladder_role="assistant_director",
        ),
        business_manager=partnership_person(role="business_manager", name="Bo Business"),
        scrutineer=partnership_person(role="independent_scrutineer", name="Sky Scrutineer"),
        chair=partnership_person(role="chair", name="Cal Chair"),
        panel_member=partnership_person(role="panel_member", name="Pia Panel"),
        outsider=PersonFactory(agency=police, name="Pat Outsider"),
        escalation=raise_for(
            raised_by=raiser, other_agency=social_care, counterpart=counterpart, today=RAISED_ON
        ),
    )


def signed_in(client: Client, person: Person) -> Client:
    assert person.user is not None
    client.force_login(person.user)
    return client


def url(name: str, escalation: Escalation, **kwargs: Any) -> str:
    return reverse(f"escalations:{name}", kwargs={"pk": escalation.pk, **kwargs})


def current(escalation: Escalation) -> Escalation:
    return Escalation.objects.get(pk=escalation.pk)


def to_final_stage(world: World) -> Escalation:
    """Up the ladder by the school's assistant director, whose rung may move every stage."""
    escalation = world.escalation
    while not escalation.is_at_final_stage:
        escalation = services.escalate_stage(
            escalation=escalation, actor=world.director, reason="Not agreed.", today=RAISED_ON
        )
    return escalation


def agree_at_stage_1(world: World, *, actions: int = 1) -> Escalation:
    """The raiser proposes a resolution and the counterpart confirms it: resolved."""
    services.resolve_escalation(
        escalation=world.escalation,
        actor=world.raiser,
        agreed_outcome="A strategy discussion will be held.",
        actions=[
            services.AgreedActionDetails(f"Action {n}", world.counterpart, date(2080, 1, 8))
            for n in range(actions)
        ],
        today=RAISED_ON,
    )
    return services.confirm_resolution(
        escalation=world.escalation, actor=world.counterpart, today=RAISED_ON
    )


@pytest.fixture
def on_the_raise_day(monkeypatch: pytest.MonkeyPatch) -> date:
    """The pages and the services both think it is the day the escalation was raised."""
    monkeypatch.setattr(clock, "local_today", lambda: RAISED_ON)
    monkeypatch.setattr(services, "local_today", lambda: RAISED_ON)
    return RAISED_ON


def date_fields(prefix: str, day: date) -> dict[str, str]:
    return {
        f"{prefix}_day": str(day.day),
        f"{prefix}_month": str(day.month),
        f"{prefix}_year": str(day.year),
    }


# --- Who may open what -------------------------------------------------------------------

# The stage machine's answer at stage 1, as each role should meet it. Stage 1 belongs to the
# practitioners of both agencies (and those above them there); withdrawing to the raising
# side; the partnership's people see it, but neither record contacts nor move the stage
# until it reaches them at the final stage.
BEFORE_THE_FINAL_STAGE = {
    "detail": {"raiser", "counterpart", "manager", "business_manager", "chair"},
    "record_contact": {"raiser", "counterpart", "manager"},
    "escalate": {"raiser", "counterpart", "manager"},
    "resolve": {"raiser", "counterpart", "manager"},
    "withdraw": {"raiser"},
}
SEES_IT = {"raiser", "counterpart", "manager", "business_manager", "chair"}


@pytest.mark.parametrize("role", [*sorted(SEES_IT), "outsider", "scrutineer"])
@pytest.mark.parametrize("page", sorted(BEFORE_THE_FINAL_STAGE))
def test_permission_matrix_before_the_final_stage(
    client: Client, world: World, role: str, page: str
) -> None:
    response = signed_in(client, getattr(world, role)).get(url(page, world.escalation))

    if role not in SEES_IT:
        assert response.status_code == 404
    else:
        assert response.status_code == (200 if role in BEFORE_THE_FINAL_STAGE[page] else 403)


@pytest.mark.parametrize(
    ("role", "page", "status"),
    [
        ("scrutineer", "detail", 200),
        ("scrutineer", "record_contact", 403),
        ("scrutineer", "decision", 403),
        ("outsider", "detail", 404),
        ("outsider", "decision", 404),
        ("raiser", "decision", 403),
        ("raiser", "new_representation", 200),
        ("raiser", "panel", 403),
        ("raiser", "escalate", 403),
        ("chair", "decision", 200),
        ("chair", "panel", 200),
        ("business_manager", "panel", 200),
        ("business_manager", "decision", 403),
    ],
    ids=lambda value: str(value),
)
def test_permission_matrix_at_the_final_stage(
    client: Client, world: World, role: str, page: str, status: int
) -> None:
    escalation = to_final_stage(world)

    response = signed_in(client, getattr(world, role)).get(url(page, escalation))

    assert response.status_code == status


def test_an_outsider_posting_an_action_gets_404_and_nothing_changes(
    client: Client, world: World
) -> None:
    response = signed_in(client, world.outsider).post(
        url("withdraw", world.escalation), {"revision": 1, "reason": "Not mine."}
    )

    assert response.status_code == 404
    assert current(world.escalation).status == Escalation.Status.OPEN


def test_a_scrutineer_posting_an_action_at_the_final_stage_gets_403(
    client: Client, world: World
) -> None:
    escalation = to_final_stage(world)

    response = signed_in(client, world.scrutineer).post(
        url("withdraw", escalation), {"revision": escalation.revision, "reason": "Mine now."}
    )

    assert response.status_code == 403
    assert "Only the raising side can withdraw" in response.content.decode()
    assert current(escalation).status == Escalation.Status.OPEN


def test_the_challenged_side_is_refused_withdrawal_with_the_reason(
    client: Client, world: World
) -> None:
    response = signed_in(client, world.manager).post(
        url("withdraw", world.escalation),
        {"revision": world.escalation.revision, "reason": "We disagree with it."},
    )

    assert response.status_code == 403
    assert "the agency whose decision is challenged cannot end the challenge" in (
        response.content.decode()
    )
    assert current(world.escalation).status == Escalation.Status.OPEN


def test_signed_out_people_are_sent_to_sign_in(client: Client, world: World) -> None:
    response = client.get(url("detail", world.escalation))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- The list ----------------------------------------------------------------------------


def test_list_shows_stage_other_agency_due_date_age_overdue_and_whose_move(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "local_today", lambda: date(2027, 1, 5))

    text = signed_in(client, world.raiser).get(reverse("escalations:mine")).content.decode()

    assert world.escalation.reference in text
    assert "Stage 1: Practitioner to escalate to line manager" in text
    assert "Invented Children&#x27;s Services" in text
    assert "Mon 21 Dec 2026" in text  # by working day 2
    # Working days after Fri 18 Dec up to Tue 5 Jan, skipping Christmas and the New Year.
    assert "9 working days" in text
    assert "Overdue" in text
    assert "Waiting on you" in text
    assert "Raise an escalation" in text


def test_the_counterpart_sees_the_raising_agency_as_the_other_agency(
    client: Client, world: World
) -> None:
    text = signed_in(client, world.counterpart).get(reverse("escalations:mine")).content.decode()

    assert "Invented Primary School" in text


# --- The detail page ---------------------------------------------------------------------


def test_detail_explains_the_due_date_and_who_acts_next(client: Client, world: World) -> None:
    escalation = services.escalate_stage(
        escalation=world.escalation, actor=world.raiser, reason="No reply.", today=RAISED_ON
    )

    text = signed_in(client, world.raiser).get(url("detail", escalation)).content.decode()

    assert "Stage 2: Escalate to organisation safeguarding representative" in text
    assert "Thu 31 Dec 2026" in text
    assert (
        "By working day 8 of the procedure: counted from Fri 18 Dec 2026, skipping "
        "Sat 19 Dec and Sun 20 Dec (weekend), Fri 25 Dec (Christmas Day)"
    ) in text
    assert "Team manager" in text  # the children's services title at stage 2
    assert "Lee Manager" in text  # named on the ladder in the directory
    assert "Jo Deputy" in text  # and the school's line manager
    assert "Alex Invented" in text
    assert "Escalated to the next stage" in text  # the history
    assert "No reply." in text  # the stage record's reason
    # Stage 2 belongs to the line managers: the raiser may no longer move it.
    assert "Waiting on Invented Primary School and Invented Children&#x27;s Services" in text
    assert "Escalate to the next stage" not in text
    assert "Record a contact" in text


def test_detail_query_count_does_not_grow_with_the_record(client: Client, world: World) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("detail", world.escalation)).status_code == 200
        return len(captured)

    signed_in(client, world.manager).get(url("detail", world.escalation))  # the session settles
    before = queries()
    for number in range(3):
        services.record_contact(
            escalation=world.escalation,
            actor=world.manager,
            kind="meeting",
            between=f"Meeting {number}",
            summary="Discussed.",
            outcome="Agreed.",
            decision_makers="Lee Manager",
            happened_on=RAISED_ON,
            today=RAISED_ON,
        )
    agree_at_stage_1(world, actions=3)

    assert queries() == before


def test_detail_shows_no_action_buttons_to_a_scrutineer(client: Client, world: World) -> None:
    escalation = to_final_stage(world)

    text = signed_in(client, world.scrutineer).get(url("detail", escalation)).content.decode()

    assert "Record a contact" not in text
    assert "Escalate to the partnership or board chair" in text
    assert "Waiting on the chair or the panel" in text


def test_detail_links_follow_the_stage_machine(client: Client, world: World) -> None:
    as_raiser = signed_in(client, world.raiser).get(url("detail", world.escalation))
    text = as_raiser.content.decode()
    for href in ("record_contact", "escalate", "resolve", "withdraw", "add_agency"):
        assert url(href, world.escalation) in text
    for href in ("confirm_resolution", "close", "reopen", "lead_agency", "decision", "panel"):
        assert url(href, world.escalation) not in text

    as_manager = signed_in(Client(), world.manager).get(url("detail", world.escalation))
    assert url("withdraw", world.escalation) not in as_manager.content.decode()


# --- Actions -----------------------------------------------------------------------------


def contact_data(revision: int, **overrides: str) -> dict[str, str]:
    return {
        "revision": str(revision),
        "kind": "telephone",
        "between": "Sam Raiser (school) and Kim Other (children's services)",
        "summary": "Talked through the missed appointments.",
        "outcome": "Kim will review the referral today.",
        "decision_makers": "",
        **date_fields("happened_on", clock.local_today()),
        **overrides,
    }


def test_recording_a_contact_saves_it_and_returns_to_the_escalation(
    client: Client, world: World, on_the_raise_day: date
) -> None:
    response = signed_in(client, world.raiser).post(
        url("record_contact", world.escalation), contact_data(world.escalation.revision)
    )

    assert response.status_code == 302
    assert response["Location"] == world.escalation.get_absolute_url()
    contact = Contact.objects.get(escalation=world.escalation)
    assert contact.happened_on == clock.local_today()
    assert "Contact recorded" in client.get(response["Location"]).content.decode()


def test_a_stale_revision_keeps_the_input_says_what_changed_and_asks_to_confirm(
    client: Client, world: World, on_the_raise_day: date
) -> None:
    stale = world.escalation.revision
    services.record_contact(
        escalation=world.escalation,
        actor=world.counterpart,
        kind="email",
        between="Kim and Sam",
        summary="Sent the notes.",
        outcome="None yet.",
        decision_makers="",
        happened_on=RAISED_ON,
    )

    response = signed_in(client, world.raiser).post(
        url("record_contact", world.escalation),
        contact_data(stale, summary="My typed summary survives."),
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this escalation" in text
    assert "The latest change was &#x27;Contact recorded&#x27; by Kim Other" in text
    assert "The escalation as it is now" in text
    assert "My typed summary survives." in text
    assert "I have read what changed and still want to do this" in text
    assert Contact.objects.filter(escalation=world.escalation).count() == 1
    # The page now carries the current revision, and sending it needs the box ticked.
    assert f'value="{stale + 1}"' in text
    again = contact_data(stale + 1, summary="My typed summary survives.", after_change="1")
    unconfirmed = client.post(url("record_contact", world.escalation), again)
    assert "Confirm that you have read what changed" in unconfirmed.content.decode()
    assert Contact.objects.filter(escalation=world.escalation).count() == 1

    confirmed = client.post(
        url("record_contact", world.escalation), {**again, "still_wanted": "on"}
    )

    assert confirmed.status_code == 302
    assert Contact.objects.filter(escalation=world.escalation).count() == 2


def test_contact_form_errors_are_summarised_and_linked(client: Client, world: World) -> None:
    response = signed_in(client, world.raiser).post(
        url("record_contact", world.escalation),
        contact_data(world.escalation.revision, kind="", happened_on_month=""),
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Record a contact" in text
    assert '<a href="#id_kind">Select the type of contact</a>' in text
    assert '<a href="#id_happened_on-day">Date of the contact must include a month</a>' in text


def test_escalating_past_the_final_stage_shows_the_refusal(client: Client, world: World) -> None:
    escalation = to_final_stage(world)

    response = signed_in(client, world.director).post(
        url("escalate", escalation), {"revision": escalation.revision, "reason": "Still stuck."}
    )

    assert response.status_code == 403
    assert "This escalation is already at its final stage." in response.content.decode()


def resolve_data(revision: int, owner: Person, **overrides: str) -> dict[str, str]:
    return {
        "revision": str(revision),
        "agreed_outcome": "A strategy discussion will be held.",
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "3",
        "actions-0-description": "Hold the strategy discussion.",
        "actions-0-owner": str(owner.pk),
        **date_fields("actions-0-due_on", date(2080, 1, 8)),
        **overrides,
    }


def test_resolving_needs_at_least_one_agreed_action(client: Client, world: World) -> None:
    data = resolve_data(world.escalation.revision, world.manager)
    for key in ("actions-0-description", "actions-0-owner", "actions-0-due_on_day"):
        data[key] = ""
    data["actions-0-due_on_month"] = data["actions-0-due_on_year"] = ""

    response = signed_in(client, world.manager).post(url("resolve", world.escalation), data)

    assert "Add at least one agreed action" in response.content.decode()
    assert not AgreedAction.objects.exists()


def test_propose_confirm_check_back_tick_and_close(client: Client, world: World) -> None:
    """The manager proposes; the raiser confirms for the school; the raising side checks
    back and closes; each agency ticks its own file entry."""
    manager, raiser, counterpart = (
        signed_in(Client(), world.manager),
        signed_in(Client(), world.raiser),
        signed_in(Client(), world.counterpart),
    )

    def revision() -> int:
        return current(world.escalation).revision

    proposed = manager.post(
        url("resolve", world.escalation), resolve_data(revision(), world.manager)
    )
    assert proposed.status_code == 302
    assert current(world.escalation).status == Escalation.Status.OPEN
    assert not AgreedAction.objects.exists()
    detail = raiser.get(url("detail", world.escalation)).content.decode()
    assert (
        "Resolution proposed by Lee Manager (Invented Children&#x27;s Services), waiting for "
        "confirmation from Invented Primary School."
    ) in detail

    confirmed = raiser.post(url("confirm_resolution", world.escalation), {"revision": revision()})
    assert confirmed.status_code == 302
    assert current(world.escalation).status == Escalation.Status.RESOLVED
    action = AgreedAction.objects.get()

    closing = raiser.get(url("close", world.escalation))
    assert closing.status_code == 403
    assert "2 checklist item(s) are neither done nor explained" in closing.content.decode()

    kwargs = {"action_id": action.pk}
    assert manager.get(url("confirm_action", world.escalation, **kwargs)).status_code == 403
    assert (
        raiser.post(
            url("confirm_action", world.escalation, **kwargs), {"revision": revision()}
        ).status_code
        == 302
    )
    assert (
        raiser.post(
            url("check_back_action", world.escalation, **kwargs),
            {"revision": revision(), "implemented": "yes", "note": "Held on Monday."},
        ).status_code
        == 302
    )
    for who in (raiser, counterpart):  # each agency answers for its own files
        tick = who.post(
            url("checklist_item", world.escalation, item="record_on_subject_file"),
            {"revision": revision(), "is_done": "yes"},
        )
        assert tick.status_code == 302
    assert counterpart.get(url("close", world.escalation)).status_code == 403
    closed = raiser.post(url("close", world.escalation), {"revision": revision()})

    assert closed.status_code == 302
    assert current(world.escalation).status == Escalation.Status.CLOSED
    action.refresh_from_db()
    assert action.implementation == AgreedAction.Implementation.IMPLEMENTED


def test_a_checklist_item_not_done_needs_a_reason(client: Client, world: World) -> None:
    escalation = agree_at_stage_1(world)

    response = signed_in(client, world.manager).post(
        url("checklist_item", escalation, item="record_on_subject_file"),
        {"revision": escalation.revision, "is_done": "no"},
    )

    assert '<a href="#id_not_done_reason">Enter why this has not been done</a>' in (
        response.content.decode()
    )


def test_an_unknown_checklist_item_is_404(client: Client, world: World) -> None:
    response = signed_in(client, world.raiser).get(
        url("checklist_item", world.escalation, item="make_tea")
    )

    assert response.status_code == 404


def test_the_chair_records_the_final_decision(client: Client, world: World) -> None:
    escalation = to_final_stage(world)

    response = signed_in(client, world.chair).post(
        url("decision", escalation),
        {
            "revision": escalation.revision,
            "decided_by_kind": "chair_decision",
            "decision": "Children's services will hold a strategy discussion.",
        },
    )

    assert response.status_code == 302
    assert current(escalation).status == Escalation.Status.RESOLVED


def test_the_business_manager_appoints_a_panel_member(client: Client, world: World) -> None:
    escalation = to_final_stage(world)

    response = signed_in(client, world.business_manager).post(
        url("panel", escalation), {"revision": escalation.revision, "member": world.panel_member.pk}
    )

    assert response.status_code == 302
    assert escalation.panel_members.filter(pk=world.panel_member.pk).exists()
    assert "Pia Panel appointed to the panel" in client.get(response["Location"]).content.decode()


def test_a_party_submits_a_written_representation(client: Client, world: World) -> None:
    escalation = to_final_stage(world)

    response = signed_in(client, world.raiser).post(
        url("new_representation", escalation),
        {"revision": escalation.revision, "text": "The school's view."},
    )

    assert response.status_code == 302
    assert escalation.representations.get().text == "The school's view."


# --- Raising -----------------------------------------------------------------------------


def follow_triage(client: Client, **answers: str) -> str:
    """Post the triage and route steps; return the details step's URL."""
    triage = client.post(reverse("escalations:raise"), answers)
    assert triage.status_code == 302, triage.content.decode()
    location = triage["Location"]
    if "same-day" in location:
        location = client.post(location, {"same_day_route_taken": "yes"})["Location"]
    route = client.post(location, {"route": "escalation"})
    assert route.status_code == 302
    return str(route["Location"])


def details(world: World, **overrides: str) -> dict[str, str]:
    return {
        "subject_name": "Robin Invented",
        **date_fields("date_of_birth", date(2015, 3, 27)),
        "case_reference": "",
        "nhs_number": "943 476 5919",
        "other_agency": str(world.social_care.pk),
        "counterpart": str(world.counterpart.pk),
        "category": "threshold",
        "decision_disputed": "The referral was judged below threshold.",
        "evidence": "Three missed health appointments.",
        "desired_outcome": "A strategy discussion this week.",
        "subject_views": "Robin wants to stay at school.",
        **overrides,
    }


def test_raising_through_triage_creates_the_escalation(client: Client, world: World) -> None:
    signed_in(client, world.raiser)
    details_url = follow_triage(client, subject_kind="child", immediate_risk="no")

    response = client.post(details_url, details(world))

    assert response.status_code == 302
    escalation = Escalation.objects.exclude(pk=world.escalation.pk).get()
    assert response["Location"] == escalation.get_absolute_url()
    assert escalation.subject.nhs_number == "9434765919"
    assert escalation.counterpart == world.counterpart
    assert escalation.stage_number == 1
    assert not escalation.immediate_risk


def test_an_nhs_number_with_a_wrong_check_digit_is_refused_and_kept(
    client: Client, world: World
) -> None:
    signed_in(client, world.raiser)
    details_url = follow_triage(client, subject_kind="child", immediate_risk="no")

    response = client.post(details_url, details(world, nhs_number="943 476 5918"))

    text = response.content.decode()
    assert response.status_code == 200
    assert (
        '<a href="#id_nhs_number">Enter a valid NHS number: check you have typed it correctly</a>'
        in text
    )
    assert 'value="943 476 5918"' in text
    assert "Robin wants to stay at school." in text
    assert Escalation.objects.count() == 1


def test_at_least_one_identifier_is_needed(client: Client, world: World) -> None:
    signed_in(client, world.raiser)
    details_url = follow_triage(client, subject_kind="child", immediate_risk="no")

    response = client.post(details_url, details(world, nhs_number=""))

    assert '<a href="#id_case_reference">Enter a case reference, PID or NHS number</a>' in (
        response.content.decode()
    )


def test_the_counterpart_must_work_in_the_other_agency(client: Client, world: World) -> None:
    signed_in(client, world.raiser)
    details_url = follow_triage(client, subject_kind="child", immediate_risk="no")

    response = client.post(details_url, details(world, other_agency=str(world.police.pk)))

    assert "Choose someone who works in Invented Police" in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "number", "other"),
    [("child", "01472 326292", "01472 256256"), ("adult", "01472 256256", "01472 326292")],
    ids=["child-gets-mash", "adult-gets-spa"],
)
def test_immediate_risk_shows_the_front_door_at_once(
    client: Client, world: World, kind: str, number: str, other: str
) -> None:
    signed_in(client, world.raiser)
    triage = client.post(
        reverse("escalations:raise"), {"subject_kind": kind, "immediate_risk": "yes"}
    )

    text = client.get(triage["Location"]).content.decode()

    assert number in text
    assert other not in text
    assert "999" in text


def test_the_same_day_step_cannot_be_skipped(client: Client, world: World) -> None:
    signed_in(client, world.raiser)
    same_day = client.post(
        reverse("escalations:raise"), {"subject_kind": "child", "immediate_risk": "yes"}
    )["Location"]

    skipped = client.get(same_day.replace("/same-day/", "/route/"))

    assert skipped.status_code == 302
    assert skipped["Location"].startswith(reverse("escalations:raise_same_day") + "?state=")


def test_immediate_risk_records_the_same_day_route(client: Client, world: World) -> None:
    signed_in(client, world.raiser)
    details_url = follow_triage(client, subject_kind="adult", immediate_risk="yes")

    client.post(details_url, details(world))

    escalation = Escalation.objects.exclude(pk=world.escalation.pk).get()
    assert escalation.immediate_risk
    assert escalation.same_day_route_taken
    assert escalation.subject.kind == "adult"
    assert escalation.stage_due_on == escalation.raised_on


@pytest.mark.parametrize("route", ["referral", "complaint"])
def test_a_referral_or_complaint_is_pointed_elsewhere(
    client: Client, world: World, route: str
) -> None:
    signed_in(client, world.raiser)
    triage = client.post(
        reverse("escalations:raise"), {"subject_kind": "child", "immediate_risk": "no"}
    )
    response = client.post(triage["Location"], {"route": route}, follow=True)

    text = response.content.decode()
    expected = "Make a referral instead" if route == "referral" else "complaints procedure"
    assert expected in text
    assert "Tell us about the disagreement" not in text


def test_the_details_step_without_triage_goes_back_to_the_start(
    client: Client, world: World
) -> None:
    response = signed_in(client, world.raiser).get(reverse("escalations:raise_details"))

    assert response.status_code == 302
    assert response["Location"] == reverse("escalations:raise")


def test_a_tampered_triage_token_is_not_trusted(client: Client, world: World) -> None:
    response = signed_in(client, world.raiser).get(
        reverse("escalations:raise_details") + "?state=forged"
    )

    assert response.status_code == 302


def test_greenwich_offers_the_refused_conference_route_in(client: Client, db: None) -> None:
    greenwich = shipped_policy("greenwich").partnership
    school = AgencyFactory(partnership=greenwich, name="Invented Greenwich School")
    social_care = AgencyFactory(
        partnership=greenwich, name="Invented Greenwich CSC", kind="childrens_social_care"
    )
    raiser = PersonFactory(agency=school)
    signed_in(client, raiser)
    triage = client.post(reverse("escalations:raise"), {"immediate_risk": "no"})
    details_url = client.post(triage["Location"], {"route": "escalation"})["Location"]
    assert "Request for an Initial Child Protection Conference refused" in (
        client.get(details_url).content.decode()
    )

    client.post(
        details_url,
        {
            "subject_name": "Robin Invented",
            "case_reference": "G-1",
            "other_agency": str(social_care.pk),
            "category": "thresholds",
            "decision_disputed": "No conference.",
            "evidence": "Bruising.",
            "desired_outcome": "A conference.",
            "entry_route": "refused_icpc",
        },
    )

    escalation = Escalation.objects.get()
    assert escalation.stage_number == 4
    assert escalation.entry_route == "refused_icpc"


def test_devon_lets_an_immediate_risk_start_at_a_later_stage(client: Client, db: None) -> None:
    devon = shipped_policy("devon-preschool").partnership
    preschool = AgencyFactory(partnership=devon, name="Invented Pre-school", kind="early_years")
    health = AgencyFactory(partnership=devon, name="Invented Health Visiting", kind="health")
    signed_in(client, PersonFactory(agency=preschool))
    triage = client.post(reverse("escalations:raise"), {"immediate_risk": "yes"})
    route_url = client.post(triage["Location"], {"same_day_route_taken": "yes"})["Location"]
    details_url = client.post(route_url, {"route": "escalation"})["Location"]
    assert "At which stage should the disagreement start?" in (
        client.get(details_url).content.decode()
    )

    client.post(
        details_url,
        {
            "subject_name": "Robin Invented",
            "case_reference": "D-1",
            "other_agency": str(health.pk),
            "category": shipped_policy("devon-preschool").rules.categories[0].key,
            "decision_disputed": "No home visit.",
            "evidence": "Unexplained bruising.",
            "desired_outcome": "A visit today.",
            "start_at": "3",
        },
    )

    escalation = Escalation.objects.get()
    assert escalation.stage_number == 3
    assert escalation.stage_due_on == escalation.raised_on  # the first action is the same day


def test_someone_without_an_agency_cannot_raise(client: Client, world: World) -> None:
    response = signed_in(client, world.business_manager).get(reverse("escalations:raise"))

    assert response.status_code == 403
