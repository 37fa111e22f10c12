"""The browser and the API refuse the same moves with the same sentence.

For every move of the stage machine (``domain/moves.py``), one refused attempt is made
through the browser (a POST to the HTML page, signed in) and once through the API, on
the same escalation, by the same person: both must answer with the sentence
``authority.moves_of`` gives for that move, and neither may change anything. The
browser answers a refused move with its 403 page or a form error; the API with a 409
problem whose ``detail`` is the sentence.

The other tests hold the rules the brief names across both doors: a practitioner cannot
move a stage that belongs to a higher rung, the challenged side cannot withdraw, nobody
appoints themselves, and an id from another partnership is answered exactly as an id
that names nobody.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from escalate.api.tests.conftest import (
    API_URLS,
    World,
    acting,
    client_for,
    colleague,
    escalate_to,
    resolve_now,
)
from escalate.domain import moves
from escalate.domain.moves import Move
from escalate.domain.policy import LadderRole
from escalate.escalations import authority, services
from escalate.escalations import urls as html_urls
from escalate.escalations.clock import local_today
from escalate.escalations.models import AgreedAction, Appointment, Escalation, Party
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person

pytestmark = pytest.mark.urls(API_URLS)

NOBODY = 987_654_321
"""An id that names no person and no agency."""


# --- Both doors ---------------------------------------------------------------------------


def browser_refusal(person: Person, path: str, data: dict[str, Any]) -> list[str]:
    """POST ``data`` to the HTML page signed in as ``person``; the sentences it refuses with.

    A refused move is the 403 page with the stage machine's sentence; a refusal the
    service finds is a form error in the page's error summary.
    """
    client = Client()
    assert person.user is not None
    client.force_login(person.user)
    response = client.post(path, data)
    assert response.status_code in {200, 403}, (response.status_code, path)
    page = response.content.decode()
    found = re.findall(r'<p class="govuk-body">(.*?)</p>', page, flags=re.S)
    summary = re.search(r"govuk-error-summary__list\">(.*?)</ul>", page, flags=re.S)
    if summary:
        found += re.findall(r"<li>(.*?)</li>", summary.group(1), flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in found]


def api_refusal(person: Person, method: str, path: str, body: Any, escalation: Escalation) -> Any:
    client = client_for(person)
    revision = Escalation.objects.get(pk=escalation.pk).revision
    return getattr(client, method)(
        f"/api/v1/escalations/{escalation.pk}/{path}",
        body,
        format="json",
        HTTP_IF_MATCH=f'"{revision}"',
    )


def assert_both_doors_refuse(
    *,
    actor: Person,
    escalation: Escalation,
    move: Move,
    page: str,
    page_kwargs: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    api: tuple[str, str, Any],
    sentence: str | None = None,
) -> str:
    """Both doors refuse ``actor``'s ``move`` with the same sentence, and change nothing."""
    escalation.refresh_from_db()
    expected = sentence or authority.moves_of(actor, escalation).refusal(move)
    assert expected, f"the stage machine allows {move} here: the case tests nothing"
    before = escalation.revision

    name = page if ":" in page else f"escalations:{page}"
    path = reverse(name, kwargs={"pk": escalation.pk, **(page_kwargs or {})})
    shown = browser_refusal(actor, path, {"revision": str(before), **(form or {})})
    method, api_path, body = api
    answer = api_refusal(actor, method, api_path, body, escalation)

    assert answer.status_code == 409, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/transition-refused")
    assert answer.json()["detail"] == expected
    assert expected in shown, shown
    escalation.refresh_from_db()
    assert escalation.revision == before
    return expected


# --- Each move refused once through each door ----------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A move someone may not make, set up on a fresh world."""

    move: Move
    page: str
    arrange: Callable[[World], tuple[Escalation, Person, dict[str, Any]]]
    """The escalation, the person refused, and the page's extra path arguments."""
    api: Callable[[World, Escalation, dict[str, Any]], tuple[str, str, Any]]
    form: Callable[[World, Escalation], dict[str, Any]] = field(default=lambda world, e: {})


def _contact(world: World, escalation: Escalation) -> dict[str, Any]:
    return {
        "kind": "telephone",
        "between": "Sam Raiser and Kim Other",
        "summary": "Discussed it.",
        "outcome": "Not agreed.",
        "decision_makers": "",
        "happened_on": local_today().isoformat(),
    }


