"""A page refuses with the stage machine's sentence, the one the service (and so the API)
gives: a practitioner cannot move a stage that belongs to another rung."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

import pytest
from django.test import Client

from escalate.domain.engine import TransitionRefused
from escalate.domain.policy import FinalStageKind
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.test_views import (
    RAISED_ON,
    World,
    build_world,
    current,
    signed_in,
    url,
)


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def at_stage_2(world: World) -> Escalation:
    return services.escalate_stage(
        escalation=world.escalation, actor=world.raiser, reason="No reply.", today=RAISED_ON
    )


def service_sentence(call: Callable[[], object]) -> str:
    with pytest.raises(TransitionRefused) as refused:
        call()
    return str(refused.value)


def test_a_practitioner_is_refused_a_stage_that_belongs_to_the_line_managers(
    client: Client, world: World
) -> None:
    escalation = at_stage_2(world)
    sentence = service_sentence(
        lambda: services.escalate_stage(
            escalation=escalation,
            actor=world.raiser,
            reason="Still stuck.",
            revision=escalation.revision,
        )
    )
    assert sentence == (
        "Stage 2 belongs to the line managers of each agency, or someone more senior, "
        "so you cannot escalate it."
    )
    signed_in(client, world.raiser)

    page = client.get(url("escalate", escalation))
    posted = client.post(
        url("escalate", escalation), {"revision": escalation.revision, "reason": "Still stuck."}
    )
    detail = client.get(url("detail", escalation)).content.decode()

    assert page.status_code == posted.status_code == 403
    assert sentence in unescape(page.content.decode())
    assert sentence in unescape(posted.content.decode())
    assert url("escalate", escalation) not in detail
    assert url("resolve", escalation) not in detail
    assert current(escalation).stage_number == 2


def test_the_line_manager_may_move_stage_2(client: Client, world: World) -> None:
    escalation = at_stage_2(world)

    response = signed_in(client, world.school_manager).post(
        url("escalate", escalation), {"revision": escalation.revision, "reason": "Still stuck."}
    )

    assert response.status_code == 302
    assert current(escalation).stage_number == 3


@pytest.mark.parametrize(
    ("page", "who", "call"),
    [
        (
            "resolve",
            "raiser",
            lambda w, e: services.resolve_escalation(
                escalation=e, actor=w.raiser, agreed_outcome="x", actions=[], revision=e.revision
            ),
        ),
        (
            "withdraw",
            "counterpart",
            lambda w, e: services.withdraw_escalation(
                escalation=e, actor=w.counterpart, reason="x", revision=e.revision
            ),
        ),
        (
            "close",
            "raiser",
            lambda w, e: services.close_escalation(
                escalation=e, actor=w.raiser, revision=e.revision
            ),
        ),
        (
            "decision",
            "chair",
            lambda w, e: services.record_final_decision(
                escalation=e,
                actor=w.chair,
                decided_by_kind=FinalStageKind.CHAIR_DECISION,
                decision="x",
                revision=e.revision,
            ),
        ),
    ],
    ids=[
        "resolve-at-stage-2",
        "withdraw-by-the-challenged-side",
        "close-while-open",
        "decide-early",
    ],
)
def test_each_refused_page_shows_the_service_s_sentence(
    client: Client, world: World, page: str, who: str, call: Callable[[World, Escalation], object]
) -> None:
    escalation = at_stage_2(world)
    sentence = service_sentence(lambda: call(world, escalation))

    response = signed_in(client, getattr(world, who)).get(url(page, escalation))

    assert response.status_code == 403
    assert sentence in unescape(response.content.decode())
