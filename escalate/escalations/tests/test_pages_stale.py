"""After a lost race the page never retargets silently: it says what changed, shows the
escalation as it is now, keeps what was typed, and asks the person to confirm again."""

from __future__ import annotations

import pytest
from django.test import Client

from escalate.escalations import services
from escalate.escalations.models import Escalation, StageEntry
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


def escalate_meanwhile(world: World) -> Escalation:
    """Children's services' line manager escalates while the school's is typing."""
    return services.escalate_stage(
        escalation=world.escalation, actor=world.manager, reason="No agreement.", today=RAISED_ON
    )


def test_a_lost_race_shows_what_changed_and_the_stage_it_would_go_to_now(
    client: Client, world: World
) -> None:
    signed_in(client, world.school_manager)
    page = client.get(url("escalate", world.escalation)).content.decode()
    assert "Stage 2: Escalate to organisation safeguarding representative" in page  # the preview
    seen = world.escalation.revision
    escalate_meanwhile(world)

    response = client.post(
        url("escalate", world.escalation), {"revision": seen, "reason": "My typed reason."}
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this escalation while you were working on it" in text
    assert "Escalated to the next stage" in text  # the latest change, by name
    assert "The escalation as it is now" in text
    assert "Stage 3: Escalate to head of service" in text  # where escalating would now go
    assert "My typed reason." in text
    assert "I have read what changed and still want to do this" in text
    assert current(world.escalation).stage_number == 2


def test_one_more_click_without_confirming_does_not_escalate_twice(
    client: Client, world: World
) -> None:
    signed_in(client, world.school_manager)
    seen = world.escalation.revision
    escalate_meanwhile(world)
    drawn_again = client.post(
        url("escalate", world.escalation), {"revision": seen, "reason": "My typed reason."}
    )
    assert drawn_again.status_code == 200
    revision_now = current(world.escalation).revision
    assert f'value="{revision_now}"' in drawn_again.content.decode()

    clicked = client.post(
        url("escalate", world.escalation),
        {"revision": revision_now, "after_change": "1", "reason": "My typed reason."},
    )

    assert clicked.status_code == 200
    assert "Confirm that you have read what changed and still want to do this" in (
        clicked.content.decode()
    )
    assert current(world.escalation).stage_number == 2
    assert StageEntry.objects.filter(escalation=world.escalation).count() == 2


def test_confirming_after_reading_the_change_escalates_once(client: Client, world: World) -> None:
    signed_in(client, world.school_manager)
    seen = world.escalation.revision
    escalate_meanwhile(world)
    client.post(url("escalate", world.escalation), {"revision": seen, "reason": "Mine."})

    response = client.post(
        url("escalate", world.escalation),
        {
            "revision": current(world.escalation).revision,
            "after_change": "1",
            "still_wanted": "on",
            "reason": "Mine.",
        },
    )

    assert response.status_code == 302
    assert current(world.escalation).stage_number == 3


def test_a_stale_page_that_may_no_longer_act_says_why_and_offers_no_button(
    client: Client, world: World
) -> None:
    """The raiser's page was drawn at stage 1; at stage 2 escalating belongs to the line
    managers, so the page shows what changed and the stage machine's sentence."""
    signed_in(client, world.raiser)
    seen = world.escalation.revision
    escalate_meanwhile(world)

    response = client.post(
        url("escalate", world.escalation), {"revision": seen, "reason": "Typed at stage 1."}
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this escalation" in text
    assert "Stage 2 belongs to the line managers of each agency" in text
    assert "Typed at stage 1." in text
    assert ">Escalate</button>" not in text
    assert "I have read what changed" not in text
    assert current(world.escalation).stage_number == 2


def test_a_fresh_page_from_someone_who_may_not_act_is_a_403(client: Client, world: World) -> None:
    escalate_meanwhile(world)

    response = signed_in(client, world.raiser).post(
        url("escalate", world.escalation),
        {"revision": current(world.escalation).revision, "reason": "Typed at stage 2."},
    )

    assert response.status_code == 403
    assert "Stage 2 belongs to the line managers of each agency" in response.content.decode()
