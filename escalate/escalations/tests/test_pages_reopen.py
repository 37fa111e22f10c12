"""Reopening after a failed check-back: the same stage, or the next (not past the last)."""

from __future__ import annotations

import pytest
from django.test import Client

from escalate.escalations import forms, services
from escalate.escalations.models import AgreedAction, Escalation
from escalate.escalations.tests.test_views import (
    World,
    agree_at_stage_1,
    build_world,
    current,
    signed_in,
    url,
)


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def fail_the_check_back(world: World, escalation: Escalation) -> Escalation:
    action = AgreedAction.objects.get(escalation=escalation, superseded_at=None)
    services.confirm_understanding(action=action, actor=world.raiser)
    services.check_back_action(
        action=action, actor=world.raiser, implemented=False, note="The discussion never happened."
    )
    return current(escalation)


def test_reopening_at_the_next_stage(client: Client, world: World) -> None:
    escalation = fail_the_check_back(world, agree_at_stage_1(world))
    signed_in(client, world.raiser)
    detail = client.get(url("detail", escalation)).content.decode()
    assert url("reopen", escalation) in detail

    form = client.get(url("reopen", escalation)).content.decode()
    assert "The discussion never happened." in form
    assert "Back to stage 1, the same stage" in form
    assert (
        "On to the next stage: stage 2, Escalate to organisation safeguarding representative"
        in (form)
    )
    response = client.post(
        url("reopen", escalation),
        {"revision": escalation.revision, "where": "next", "reason": "Not done in time."},
    )

    assert response.status_code == 302
    escalation = current(escalation)
    assert (escalation.status, escalation.stage_number) == (Escalation.Status.OPEN, 2)
    detail = client.get(response["Location"]).content.decode()
    assert "Escalation reopened at stage 2" in detail
    assert "Earlier agreed actions" in detail


def test_reopening_needs_a_reason_and_where_to(client: Client, world: World) -> None:
    escalation = fail_the_check_back(world, agree_at_stage_1(world))

    response = signed_in(client, world.raiser).post(
        url("reopen", escalation), {"revision": escalation.revision}
    )

    text = response.content.decode()
    assert "Enter why it is being reopened" in text
    assert "Select where it should go now" in text
    assert current(escalation).status == Escalation.Status.RESOLVED


def test_nothing_to_reopen_before_a_check_back_fails(client: Client, world: World) -> None:
    escalation = agree_at_stage_1(world)

    response = signed_in(client, world.raiser).get(url("reopen", escalation))

    assert response.status_code == 403
    assert "no agreed action is recorded as not done" in response.content.decode()


def test_the_challenged_side_cannot_reopen(client: Client, world: World) -> None:
    escalation = fail_the_check_back(world, agree_at_stage_1(world))

    response = signed_in(client, world.counterpart).get(url("reopen", escalation))

    assert response.status_code == 403
    assert "Only the raising side can reopen this escalation." in response.content.decode()


def test_at_the_final_stage_the_next_stage_is_not_offered() -> None:
    """The page asks where to only where there is a next stage (the view passes none at the
    final stage); reopening there goes back to the same stage."""
    at_final = forms.ReopenForm(
        {"revision": "3", "reason": "Not done."}, stage_number=5, next_stage=None
    )
    below = forms.ReopenForm(
        {"revision": "3", "reason": "Not done."}, stage_number=4, next_stage="stage 5, Chair"
    )

    assert at_final.is_valid()
    assert "where" not in at_final.fields
    assert not at_final.to_next_stage
    assert not below.is_valid()
    assert "where" in below.errors
