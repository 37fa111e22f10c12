"""The checklist: items the record answers are ticked by Escalate; items each agency answers
for its own files have one row per agency, and only that agency may answer it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client

from escalate.escalations import services
from escalate.escalations.models import ChecklistTick, Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.escalations.tests.test_views import RAISED_ON, current, signed_in, url
from escalate.organisations.models import Person


@dataclass
class Worcs:
    escalation: Escalation
    teacher: Person
    social_worker: Person


@pytest.fixture
def worcs(db: None) -> Worcs:
    """Worcestershire stage 1, resolved with one agreed action, not yet checked back."""
    partnership = shipped_policy("worcestershire").partnership
    school = AgencyFactory(partnership=partnership, name="Invented School")
    social_care = AgencyFactory(
        partnership=partnership, name="Invented Family Front Door", kind="childrens_social_care"
    )
    teacher = PersonFactory(agency=school, name="Tess Teacher")
    social_worker = PersonFactory(agency=social_care, name="Sol Worker")
    escalation = raise_for(
        raised_by=teacher, other_agency=social_care, counterpart=social_worker, today=RAISED_ON
    )
    services.resolve_escalation(
        escalation=escalation,
        actor=teacher,
        agreed_outcome="A strategy discussion will be held.",
        actions=[services.AgreedActionDetails("Hold it.", social_worker, date(2080, 1, 8))],
        today=RAISED_ON,
    )
    services.confirm_resolution(escalation=escalation, actor=social_worker, today=RAISED_ON)
    return Worcs(current(escalation), teacher, social_worker)


def checklist_of(client: Client, escalation: Escalation) -> str:
    text = client.get(url("detail", escalation)).content.decode()
    return text[text.index("Checklist for stage") : text.index(">Agreed actions</h2>")]


def test_per_agency_items_have_a_row_per_agency_and_each_links_only_its_own(
    client: Client, worcs: Worcs
) -> None:
    checklist = checklist_of(signed_in(client, worcs.teacher), worcs.escalation)

    assert "Agreed actions recorded on the subject&#x27;s file in each agency: Invented School" in (
        checklist
    )
    assert (
        "Agreed actions recorded on the subject&#x27;s file in each agency: "
        "Invented Family Front Door"
    ) in checklist
    assert "Logged under each agency&#x27;s own procedure: Invented School" in checklist
    link = url("checklist_item", worcs.escalation, item="record_on_subject_file")
    assert checklist.count(f'href="{link}"') == 1  # the school's row only


def test_system_known_items_are_answered_by_the_record(client: Client, worcs: Worcs) -> None:
    signed_in(client, worcs.teacher)
    checklist = checklist_of(client, worcs.escalation)
    assert "Escalate records this once the shared understanding of every agreed action" in (
        checklist
    )
    assert url("checklist_item", worcs.escalation, item="check_back_understanding") not in (
        checklist
    )
    action = worcs.escalation.agreed_actions.get()
    services.confirm_understanding(action=action, actor=worcs.teacher)
    services.check_back_action(action=action, actor=worcs.teacher, implemented=True, note="")

    checklist = checklist_of(client, worcs.escalation)

    assert checklist.count("Escalate recorded this") == 2
    assert "Every agreed action has been checked back." in checklist


def test_a_system_known_item_cannot_be_ticked(client: Client, worcs: Worcs) -> None:
    response = signed_in(client, worcs.teacher).get(
        url("checklist_item", worcs.escalation, item="check_back_understanding")
    )

    assert response.status_code == 403
    assert "Escalate answers that item from the record itself; nobody ticks it." in (
        response.content.decode()
    )


def test_each_agency_answers_for_itself(client: Client, worcs: Worcs) -> None:
    item_url = url("checklist_item", worcs.escalation, item="record_on_subject_file")
    signed_in(client, worcs.social_worker)
    assert "You answer this for Invented Family Front Door" in client.get(item_url).content.decode()

    response = client.post(
        item_url, {"revision": current(worcs.escalation).revision, "is_done": "yes"}
    )

    assert response.status_code == 302
    tick = ChecklistTick.objects.get()
    assert tick.agency == worcs.social_worker.agency
    checklist = checklist_of(client, worcs.escalation)
    assert "Recorded by Sol Worker." in checklist
    as_teacher = checklist_of(signed_in(Client(), worcs.teacher), worcs.escalation)
    assert as_teacher.count("To do") == 3  # the school's two items and the other's log


def test_closing_lists_what_is_left_for_each_agency(client: Client, worcs: Worcs) -> None:
    response = signed_in(client, worcs.teacher).get(url("close", worcs.escalation))

    text = response.content.decode()
    assert response.status_code == 403
    assert "checklist item(s) are neither done nor explained" in text
    assert "Logged under each agency&#x27;s own procedure: Invented Family Front Door" in text
