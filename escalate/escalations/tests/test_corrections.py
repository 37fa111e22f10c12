"""Corrections, never silent edits (decision 0025): the service, the pages, the documents,
the history's chain, subject access and retention."""

from __future__ import annotations

import io
import json
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.audit.services import verify_chains
from escalate.domain import engine
from escalate.domain.moves import CORRECTION_REFUSED
from escalate.domain.policy import FinalStageKind
from escalate.escalations import retention, services
from escalate.escalations.access import ActionForbidden
from escalate.escalations.documents import build_record, render_docx, render_pdf
from escalate.escalations.models import Contact, ContactVersion, Correction, FinalDecision
from escalate.escalations.subject_access import subject_export
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory, raise_for
from escalate.escalations.tests.test_pages_final_stage import at_final_stage
from escalate.escalations.tests.test_views import current, signed_in, url
from escalate.organisations.models import Person

pytestmark = pytest.mark.django_db

RAISED = date(2026, 11, 13)
MET = date(2026, 11, 16)


class World:
    def __init__(self) -> None:
        self.school = AgencyFactory(name="Brookfield Primary")
        self.social_care = AgencyFactory(
            name="Children's Social Care", kind="childrens_social_care"
        )
        self.manager = PersonFactory(
            agency=self.school, name="Mia Manager", ladder_role="line_manager"
        )
        self.raiser = PersonFactory(
            agency=self.school, name="Sam Raiser", line_manager=self.manager
        )
        self.colleague = PersonFactory(agency=self.school, name="Cole Colleague")
        self.counterpart = PersonFactory(agency=self.social_care, name="Kim Other")
        self.escalation = raise_for(
            raised_by=self.raiser,
            other_agency=self.social_care,
            counterpart=self.counterpart,
            today=RAISED,
        )
        self.contact = services.record_contact(
            escalation=self.escalation,
            actor=self.raiser,
            kind="telephone",
            between="Sam Raiser and Kim Other",
            summary="Talked about the missed appointments.",
            outcome="Kim will review the referral.",
            decision_makers="",
            happened_on=MET,
            today=MET,
        )


@pytest.fixture
def world() -> World:
    return World()


def corrected(contact: Contact, **answers: object) -> ContactVersion:
    return replace(contact.as_recorded, **answers)


def correct(world: World, actor: Person | None = None, **answers: object) -> Correction:
    return services.correct_contact(
        contact=world.contact,
        actor=actor or world.raiser,
        version=corrected(world.contact, **(answers or {"summary": "Talked about the visits."})),
        reason="I wrote appointments; it was home visits.",
        today=MET,
    )


def chain_intact(world: World) -> bool:
    report = next(r for r in verify_chains() if r.partnership_id == world.escalation.partnership_id)
    return report.is_intact


# --- The service ---------------------------------------------------------------------------


def test_a_correction_keeps_the_contact_as_first_recorded_and_reads_as_corrected(
    world: World,
) -> None:
    correction = correct(world, summary="Talked about the missed home visits.")

    contact = Contact.objects.select_related("latest_correction").get(pk=world.contact.pk)
    assert contact.summary == "Talked about the missed appointments."
    assert contact.current.summary == "Talked about the missed home visits."
    assert contact.current.outcome == "Kim will review the referral."
    assert contact.latest_correction == correction
    event = AuditEvent.objects.get(event=events.CONTACT_CORRECTED)
    assert event.actor == world.raiser
    assert event.data == {
        "contact": contact.pk,
        "correction": correction.pk,
        "changed": ["summary"],
    }
    assert current(world.escalation).revision == world.escalation.revision + 2


def test_the_history_still_verifies_after_a_correction_and_finds_an_edited_one(
    world: World,
) -> None:
    correction = correct(world)
    assert chain_intact(world)

    Correction.objects.filter(pk=correction.pk).update(reason="Nothing was wrong.")

    assert not chain_intact(world)


def test_each_correction_starts_from_the_last(world: World) -> None:
    correct(world, summary="First fix.")
    world.contact.refresh_from_db()
    services.correct_contact(
        contact=world.contact,
        actor=world.manager,
        version=replace(world.contact.current, outcome="Kim will visit on Monday."),
        reason="The outcome changed in the call's last minute.",
        today=MET,
    )

    contact = Contact.objects.select_related("latest_correction").get(pk=world.contact.pk)
    assert (contact.current.summary, contact.current.outcome) == (
        "First fix.",
        "Kim will visit on Monday.",
    )
    assert contact.corrections.count() == 2


@pytest.mark.parametrize("who", ["raiser", "manager"])
def test_the_author_and_their_line_manager_may_correct(world: World, who: str) -> None:
    correction = correct(world, actor=getattr(world, who))

    assert correction.corrected_by == getattr(world, who)


