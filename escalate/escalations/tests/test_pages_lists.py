"""The lists people work from say whose move it is, most urgent first; an ended escalation
shows no due date, and the stage record says why stages were bypassed."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from escalate.escalations import clock, services
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.escalations.tests.test_views import (
    RAISED_ON,
    World,
    agree_at_stage_1,
    build_world,
    signed_in,
    url,
)

TODAY = date(2027, 1, 5)  # a Tuesday


@pytest.fixture
def world(db: None, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(clock, "local_today", lambda: TODAY)
    return build_world()


def rows_of(text: str) -> list[str]:
    body = text[text.index("<tbody") : text.index("</tbody>")]
    return body.split('<tr class="govuk-table__row">')[1:]


def test_the_list_puts_the_most_urgent_first_and_says_whose_move_it_is(
    client: Client, world: World
) -> None:
    overdue = world.escalation  # stage 1 due Mon 21 Dec 2026
    due_today = raise_for(
        raised_by=world.raiser, other_agency=world.social_care, today=date(2027, 1, 4)
    )
    resolved = raise_for(
        raised_by=world.raiser,
        other_agency=world.social_care,
        counterpart=world.counterpart,
        today=date(2026, 12, 10),
    )
    services.resolve_escalation(
        escalation=resolved,
        actor=world.raiser,
        agreed_outcome="Agreed.",
        actions=[services.AgreedActionDetails("Do it.", world.counterpart, date(2080, 1, 8))],
        today=date(2026, 12, 10),
    )
    services.confirm_resolution(
        escalation=resolved, actor=world.counterpart, today=date(2026, 12, 14)
    )
    withdrawn = raise_for(raised_by=world.raiser, other_agency=world.social_care, today=RAISED_ON)
    services.withdraw_escalation(
        escalation=withdrawn, actor=world.raiser, reason="Sorted out.", today=RAISED_ON
    )

    # Children's services' line manager sees every escalation their agency is party to:
    # the open ones by default, nearest due date first.
    signed_in(client, world.manager)
    rows = rows_of(client.get(reverse("escalations:mine")).content.decode())

    order = [e.reference for e in (overdue, due_today)]
    assert [next(ref for ref in order if ref in row) for row in rows] == order
    assert "Waiting on you" in rows[0]  # stage 1 belongs to them too, or those above them
    assert "Overdue" in rows[0]
    assert "Due today" in rows[1]

    # The ended ones, newest first.
    text = client.get(reverse("escalations:mine"), {"status": "closed"}).content.decode()
    rows = rows_of(text)

    order = [e.reference for e in (withdrawn, resolved)]
    assert [next(ref for ref in order if ref in row) for row in rows] == order
    assert "Nothing due" in rows[0]
    assert "None" in rows[1]  # a resolved escalation has no stage due date
    assert "Resolved after" not in rows[1]
    assert "2 working days" in rows[1]  # Thu 10 Dec to Mon 14 Dec, when it was agreed


def test_the_list_says_which_agency_the_stage_waits_on(client: Client, world: World) -> None:
    services.escalate_stage(
        escalation=world.escalation, actor=world.raiser, reason="No reply.", today=RAISED_ON
    )

    text = signed_in(client, world.counterpart).get(reverse("escalations:mine")).content.decode()

    assert "Waiting on Invented Primary School and Invented Children&#x27;s Services" in text
    assert "Waiting on you" not in text  # stage 2 belongs to the line managers


def test_a_proposal_waits_on_the_agency_still_to_confirm(client: Client, world: World) -> None:
    services.resolve_escalation(
        escalation=world.escalation,
        actor=world.manager,
        agreed_outcome="Agreed.",
        actions=[services.AgreedActionDetails("Do it.", world.manager, date(2080, 1, 8))],
        today=RAISED_ON,
    )

    as_counterpart = signed_in(client, world.counterpart).get(reverse("escalations:mine"))
    as_raiser = signed_in(Client(), world.raiser).get(reverse("escalations:mine"))

    assert "Waiting on Invented Primary School" in as_counterpart.content.decode()
    assert "Waiting on you" in as_raiser.content.decode()


def test_a_resolved_escalation_shows_no_due_date_on_its_page(client: Client, world: World) -> None:
    escalation = agree_at_stage_1(world)

    text = signed_in(client, world.raiser).get(url("detail", escalation)).content.decode()

    assert "Stage due" not in text
    assert "Mon 21 Dec 2026" not in text
    assert "Resolved after" in text
    assert "0 working days" in text  # agreed on the day it was raised
    assert "Overdue" not in text


@pytest.mark.parametrize("slug", ["greenwich"])
def test_a_route_in_above_stage_1_shows_the_bypassed_stages_and_why(
    client: Client, db: None, slug: str
) -> None:
    partnership = shipped_policy(slug).partnership
    school = AgencyFactory(partnership=partnership, name="Invented School")
    social_care = AgencyFactory(partnership=partnership, name="Invented CSC")
    raiser = PersonFactory(agency=school)
    escalation = raise_for(
        raised_by=raiser, other_agency=social_care, today=RAISED_ON, entry_route="refused_icpc"
    )

    text = signed_in(client, raiser).get(url("detail", escalation)).content.decode()
    record = text[text.index("Stage by stage") : text.index(">Contacts</h2>")]

    assert record.count("Bypassed") == 3
    assert "It came in by the route &#x27;Request for an Initial Child Protection Conference" in (
        record
    )
    assert "at stage 4" in record


def test_immediate_risk_starting_higher_shows_the_bypassed_stages(client: Client, db: None) -> None:
    devon = shipped_policy("devon-preschool")
    preschool = AgencyFactory(partnership=devon.partnership, name="Invented Pre-school")
    health = AgencyFactory(partnership=devon.partnership, name="Invented Health", kind="health")
    raiser = PersonFactory(agency=preschool)
    escalation = raise_for(
        raised_by=raiser, other_agency=health, today=RAISED_ON, immediate_risk=True, start_at=3
    )

    text = signed_in(client, raiser).get(url("detail", escalation)).content.decode()
    record = text[text.index("Stage by stage") : text.index(">Contacts</h2>")]

    assert record.count("Bypassed") == 2
    assert (
        "It started at stage 3 because a child or adult was at immediate risk of significant harm."
    ) in record