def _contact_form(world: World, escalation: Escalation) -> dict[str, Any]:
    today = local_today()
    data = _contact(world, escalation)
    del data["happened_on"]
    return {
        **data,
        "happened_on_day": str(today.day),
        "happened_on_month": str(today.month),
        "happened_on_year": str(today.year),
    }


def _resolution(world: World) -> dict[str, Any]:
    return {
        "agreed_outcome": "A strategy discussion will be held.",
        "actions": [
            {
                "description": "Hold a strategy discussion.",
                "owner": world.counterpart.pk,
                "due_on": (local_today() + timedelta(days=7)).isoformat(),
            }
        ],
    }


def _resolution_form(world: World, escalation: Escalation) -> dict[str, Any]:
    due = local_today() + timedelta(days=7)
    return {
        "agreed_outcome": "A strategy discussion will be held.",
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "3",
        "actions-0-description": "Hold a strategy discussion.",
        "actions-0-owner": str(world.counterpart.pk),
        "actions-0-due_on_day": str(due.day),
        "actions-0-due_on_month": str(due.month),
        "actions-0-due_on_year": str(due.year),
    }


def _reason(world: World, escalation: Escalation) -> dict[str, Any]:
    return {"reason": "Not agreed at this stage."}


def _at_stage(number: int, who: Callable[[World], Person]) -> Any:
    def arrange(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
        return escalate_to(world, number), who(world), {}

    return arrange


def _scrutineer_at_final_stage(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
    return escalate_to(world), world.scrutineer, {}


def _proposed_at_stage_2(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
    escalation = escalate_to(world, 2)
    services.resolve_escalation(
        escalation=escalation,
        actor=acting(world, world.school),
        agreed_outcome="A strategy discussion will be held.",
        actions=[
            services.AgreedActionDetails("Hold it.", world.counterpart, local_today()),
        ],
    )
    return escalation, world.counterpart, {}  # a practitioner, at the line managers' stage


def _resolved(world: World) -> Escalation:
    return resolve_now(world)


def _action(escalation: Escalation) -> AgreedAction:
    return AgreedAction.objects.get(escalation=escalation, superseded_at=None)


def _resolved_for(who: Callable[[World], Person]) -> Any:
    def arrange(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
        return _resolved(world), who(world), {}

    return arrange


def _action_to_confirm(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
    escalation = _resolved(world)
    return escalation, world.counterpart, {"action_id": _action(escalation).pk}


def _action_to_check_back(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
    escalation = _resolved(world)
    action = services.confirm_understanding(action=_action(escalation), actor=world.raiser)
    return escalation, world.counterpart, {"action_id": action.pk}


def _failed_check_back(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
    escalation = _resolved(world)
    action = services.confirm_understanding(action=_action(escalation), actor=world.raiser)
    services.check_back_action(
        action=action, actor=world.raiser, implemented=False, note="It was not held."
    )
    return escalation, world.counterpart, {}  # the challenged side may not reopen it


def _checklist_by_business_manager(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
    return _resolved(world), world.business_manager, {"item": "record_on_subject_file"}


def _panel_member(world: World) -> Person:
    return partnership_person(role="panel_member", name="Pip Panel")


def _appoint_by_raiser(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
    _panel_member(world)
    return escalate_to(world), world.raiser, {}


def _remove_by_raiser(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
    escalation = escalate_to(world)
    services.add_panel_member(
        escalation=escalation, actor=world.business_manager, member=_panel_member(world)
    )
    return escalation, world.raiser, {}


def _member_id(escalation: Escalation) -> int:
    return Appointment.objects.filter(escalation=escalation, ended_at=None).values_list(
        "person_id", flat=True
    )[0]


@dataclass(frozen=True)
class Elsewhere:
    """An escalation under another shipped procedure, with its raising side's people."""

    escalation: Escalation
    raising: Agency
    challenged: Agency
    raiser: Person
    counterpart: Person
    business_manager: Person


def elsewhere(slug: str) -> Elsewhere:
    partnership = shipped_policy(slug).partnership
    raising = AgencyFactory(partnership=partnership, name=f"{slug} school", kind="education")
    challenged = AgencyFactory(
        partnership=partnership, name=f"{slug} children's services", kind="childrens_social_care"
    )
    raiser = PersonFactory(agency=raising, name=f"{slug} raiser")
    counterpart = PersonFactory(agency=challenged, name=f"{slug} social worker")
    escalation = raise_for(
        raised_by=raiser, other_agency=challenged, counterpart=counterpart, today=local_today()
    )
    return Elsewhere(
        escalation=escalation,
        raising=raising,
        challenged=challenged,
        raiser=raiser,
        counterpart=counterpart,
        business_manager=partnership_person(
            role="business_manager", policy=shipped_policy(slug), name=f"{slug} manager"
        ),
    )


def climb(case: Elsewhere, number: int | None = None) -> Escalation:
    """Escalate by the raising agency's acting rung, stage by stage, up to ``number``."""
    escalation = case.escalation
    rules = escalation.policy.rules
    target = number or escalation.final_stage_number
    while escalation.stage_number < target:
        rung = rules.acting_rung(escalation.stage_number)
        actor = case.raiser if rung is LadderRole.PRACTITIONER else colleague(case.raising, rung)
        escalation = services.escalate_stage(
            escalation=escalation, actor=actor, reason="Not agreed."
        )
    return escalation


def _in(slug: str, number: int | None) -> Any:
    """The raiser of an escalation elsewhere, at stage ``number`` (the final stage if None)."""

    def arrange(world: World) -> tuple[Escalation, Person, dict[str, Any]]:
        case = elsewhere(slug)
        return climb(case, number), case.raiser, {}

    return arrange


def _chair_candidate_api(world: World, escalation: Escalation, kwargs: dict[str, Any]) -> Any:
    chair = partnership_person(
        role="executive_member", policy=escalation.policy, name="Uma Uninvolved"
    )
    return ("put", "panel/chair/", {"chair": chair.pk})


REFUSED = [
    Refused(
        Move.RECORD_CONTACT,
        "record_contact",
        _scrutineer_at_final_stage,
        lambda world, e, kw: ("post", "contacts/", _contact(world, e)),
        _contact_form,
    ),
    Refused(
        Move.ESCALATE,
        "escalate",
        _at_stage(3, lambda world: world.raiser),
        lambda world, e, kw: ("post", "escalate/", {"reason": "Not agreed."}),
        _reason,
    ),
    Refused(
        Move.PROPOSE_RESOLUTION,
        "resolve",
        _at_stage(3, lambda world: world.counterpart),
        lambda world, e, kw: ("post", "resolve/", _resolution(world)),
        _resolution_form,
    ),
    Refused(
        Move.CONFIRM_RESOLUTION,
        "confirm_resolution",
        _proposed_at_stage_2,
        lambda world, e, kw: ("post", "resolution/confirm/", {}),
    ),
    Refused(
        Move.WITHDRAW,
        "withdraw",
        lambda world: (world.escalation, world.counterpart, {}),
        lambda world, e, kw: ("post", "withdraw/", {"reason": "We disagree."}),
        _reason,
    ),
    Refused(
        Move.ADD_AGENCY,
        "add_agency",
        _at_stage(3, lambda world: world.raiser),
        lambda world, e, kw: ("post", "parties/", {"agency": world.police.pk, "side": "raising"}),
        lambda world, e: {"agency": str(world.police.pk), "side": "raising"},
    ),
    Refused(
        Move.SET_LEAD_AGENCY,
        "lead_agency",
        _in("cscp", 3),
        lambda world, e, kw: ("put", "lead-agency/", {"agency": e.other_agency_id}),
        lambda world, e: {"agency": str(e.other_agency_id)},
    ),
    Refused(
        Move.CONFIRM_UNDERSTANDING,
        "confirm_action",
        _action_to_confirm,
        lambda world, e, kw: ("post", f"agreed-actions/{kw['action_id']}/confirm/", {}),
    ),
    Refused(
        Move.CHECK_BACK,
        "check_back_action",
        _action_to_check_back,
        lambda world, e, kw: (
            "post",
            f"agreed-actions/{kw['action_id']}/check-back/",
            {"implemented": True, "note": "Done."},
        ),
        lambda world, e: {"implemented": "yes", "note": "Done."},
    ),
    Refused(
        Move.ANSWER_CHECKLIST,
        "checklist_item",
        _checklist_by_business_manager,
        lambda world, e, kw: ("put", f"checklist/{kw['item']}/", {"is_done": True}),
        lambda world, e: {"is_done": "yes"},
    ),
    Refused(
        Move.APPOINT_PANEL_MEMBER,
        "panel",
        _appoint_by_raiser,
        lambda world, e, kw: (
            "post",
            "panel/members/",
            {"member": Person.objects.get(name="Pip Panel").pk},
        ),
        lambda world, e: {"member": str(Person.objects.get(name="Pip Panel").pk)},
    ),
    Refused(
        Move.REMOVE_PANEL_MEMBER,
        "panel_remove",
        _remove_by_raiser,
        lambda world, e, kw: ("delete", f"panel/members/{_member_id(e)}/", None),
        lambda world, e: {"member": str(_member_id(e))},
    ),
    Refused(
        Move.APPOINT_CHAIR,
        "meeting_chair",
        _in("greenwich", None),
        _chair_candidate_api,
    ),
    Refused(
        Move.EXPLAIN_PANEL,
        "panel_reason",
        _in("devon-preschool", None),
        lambda world, e, kw: ("put", "panel/reason/", {"reason": "None could come."}),
        lambda world, e: {"reason": "None could come."},
    ),
    Refused(
        Move.RECORD_PRACTICE_ISSUE,
        "reporting:practice_issue_new",
        _at_stage(3, lambda world: world.counterpart),  # not the lead agency (decision 11)
        lambda world, e, kw: (
            "post",
            "practice-issues/",
            {"issue": "Thresholds differ.", "is_resolved": False},
        ),
        lambda world, e: {"issue": "Thresholds differ.", "is_resolved": "no"},
    ),
    Refused(
        Move.ADD_REPRESENTATION,
        "new_representation",
        lambda world: (escalate_to(world), world.business_manager, {}),
        lambda world, e, kw: ("post", "representations/", {"text": "Our view."}),
        lambda world, e: {"text": "Our view."},
    ),
    Refused(
        Move.RECORD_DECISION,
        "decision",
        lambda world: (escalate_to(world), world.raiser, {}),
        lambda world, e, kw: (
            "post",
            "decision/",
            {"decided_by_kind": "chair_decision", "decision": "Mine."},
        ),
        lambda world, e: {"decided_by_kind": "chair_decision", "decision": "Mine."},
    ),
    Refused(
        Move.CLOSE,
        "close",
        _resolved_for(lambda world: world.counterpart),
        lambda world, e, kw: ("post", "close/", {}),
    ),
    Refused(
        Move.REOPEN,
        "reopen",
        _failed_check_back,
        lambda world, e, kw: ("post", "reopen/", {"reason": "It was not held."}),
        lambda world, e: {"reason": "It was not held.", "where": "same"},
    ),
]


def _has_page(name: str) -> bool:
    if ":" in name:  # another app's page, such as reporting's practice issue form
        return bool(reverse(name, kwargs={"pk": "00000000-0000-0000-0000-000000000000"}))
    return any(getattr(pattern, "name", None) == name for pattern in html_urls.urlpatterns)


def test_every_move_has_a_refused_attempt_and_a_browser_page() -> None:
    assert {case.move for case in REFUSED} == set(Move)
    assert [case.page for case in REFUSED if not _has_page(case.page)] == []


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case.move.value) for case in REFUSED],
)
def test_a_refused_move_gets_the_same_sentence_through_both_doors(
    world: World, case: Refused
) -> None:
    escalation, actor, page_kwargs = case.arrange(world)
    assert_both_doors_refuse(
        actor=actor,
        escalation=escalation,
        move=case.move,
        page=case.page,
        page_kwargs=page_kwargs,
        form=case.form(world, escalation),
        api=case.api(world, escalation, page_kwargs),
    )


# --- The rules the brief names ------------------------------------------------------------


@pytest.mark.parametrize(
    ("move", "page", "api"),
    [
        (Move.ESCALATE, "escalate", ("post", "escalate/", {"reason": "Not agreed."})),
        (Move.PROPOSE_RESOLUTION, "resolve", ("post", "resolve/", None)),
    ],
    ids=["escalate", "resolve"],
)
@pytest.mark.parametrize("who", ["raiser", "counterpart"])
def test_a_practitioner_cannot_move_a_stage_that_belongs_to_heads_of_service(
    world: World, move: Move, page: str, api: tuple[str, str, Any], who: str
) -> None:
    escalation = escalate_to(world, 3)
    assert escalation.policy.rules.acting_rung(3) is LadderRole.HEAD_OF_SERVICE
    method, path, body = api
    body = body or _resolution(world)

    sentence = assert_both_doors_refuse(
        actor=getattr(world, who),
        escalation=escalation,
        move=move,
        page=page,
        form=_reason(world, escalation)
        if move is Move.ESCALATE
        else _resolution_form(world, escalation),
        api=(method, path, body),
    )

    verb = "escalate" if move is Move.ESCALATE else "resolve"
    assert sentence == (
        "Stage 3 belongs to the heads of service of each agency, or someone more senior, "
        f"so you cannot {verb} it."
    )
    head = colleague(world.school, LadderRole.HEAD_OF_SERVICE)
    assert authority.moves_of(head, escalation).allows(move)


def test_a_head_of_service_moves_stage_3_through_the_api(world: World) -> None:
    escalation = escalate_to(world, 3)
    head = colleague(world.school, LadderRole.HEAD_OF_SERVICE)

    response = api_refusal(head, "post", "escalate/", {"reason": "Not agreed."}, escalation)

    assert response.status_code == 200, response.content
    assert response.json()["stage_number"] == 4


@pytest.mark.parametrize("rung", [None, LadderRole.LINE_MANAGER, LadderRole.HEAD_OF_SERVICE])
def test_the_challenged_side_cannot_withdraw(world: World, rung: LadderRole | None) -> None:
    actor = world.counterpart if rung is None else colleague(world.social_care, rung)

    sentence = assert_both_doors_refuse(
        actor=actor,
        escalation=world.escalation,
        move=Move.WITHDRAW,
        page="withdraw",
        form={"reason": "We disagree."},
        api=("post", "withdraw/", {"reason": "We disagree."}),
    )

    assert sentence == (
        "Only the raising side can withdraw an escalation: "
        "the agency whose decision is challenged cannot end the challenge."
    )
    world.escalation.refresh_from_db()
    assert world.escalation.status == Escalation.Status.OPEN


def test_nobody_appoints_themselves_to_the_panel(world: World) -> None:
    escalation = escalate_to(world)
    self_appointing = world.business_manager  # who appoints, and a panel member too
    PartnershipRoleAssignment.objects.create(
        person=self_appointing, partnership=escalation.partnership, role="panel_member"
    )

    answer = api_refusal(
        self_appointing, "post", "panel/members/", {"member": self_appointing.pk}, escalation
    )
    browser = browser_refusal(
        self_appointing,
        reverse("escalations:panel", kwargs={"pk": escalation.pk}),
        {"revision": str(escalation.revision), "member": str(self_appointing.pk)},
    )

    assert answer.status_code == 409
    assert (
        answer.json()["detail"] == "Nobody can appoint themselves: ask a colleague to appoint you."
    )
    assert browser  # the page refuses it too: it never offers the person themselves
    assert not Appointment.objects.filter(escalation=escalation).exists()


# --- Another partnership's ids are answered as ids that name nobody -------------------------


def _same_answer(first: Any, second: Any) -> dict[str, Any]:
    assert first.status_code == second.status_code, (first.content, second.content)
    one, other = first.json(), second.json()
    assert one.get("detail") == other.get("detail")
    assert one.get("errors") == other.get("errors")
    return dict(one)


def test_a_counterpart_from_another_partnership_is_answered_as_nobody(world: World) -> None:
    stranger = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)
    client = client_for(world.raiser)

    def raise_with(counterpart: int) -> Any:
        return client.post(
            "/api/v1/escalations/",
            {
                "subject": {"kind": "child", "name": "Jo Invented", "case_reference": "C-3"},
                "other_agency": world.social_care.pk,
                "counterpart": counterpart,
                "category": world.escalation.category,
                "decision_disputed": "A decision.",
                "evidence": "Evidence.",
                "desired_outcome": "An outcome.",
            },
            format="json",
        )

    answer = _same_answer(raise_with(NOBODY), raise_with(stranger.pk))

    assert answer["status"] == 409
    assert answer["detail"] == moves.NOT_IN_PARTNERSHIP
    assert Escalation.objects.count() == 1


def test_an_action_owner_from_another_partnership_is_answered_as_nobody(world: World) -> None:
    stranger = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)

    def resolve_with(owner: int) -> Any:
        body = _resolution(world)
        body["actions"][0]["owner"] = owner
        return api_refusal(world.raiser, "post", "resolve/", body, world.escalation)

    answer = _same_answer(resolve_with(NOBODY), resolve_with(stranger.pk))

    assert answer["detail"] == moves.NOT_IN_PARTNERSHIP
    assert not world.escalation.resolution_proposals.exists()


def test_an_agency_or_practitioner_from_another_partnership_is_answered_as_nobody(
    world: World,
) -> None:
    stranger = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)

    def add(**body: Any) -> Any:
        return api_refusal(
            world.raiser, "post", "parties/", {"side": "challenged", **body}, world.escalation
        )

    agency = _same_answer(add(agency=NOBODY), add(agency=stranger.agency_id))
    practitioner = _same_answer(
        add(agency=world.police.pk, practitioner=NOBODY),
        add(agency=world.police.pk, practitioner=stranger.pk),
    )

    assert agency["detail"] == moves.NO_SUCH_AGENCY
    assert practitioner["detail"] == moves.NOT_IN_PARTNERSHIP
    assert Party.objects.filter(escalation=world.escalation).count() == 2


def test_a_lead_agency_from_another_partnership_is_answered_as_nobody(world: World) -> None:
    case = elsewhere("cscp")

    def lead(agency: int) -> Any:
        return api_refusal(case.raiser, "put", "lead-agency/", {"agency": agency}, case.escalation)

    answer = _same_answer(lead(NOBODY), lead(world.school.pk))

    assert answer["detail"] == moves.NO_SUCH_AGENCY


def test_an_appointee_from_another_partnership_is_answered_as_nobody(world: World) -> None:
    escalation = escalate_to(world)
    stranger = partnership_person(
        role="panel_member", policy=shipped_policy("greenwich"), name="Gil Greenwich"
    )

    def appoint(member: int) -> Any:
        return api_refusal(
            world.business_manager, "post", "panel/members/", {"member": member}, escalation
        )

    def remove(member: int) -> Any:
        return api_refusal(
            world.business_manager, "delete", f"panel/members/{member}/", None, escalation
        )

    appointed = _same_answer(appoint(NOBODY), appoint(stranger.pk))
    services.add_panel_member(
        escalation=escalation, actor=world.business_manager, member=_panel_member(world)
    )
    removed = _same_answer(remove(NOBODY), remove(stranger.pk))

    assert appointed["detail"] == moves.NOT_IN_PARTNERSHIP
    assert removed["detail"] == "That person is not on the panel."


def test_a_meeting_chair_from_another_partnership_is_answered_as_nobody(world: World) -> None:
    case = elsewhere("greenwich")
    escalation = climb(case)
    nel_member = partnership_person(role="executive_member", name="Nel Executive")

    def appoint(chair: int) -> Any:
        return api_refusal(
            case.business_manager, "put", "panel/chair/", {"chair": chair}, escalation
        )

    answer = _same_answer(appoint(NOBODY), appoint(nel_member.pk))

    assert answer["detail"] == moves.NOT_IN_PARTNERSHIP


def test_someone_who_may_not_appoint_gets_one_answer_for_any_id(world: World) -> None:
    escalation = escalate_to(world)
    stranger = partnership_person(
        role="panel_member", policy=shipped_policy("greenwich"), name="Gil Greenwich"
    )

    def appoint(member: int) -> Any:
        return api_refusal(world.raiser, "post", "panel/members/", {"member": member}, escalation)

    _same_answer(appoint(NOBODY), appoint(stranger.pk))


def test_a_line_manager_from_another_partnership_is_answered_as_nobody(world: World) -> None:
    stranger = PersonFactory(agency__partnership=shipped_policy("greenwich").partnership)
    client: APIClient = client_for(world.administrator)

    def create(line_manager: int, email: str) -> Any:
        return client.post(
            "/api/v1/people/",
            {
                "name": "Nia New",
                "email": email,
                "agency": world.school.pk,
                "ladder_role": "practitioner",
                "line_manager": line_manager,
            },
            format="json",
        )

    answer = _same_answer(create(NOBODY, "one@example.org"), create(stranger.pk, "two@example.org"))

    assert answer["status"] == 409  # well-formed, but naming no one here
    assert answer["errors"][0]["pointer"] == "#/line_manager"
    assert not Person.objects.filter(name="Nia New").exists()