@pytest.mark.parametrize(
    ("who", "refused"),
    [
        ("counterpart", pytest.raises(engine.TransitionRefused, match=CORRECTION_REFUSED)),
        ("colleague", pytest.raises(ActionForbidden)),  # not involved: cannot even see it
    ],
    ids=["the-other-agency", "a-colleague-not-involved"],
)
def test_anyone_else_is_refused_and_nothing_is_written(
    world: World, who: str, refused: AbstractContextManager[object]
) -> None:
    with refused:
        correct(world, actor=getattr(world, who))

    assert not Correction.objects.exists()
    assert not AuditEvent.objects.filter(event=events.CONTACT_CORRECTED).exists()


@pytest.mark.parametrize(
    ("answers", "reason", "message"),
    [
        ({"summary": "Same words."}, "", "Enter why it is being corrected"),
        ({}, "No change made.", "Change at least one answer"),
        ({"summary": ""}, "Blanked.", "Enter a summary of the discussion"),
        ({"happened_on": date(2030, 1, 1)}, "Wrong day.", "today or in the past"),
        ({"happened_on": date(2026, 1, 1)}, "Wrong day.", "on or after the day"),
        ({"kind": "carrier-pigeon"}, "Wrong kind.", "Select the type of contact"),
        ({"summary": "Hidden \x07 bell"}, "Odd.", "must not contain hidden control"),
    ],
    ids=["no-reason", "no-change", "blank", "future", "before-raised", "kind", "control-character"],
)
def test_a_correction_meets_the_same_rules_as_the_record(
    world: World, answers: dict[str, object], reason: str, message: str
) -> None:
    with pytest.raises(engine.TransitionRefused, match=message):
        services.correct_contact(
            contact=world.contact,
            actor=world.raiser,
            version=corrected(world.contact, **answers),
            reason=reason,
            today=MET,
        )

    assert not Correction.objects.exists()


def test_a_stale_correction_is_refused(world: World) -> None:
    with pytest.raises(services.StaleEscalation):
        services.correct_contact(
            contact=world.contact,
            actor=world.raiser,
            version=corrected(world.contact, summary="Late."),
            reason="Late.",
            revision=world.escalation.revision - 1,
            today=MET,
        )


# --- The page ------------------------------------------------------------------------------


def test_the_case_page_shows_the_current_text_who_corrected_it_and_the_original(
    client: Client, world: World
) -> None:
    signed_in(client, world.raiser)
    correct_url = url("correct_contact", world.escalation, contact_id=world.contact.pk)
    page = client.get(url("detail", world.escalation)).content.decode()
    assert f'href="{correct_url}"' in page

    form = client.get(correct_url).content.decode()
    assert "Talked about the missed appointments." in form  # starts from the text as it reads
    response = client.post(
        correct_url,
        {
            "revision": current(world.escalation).revision,
            "kind": "meeting",
            "between": "Sam Raiser and Kim Other",
            "summary": "Talked about the missed home visits.",
            "outcome": "Kim will review the referral.",
            "decision_makers": "",
            "happened_on_day": "16",
            "happened_on_month": "11",
            "happened_on_year": "2026",
            "reason": "It was a meeting, about home visits.",
        },
    )

    assert response.status_code == 302, response.content.decode()[-3000:]
    page = client.get(url("detail", world.escalation)).content.decode()
    assert "Meeting on Mon 16 Nov 2026, stage 1" in page
    assert "Talked about the missed home visits." in page
    assert "by Sam Raiser: It was a meeting, about home visits." in page
    assert "Earlier versions of this contact" in page
    assert "As first recorded" in page
    assert "Talked about the missed appointments." in page  # the original stays readable
    assert "Contact corrected" in page  # in the history


def test_the_form_keeps_what_was_typed_and_says_what_is_missing(
    client: Client, world: World
) -> None:
    signed_in(client, world.raiser)
    correct_url = url("correct_contact", world.escalation, contact_id=world.contact.pk)

    response = client.post(
        correct_url,
        {
            "revision": current(world.escalation).revision,
            "kind": "telephone",
            "between": "Sam Raiser and Kim Other",
            "summary": "Typed, not lost.",
            "outcome": "Kim will review the referral.",
            "happened_on_day": "16",
            "happened_on_month": "11",
            "happened_on_year": "2026",
            "reason": "",
        },
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter why you are correcting this contact" in body
    assert "Typed, not lost." in body
    assert not Correction.objects.exists()


def test_someone_who_may_not_correct_sees_no_link_and_a_refusal(
    client: Client, world: World
) -> None:
    signed_in(client, world.counterpart)
    correct_url = url("correct_contact", world.escalation, contact_id=world.contact.pk)

    assert correct_url not in client.get(url("detail", world.escalation)).content.decode()
    response = client.get(correct_url)
    assert response.status_code == 403
    assert CORRECTION_REFUSED.replace("'", "&#x27;") in response.content.decode()
    response = client.post(correct_url, {"reason": "Forced."})
    assert response.status_code == 403
    assert not Correction.objects.exists()


def test_a_contact_of_another_escalation_is_not_found(client: Client, world: World) -> None:
    other = raise_for(raised_by=world.raiser, other_agency=world.social_care, today=RAISED)
    signed_in(client, world.raiser)

    response = client.get(url("correct_contact", other, contact_id=world.contact.pk))

    assert response.status_code == 404


# --- The documents, subject access and retention --------------------------------------------


def test_the_documents_give_the_current_text_and_say_it_was_corrected(world: World) -> None:
    correct(world, summary="Talked about the missed home visits.")

    record = build_record(current(world.escalation), prepared_on=MET)
    [row] = record.contacts
    assert row.summary == "Talked about the missed home visits."
    assert row.correction.startswith("Corrected on ")
    assert "by Sam Raiser: I wrote appointments; it was home visits." in row.correction
    text = "\n".join(
        cell.text
        for table in Document(io.BytesIO(render_docx(record))).tables
        for row_ in table.rows
        for cell in row_.cells
    )
    assert "Talked about the missed home visits." in text
    assert "I wrote appointments; it was home visits." in text
    assert render_pdf(record).startswith(b"%PDF")


def test_subject_access_gives_the_original_and_each_correction(
    client: Client, world: World
) -> None:
    correct(world, summary="Talked about the missed home visits.")

    exported = json.loads(json.dumps(subject_export(world.escalation.subject), default=str))
    [escalation] = exported["escalations"]
    assert escalation["contacts"][0]["summary"] == "Talked about the missed appointments."
    [correction] = escalation["corrections"]
    assert correction["version"]["summary"] == "Talked about the missed home visits."
    assert correction["reason"] == "I wrote appointments; it was home visits."


def test_retention_removes_corrections_and_the_history_still_verifies(world: World) -> None:
    correct(world)
    escalation = services.withdraw_escalation(
        escalation=current(world.escalation), actor=world.raiser, reason="Agreed by phone."
    )

    retention.anonymise(escalation, now=datetime(2033, 1, 1, tzinfo=UTC))

    correction = Correction.objects.get()
    assert (correction.version, correction.reason) == (None, retention.REMOVED)
    contact = Contact.objects.select_related("latest_correction").get()
    assert contact.current.summary == retention.REMOVED
    assert chain_intact(world)


# --- The final decision --------------------------------------------------------------------


def test_the_chair_corrects_the_wording_of_their_decision(client: Client, db: None) -> None:
    final = at_final_stage("nel")
    services.record_final_decision(
        escalation=final.escalation,
        actor=final.chair,
        decided_by_kind=FinalStageKind.CHAIR_DECISION,
        decision="A strategy discusion this week.",
    )
    decision = FinalDecision.objects.get()
    signed_in(client, final.chair)
    correct_url = url("correct_decision", final.escalation, decision_id=decision.pk)
    assert correct_url in client.get(url("detail", final.escalation)).content.decode()

    response = client.post(
        correct_url,
        {
            "revision": current(final.escalation).revision,
            "decision": "A strategy discussion this week.",
            "reason": "A spelling mistake.",
        },
    )

    assert response.status_code == 302
    decision = FinalDecision.objects.select_related("latest_correction").get()
    assert decision.decision == "A strategy discusion this week."
    assert decision.current_decision == "A strategy discussion this week."
    page = client.get(url("detail", final.escalation)).content.decode()
    assert "A strategy discussion this week." in page
    assert "by Cal Chair: A spelling mistake." in page
    assert "Earlier versions of this decision" in page
    record = build_record(current(final.escalation), prepared_on=MET)
    final_stage = record.stages[-1]
    assert final_stage.outcome_detail.startswith("A strategy discussion this week.\nCorrected on")
    signed_in(client, final.raiser)
    assert client.get(correct_url).status_code == 403
    assert reverse("escalations:correct_decision", args=[final.escalation.pk, decision.pk]) == (
        correct_url
    )


def test_a_mistake_found_after_the_case_ended_is_still_put_right(world: World) -> None:
    services.withdraw_escalation(
        escalation=current(world.escalation), actor=world.raiser, reason="Agreed by phone."
    )
    world.contact.refresh_from_db()

    correction = correct(world, summary="Talked about the missed home visits.")

    escalation = current(world.escalation)
    assert escalation.status == "withdrawn"
    assert correction.contact == world.contact
    assert chain_intact(world)
