"""The permission matrix: every URL pattern x role and relation x method -> expected status.

``MATRIX`` names every URL pattern of ``config.urls`` (walked through every include) and
builds its requests; ``test_every_url_pattern_is_in_the_matrix`` fails as soon as a new
pattern is not in it. Each pattern is asked, as each of the roles below, with GET and,
where the view accepts it, POST (an empty form, so nothing is ever saved by an entitled
person). Anyone who may not see an escalation gets 404 from every escalation's URL, never
403, and nothing is written; anyone signed out is sent to sign in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from escalate.audit.models import AuditEvent, ReadEvent
from escalate.common.tests.figures import record_figure
from escalate.domain.access import Action
from escalate.domain.policy import SYSTEM_KNOWN_ITEMS, ChecklistItem, FinalStageKind
from escalate.escalations import services
from escalate.escalations.forms import RaiseState, RouteForm
from escalate.escalations.models import Escalation
from escalate.escalations.tests.attached import attached_to
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
)
from escalate.notifications.monitoring import record_heartbeat
from escalate.organisations.models import Person
from escalate.reporting.models import BoardAction, PracticeIssue
from escalate.reporting.services import create_board_action, record_practice_issue

RAISED_ON = date(2026, 12, 18)

# Who asks, and how they stand to the escalations of the world below.
RAISER = "raiser"
COUNTERPART = "counterpart"
PARTY_MANAGER = "manager of a party agency"
UNRELATED_MANAGER = "manager of an unrelated agency"
UNRELATED_PRACTITIONER = "practitioner of an unrelated agency"
BUSINESS_MANAGER = "business manager"
CHAIR = "chair"
SCRUTINEER_BEFORE = "scrutineer, before the final stage"
SCRUTINEER_AT_FINAL = "scrutineer, at the final stage"
ADMINISTRATOR = "administrator"
DATA_PROTECTION_OFFICER = "data protection officer"
ANONYMOUS = "signed out"

ROLES = (
    RAISER,
    COUNTERPART,
    PARTY_MANAGER,
    UNRELATED_MANAGER,
    UNRELATED_PRACTITIONER,
    BUSINESS_MANAGER,
    CHAIR,
    SCRUTINEER_BEFORE,
    SCRUTINEER_AT_FINAL,
    ADMINISTRATOR,
    DATA_PROTECTION_OFFICER,
    ANONYMOUS,
)
# May act on the escalations: named on them, on a party agency's ladder, or overseeing.
INVOLVED = frozenset({RAISER, COUNTERPART, PARTY_MANAGER, BUSINESS_MANAGER, CHAIR})
# May not even see them: each of their requests to an escalation's URL is an attempt
# across the agencies' boundary, and must be refused with 404.
OUTSIDERS = frozenset(
    {
        UNRELATED_MANAGER,
        UNRELATED_PRACTITIONER,
        SCRUTINEER_BEFORE,
        ADMINISTRATOR,
        DATA_PROTECTION_OFFICER,
    }
)
IN_AN_AGENCY = frozenset(
    {RAISER, COUNTERPART, PARTY_MANAGER, UNRELATED_MANAGER, UNRELATED_PRACTITIONER}
)
SIGNED_IN = tuple(role for role in ROLES if role != ANONYMOUS)

# Areas other engineers are building now. Listed here, one by one, ONLY so their new URLs
# do not fail this test while they land; remove each line once its URLs are in MATRIX.
NOT_YET_IN_THE_MATRIX = frozenset(
    {
        # The REST API answers tokens, not browser sessions: escalate/api/tests loops over
        # every one of its routes with another agency's token and expects 404.
        "api",
    }
)


# --- The world ---------------------------------------------------------------------------


class World:
    """Two agencies in disagreement, an unrelated third, and the partnership's people.

    Escalations are raised on first use, all with the same raiser and counterpart:
    ``early`` (open at stage 1), ``proposed`` (a resolution proposed by the raiser at stage
    1), ``final`` (open at the final stage), ``with_panel`` (at the final stage with a panel
    member), ``resolved`` (agreed at stage 1 with one agreed action), ``understood`` (its
    shared understanding confirmed), ``failed_check_back`` (checked back as not done),
    ``ready_to_close`` (checked back as done, each agency's checklist answered) and
    ``resolved_final`` (decided by the chair at the final stage).
    """

    def __init__(self) -> None:
        self.school = AgencyFactory(name="Matrix Primary School", kind="education")
        self.social_care = AgencyFactory(
            name="Matrix Children's Services", kind="childrens_social_care"
        )
        self.police = AgencyFactory(name="Matrix Police", kind="police")
        scrutineer = partnership_person(role="independent_scrutineer", name="Matrix Scrutineer")
        self.people: dict[str, Person] = {
            RAISER: PersonFactory(agency=self.school, name="Matrix Raiser"),
            COUNTERPART: PersonFactory(agency=self.social_care, name="Matrix Counterpart"),
            PARTY_MANAGER: PersonFactory(
                agency=self.social_care, name="Matrix Manager", ladder_role="line_manager"
            ),
            UNRELATED_MANAGER: PersonFactory(
                agency=self.police, name="Matrix Police Manager", ladder_role="line_manager"
            ),
            UNRELATED_PRACTITIONER: PersonFactory(agency=self.police, name="Matrix Officer"),
            BUSINESS_MANAGER: partnership_person(role="business_manager", name="Matrix BM"),
            CHAIR: partnership_person(role="chair", name="Matrix Chair"),
            SCRUTINEER_BEFORE: scrutineer,
            SCRUTINEER_AT_FINAL: scrutineer,
            ADMINISTRATOR: partnership_person(role="administrator", name="Matrix Admin"),
            DATA_PROTECTION_OFFICER: partnership_person(
                role="data_protection_officer", name="Matrix DPO"
            ),
        }
        # Not asked as roles: the school's assistant director, whose rung may move every
        # stage, takes escalations up the ladder; a panel member is appointed to one.
        self.director = PersonFactory(
            agency=self.school, name="Matrix Director", ladder_role="assistant_director"
        )
        self.panel_member = partnership_person(role="panel_member", name="Matrix Panel")

    def _raise(self) -> Escalation:
        return raise_for(
            raised_by=self.people[RAISER],
            other_agency=self.social_care,
            counterpart=self.people[COUNTERPART],
            today=RAISED_ON,
        )

    def _to_final(self, escalation: Escalation) -> Escalation:
        while not escalation.is_at_final_stage:
            escalation = services.escalate_stage(
                escalation=escalation, actor=self.director, reason="Not agreed.", today=RAISED_ON
            )
        return escalation

    def _propose(self, escalation: Escalation) -> Escalation:
        return services.resolve_escalation(
            escalation=escalation,
            actor=self.people[RAISER],
            agreed_outcome="Agreed.",
            actions=[
                services.AgreedActionDetails(
                    description="Hold a strategy discussion.",
                    owner=self.people[COUNTERPART],
                    due_on=date(2080, 1, 8),
                )
            ],
            today=RAISED_ON,
        )

    def _resolve(self, escalation: Escalation) -> Escalation:
        self._propose(escalation)
        return services.confirm_resolution(
            escalation=escalation, actor=self.people[COUNTERPART], today=RAISED_ON
        )

    def _check_back(self, escalation: Escalation, *, implemented: bool) -> Escalation:
        action = escalation.agreed_actions.get()
        services.check_back_action(
            action=action,
            actor=self.people[RAISER],
            implemented=implemented,
            note="" if implemented else "It did not happen.",
        )
        return Escalation.objects.get(pk=escalation.pk)

    def _confirmed(self) -> Escalation:
        escalation = self._resolve(self._raise())
        services.confirm_understanding(
            action=escalation.agreed_actions.get(), actor=self.people[RAISER]
        )
        return Escalation.objects.get(pk=escalation.pk)

    @cached_property
    def early(self) -> Escalation:
        return self._raise()

    @cached_property
    def with_contact(self) -> Escalation:
        """Open at stage 1, with a contact the counterpart recorded."""
        escalation = self._raise()
        services.record_contact(
            escalation=escalation,
            actor=self.people[COUNTERPART],
            kind="telephone",
            between="Matrix Raiser and Matrix Counterpart",
            summary="Talked it through.",
            outcome="Nothing agreed yet.",
            decision_makers="",
            happened_on=RAISED_ON,
            today=RAISED_ON,
        )
        return Escalation.objects.get(pk=escalation.pk)

    @cached_property
    def proposed(self) -> Escalation:
        return self._propose(self._raise())

    @cached_property
    def final(self) -> Escalation:
        return self._to_final(self._raise())

    @cached_property
    def with_panel(self) -> Escalation:
        escalation = self._to_final(self._raise())
        return services.add_panel_member(
            escalation=escalation, actor=self.people[CHAIR], member=self.panel_member
        )

    @cached_property
    def resolved(self) -> Escalation:
        return self._resolve(self._raise())

    @cached_property
    def understood(self) -> Escalation:
        return self._confirmed()

    @cached_property
    def failed_check_back(self) -> Escalation:
        return self._check_back(self._confirmed(), implemented=False)

    @cached_property
    def ready_to_close(self) -> Escalation:
        escalation = self._check_back(self._confirmed(), implemented=True)
        for role in (RAISER, COUNTERPART):
            services.tick_checklist_item(
                escalation=escalation,
                actor=self.people[role],
                item=ChecklistItem.RECORD_ON_SUBJECT_FILE,
                is_done=True,
            )
        return Escalation.objects.get(pk=escalation.pk)

    @cached_property
    def resolved_final(self) -> Escalation:
        escalation = self._to_final(self._raise())
        services.record_final_decision(
            escalation=escalation,
            actor=self.people[CHAIR],
            decided_by_kind=FinalStageKind.CHAIR_DECISION,
            decision="A strategy discussion this week.",
            today=RAISED_ON,
        )
        return Escalation.objects.get(pk=escalation.pk)


@dataclass(frozen=True)
class Case:
    role: str
    method: str
    path: str
    expected: int
    escalation_scoped: bool = False
    login_path: str = "/sign-in/"
    ends_session: bool = False
    """Asked from a session of its own, as it signs the person out."""

    @property
    def is_cross_agency(self) -> bool:
        return self.escalation_scoped and self.role in OUTSIDERS


Builder = Callable[[World], list[Case]]


# --- Builders: one rule per kind of page ------------------------------------------------


def _cases(
    path_for: Callable[[World, str], str],
    expected_for: Callable[[str], int],
    methods: tuple[str, ...],
    *,
    escalation_scoped: bool = False,
) -> Builder:
    """Signed-in roles get ``expected_for(role)``; anyone signed out is sent to sign in."""

    def build(world: World) -> list[Case]:
        return [
            Case(
                role=role,
                method=method,
                path=path_for(world, role),
                expected=expected_for(role) if role != ANONYMOUS else 302,
                escalation_scoped=escalation_scoped,
            )
            for role in ROLES
            for method in methods
        ]

    return build


def public(name: str, *, methods: tuple[str, ...], status: int = 200, **kwargs: Any) -> Builder:
    """Answers everyone, signed out included, the same way (the procedures, sign-in pages)."""

    def build(world: World) -> list[Case]:
        return [
            Case(role=role, method=method, path=reverse(name, kwargs=kwargs), expected=status)
            for role in ROLES
            for method in methods
        ]

    return build


def signed_in(
    name: str,
    *,
    methods: tuple[str, ...] = ("GET", "POST"),
    allowed: frozenset[str] | None = None,
    refused: int = 404,
    query: Callable[[World], str] = lambda w: "",
    **kwargs: Any,
) -> Builder:
    """For signed-in people; ``allowed`` roles get 200, others ``refused``."""

    def expected(role: str) -> int:
        return 200 if allowed is None or role in allowed else refused

    return _cases(lambda w, r: reverse(name, kwargs=kwargs) + query(w), expected, methods)


# Which escalation each role is asked about: (usual, scrutineer before, scrutineer at final).
ORDINARY = ("early", "early", "final")
FINAL_STAGE = ("final", "early", "final")


def _escalation_for(world: World, role: str, kinds: tuple[str, str, str]) -> Escalation:
    usual, before, at_final = kinds
    kind = {SCRUTINEER_BEFORE: before, SCRUTINEER_AT_FINAL: at_final}.get(role, usual)
    escalation: Escalation = getattr(world, kind)
    return escalation


def escalation_url(
    name: str,
    *,
    needs: Action | None,
    kinds: tuple[str, str, str] = ORDINARY,
    methods: tuple[str, ...] = ("GET", "POST"),
    extra: Callable[[Escalation], dict[str, Any]] = lambda e: {},
    view_only: int = 403,
) -> Builder:
    """A URL about one escalation for anyone who sees it: 404 to outsiders. Where it needs
    more than ``Action.VIEW`` (``None``: what only those involved or overseeing may see), it
    is refused (``view_only``) to the scrutineer, who only reads the final stage."""

    def path(world: World, role: str) -> str:
        escalation = _escalation_for(world, role, kinds)
        return reverse(name, kwargs={"pk": escalation.pk, **extra(escalation)})

    def expected(role: str) -> int:
        if role in OUTSIDERS:
            return 404
        if role == SCRUTINEER_AT_FINAL:  # sees the final stage, read-only
            return 200 if needs is Action.VIEW else view_only
        return 200

    return _cases(path, expected, methods, escalation_scoped=True)


def move_url(
    name: str,
    *,
    kind: str,
    allowed: frozenset[str],
    at_final: str | None = None,
    before: str = "early",
    extra: Callable[[Escalation], dict[str, Any]] = lambda e: {},
) -> Builder:
    """A page the stage machine gates, asked about the ``kind`` escalation: ``allowed`` roles
    get the page (200), everyone else who sees the escalation the refusal (403), outsiders
    404. The scrutineer sees only the final stage: before it they are asked about ``before``
    (an outsider's 404); at it about ``at_final``, or about ``kind`` where no final-stage
    escalation fits the page (and then cannot see it: 404)."""

    def escalation_of(world: World, role: str) -> Escalation:
        chosen = kind
        if role == SCRUTINEER_BEFORE:  # asked before the final stage, where they see nothing
            chosen = before
        elif role == SCRUTINEER_AT_FINAL and at_final:
            chosen = at_final
        escalation: Escalation = getattr(world, chosen)
        return escalation

    def path(world: World, role: str) -> str:
        escalation = escalation_of(world, role)
        return reverse(name, kwargs={"pk": escalation.pk, **extra(escalation)})

    def expected(role: str) -> int:
        if role in OUTSIDERS or (role == SCRUTINEER_AT_FINAL and at_final is None):
            return 404
        return 200 if role in allowed else 403

    return _cases(path, expected, ("GET", "POST"), escalation_scoped=True)


def _first_checklist_item(escalation: Escalation) -> dict[str, Any]:
    """The first item people answer (the record answers the others)."""
    item = next(i for i in services.checklist_for(escalation) if i not in SYSTEM_KNOWN_ITEMS)
    return {"item": item.value}


def _contact_of(escalation: Escalation) -> dict[str, Any]:
    """Its contact; one with none is the scrutineer's, which they cannot see (as below)."""
    contact = escalation.contacts.first()
    return {"contact_id": contact.pk if contact else 1_000_000}


def _decision_of(escalation: Escalation) -> dict[str, Any]:
    """Its final decision. One with none is the scrutineer's before the final stage, which
    they cannot see: asked about an id no row has, it is refused before any row is read."""
    decision = escalation.final_decisions.first()
    return {"decision_id": decision.pk if decision else 1_000_000}


def _agreed_action(escalation: Escalation) -> dict[str, Any]:
    return {"action_id": escalation.agreed_actions.get().pk}


# Who the stage machine lets in, by kind of page. At stage 1 the practitioners of both
# agencies act (and those above them there: the party manager); the raising side alone
# withdraws, checks back, closes and reopens; each party agency answers its own checklist
# items; at the final stage the chair and the business manager appoint, the chair decides.
STAGE_1_PARTIES = frozenset({RAISER, COUNTERPART, PARTY_MANAGER})
RAISING_SIDE = frozenset({RAISER})
CHALLENGED_SIDE = frozenset({COUNTERPART, PARTY_MANAGER})
APPOINTERS = frozenset({BUSINESS_MANAGER, CHAIR})
NOBODY: frozenset[str] = frozenset()


def _raise_state(**changes: Any) -> Callable[[World], str]:
    state = RaiseState(subject_kind="child", immediate_risk=True, **changes)
    return lambda world: f"?state={state.token()}"


def raise_step(name: str, *, state: dict[str, Any] | None = None) -> Builder:
    """Raising: for anyone working in an agency; the partnership's people are told why not.

    Each step after the first is asked with the signed state the earlier steps hand on.
    """
    return signed_in(
        f"escalations:{name}",
        allowed=IN_AN_AGENCY,
        refused=403,
        query=_raise_state(**state) if state is not None else lambda w: "",
    )


def administrator_url(
    name: str, *, methods: tuple[str, ...] = ("GET", "POST"), target: str = ""
) -> Builder:
    def path(world: World, role: str) -> str:
        kwargs: dict[str, Any] = {}
        if target == "agency":
            kwargs = {"pk": world.school.pk}
        elif target == "person":
            kwargs = {"pk": world.people[RAISER].pk}
        return reverse(f"organisations:{name}", kwargs=kwargs)

    return _cases(path, lambda r: 200 if r == ADMINISTRATOR else 404, methods)


def overseer_url(name: str) -> Builder:
    return signed_in(
        f"reporting:{name}", methods=("GET",), allowed=frozenset({BUSINESS_MANAGER, CHAIR})
    )


def _practice_issue(world: World) -> PracticeIssue:
    """The business manager's report on the final-stage case (decision 11), made once."""
    found = PracticeIssue.objects.filter(escalation=world.final).first()
    return found or record_practice_issue(
        escalation=world.final,
        actor=world.people[BUSINESS_MANAGER],
        issue="Threshold guidance is read two ways (invented).",
        is_resolved=False,
    )


def _board_action(world: World) -> BoardAction:
    issue = _practice_issue(world)
    found = BoardAction.objects.filter(practice_issue=issue).first()
    return found or create_board_action(
        practice_issue=issue,
        actor=world.people[BUSINESS_MANAGER],
        description="Brief every agency on the threshold guidance.",
        owner=world.people[CHAIR],
        due_on=date(2080, 1, 8),
        today=RAISED_ON,
    )


def overseer_of(name: str, target: Callable[[World], Any]) -> Builder:
    """A page about one of the partnership's own records (a practice issue, a board
    action): business managers and chairs only, everyone else 404."""

    def path(world: World, role: str) -> str:
        return reverse(name, kwargs={"pk": target(world).pk})

    return _cases(path, lambda r: 200 if r in APPOINTERS else 404, ("GET", "POST"))


def subject_access_export(world: World) -> list[Case]:
    path = reverse("subject_access_export", kwargs={"pk": world.early.subject_id})
    return [
        Case(
            role=role,
            method="GET",
            path=path,
            expected=302 if role == ANONYMOUS else 200 if role == DATA_PROTECTION_OFFICER else 404,
        )
        for role in ROLES
    ]


def signing_out(name: str) -> Builder:
    """Sign out and sign out everywhere: POST only; anyone is sent to the sign-in page."""

    def build(world: World) -> list[Case]:
        path = reverse(name)
        return [
            Case(role=role, method=method, path=path, expected=status, ends_session=True)
            for role in ROLES
            for method, status in (("GET", 405), ("POST", 302))
        ]

    return build


def posted_only(name: str, *, allowed: frozenset[str] | None, **kwargs: Any) -> Builder:
    """POST-only views: GET is refused before anything else; POST is for signed-in people.

    ``allowed`` roles are redirected back after the change (302), others get 404; ``None``
    means every signed-in person acts on their own things and is redirected.
    """

    def build(world: World) -> list[Case]:
        path = reverse(name, kwargs=kwargs)
        cases = [Case(role=role, method="GET", path=path, expected=405) for role in ROLES]
        for role in ROLES:
            if role == ANONYMOUS:
                expected = 302
            else:
                expected = 302 if allowed is None or role in allowed else 404
            cases.append(Case(role=role, method="POST", path=path, expected=expected))
        return cases

    return build


def readiness_probe(world: World) -> list[Case]:
    """Ready for everyone alike, as a notifications worker has just been heard from."""
    record_heartbeat(worker_id="matrix")
    return public("health_ready", methods=("GET",))(world)


MATRIX: dict[str, Builder] = {
    # The published procedures: no case material. Any method is accepted, as the views
    # do not restrict it; POST only re-renders.
    "policies:home": public("policies:home", methods=("GET", "POST")),
    "policies:detail": public("policies:detail", methods=("GET", "POST"), slug="nel"),
    "login": public("login", methods=("GET", "POST")),
    # The pages every public service publishes: for anyone, signed in or not.
    "accessibility_statement": public("accessibility_statement", methods=("GET",)),
    "privacy_notice": public("privacy_notice", methods=("GET",)),
    # The chooser: POST sends to the provider chosen; 404 while no provider is set up.
    "sign_in_organisation": public("sign_in_organisation", methods=("GET", "POST"), status=404),
    "sign_in_organisation_callback": public(
        "sign_in_organisation_callback", methods=("GET",), status=404
    ),
    "sign_in_organisation_partnership": public(
        "sign_in_organisation_partnership", methods=("GET",), status=404, partnership="nel"
    ),
    "second_factor_verify": signed_in("second_factor_verify"),
    "second_factor_set_up": signed_in("second_factor_set_up"),
    "second_factor_recovery": signed_in("second_factor_recovery"),
    # Only for an account with an authenticator app: nobody in this world has one.
    "second_factor_recovery_codes": signed_in("second_factor_recovery_codes", allowed=NOBODY),
    # The administrator of the raiser (who has no second factor: the page says so, 200).
    "second_factor_reset": _cases(
        lambda w, r: reverse("second_factor_reset", kwargs={"pk": w.people[RAISER].pk}),
        lambda r: 200 if r == ADMINISTRATOR else 404,
        ("GET", "POST"),
    ),
    "logout": signing_out("logout"),
    "sign_out_everywhere": signing_out("sign_out_everywhere"),
    "escalations:mine": signed_in("escalations:mine"),
    "escalations:raise": raise_step("raise"),
    "escalations:raise_same_day": raise_step("raise_same_day", state={}),
    "escalations:raise_route": raise_step("raise_route", state={"same_day_route_taken": True}),
    "escalations:raise_elsewhere": raise_step(
        "raise_elsewhere", state={"same_day_route_taken": True, "route": RouteForm.REFERRAL}
    ),
    "escalations:raise_details": raise_step(
        "raise_details", state={"same_day_route_taken": True, "route": RouteForm.ESCALATION}
    ),
    "escalations:detail": escalation_url("escalations:detail", needs=Action.VIEW),
    # Who has read the case: for those its page shows the trail to, not a read-only viewer.
    "escalations:read_trail": escalation_url("escalations:read_trail", needs=None),
    "escalations:record_contact": move_url(
        "escalations:record_contact", kind="early", allowed=STAGE_1_PARTIES, at_final="final"
    ),
    "escalations:escalate": move_url(
        "escalations:escalate", kind="early", allowed=STAGE_1_PARTIES, at_final="final"
    ),
    "escalations:resolve": move_url(
        "escalations:resolve", kind="early", allowed=STAGE_1_PARTIES, at_final="final"
    ),
    "escalations:confirm_resolution": move_url(
        "escalations:confirm_resolution", kind="proposed", allowed=CHALLENGED_SIDE
    ),
    "escalations:withdraw": move_url(
        "escalations:withdraw", kind="early", allowed=RAISING_SIDE, at_final="final"
    ),
    "escalations:add_agency": move_url(
        "escalations:add_agency", kind="early", allowed=STAGE_1_PARTIES, at_final="final"
    ),
    # NEL's procedure names no lead agency: nobody may choose one (CSCP's page is tested in
    # escalations/tests/test_pages_parties.py).
    "escalations:lead_agency": move_url(
        "escalations:lead_agency", kind="early", allowed=NOBODY, at_final="final"
    ),
    "escalations:close": move_url("escalations:close", kind="ready_to_close", allowed=RAISING_SIDE),
    "escalations:reopen": move_url(
        "escalations:reopen", kind="failed_check_back", allowed=RAISING_SIDE
    ),
    "escalations:checklist_item": move_url(
        "escalations:checklist_item",
        kind="resolved",
        allowed=STAGE_1_PARTIES,
        at_final="resolved_final",
        extra=_first_checklist_item,
    ),
    # A final decision agrees no actions: no final-stage escalation has one to ask about.
    "escalations:confirm_action": move_url(
        "escalations:confirm_action",
        kind="resolved",
        allowed=RAISING_SIDE,
        before="resolved",
        extra=_agreed_action,
    ),
    "escalations:check_back_action": move_url(
        "escalations:check_back_action",
        kind="understood",
        allowed=RAISING_SIDE,
        before="understood",
        extra=_agreed_action,
    ),
    "escalations:new_representation": move_url(
        "escalations:new_representation", kind="final", allowed=STAGE_1_PARTIES, at_final="final"
    ),
    "escalations:panel": move_url(
        "escalations:panel", kind="final", allowed=APPOINTERS, at_final="final"
    ),
    "escalations:panel_remove": move_url(
        "escalations:panel_remove", kind="with_panel", allowed=APPOINTERS, at_final="with_panel"
    ),
    # NEL's panel has no composition rule, so no reason is asked for; nor does its final
    # stage have an appointed chair (Devon's and Greenwich's pages are tested in
    # escalations/tests/test_pages_final_stage.py).
    "escalations:panel_reason": move_url(
        "escalations:panel_reason", kind="final", allowed=NOBODY, at_final="final"
    ),
    "escalations:meeting_chair": move_url(
        "escalations:meeting_chair", kind="final", allowed=NOBODY, at_final="final"
    ),
    "escalations:decision": move_url(
        "escalations:decision", kind="final", allowed=frozenset({CHAIR}), at_final="final"
    ),
    # Attaching (decision 0021): those named on the case or who may act on it now.
    "escalations:attach": move_url(
        "escalations:attach", kind="early", allowed=STAGE_1_PARTIES, at_final="final"
    ),
    # Corrections (decision 0025): the author, their line manager, or a manager of their
    # agency who is involved; here the counterpart wrote the contact, the chair the decision.
    "escalations:correct_contact": move_url(
        "escalations:correct_contact",
        kind="with_contact",
        allowed=CHALLENGED_SIDE,
        extra=_contact_of,
    ),
    "escalations:correct_decision": move_url(
        "escalations:correct_decision",
        kind="resolved_final",
        allowed=frozenset({CHAIR}),
        before="resolved",
        at_final="resolved_final",
        extra=_decision_of,
    ),
    "escalations:attachment": escalation_url(
        "escalations:attachment",
        needs=Action.VIEW,
        methods=("GET",),
        extra=lambda e: {"attachment_id": attached_to(e).pk},
    ),
    "documents:record_pdf": escalation_url(
        "documents:record_pdf", needs=Action.VIEW, methods=("GET",)
    ),
    "documents:record_docx": escalation_url(
        "documents:record_docx", needs=Action.VIEW, methods=("GET",)
    ),
    "documents:summary_text": escalation_url(
        "documents:summary_text", needs=Action.VIEW, methods=("GET",)
    ),
    "documents:record_print": escalation_url(
        "documents:record_print", needs=Action.VIEW, methods=("GET",)
    ),
    "reporting:register": overseer_url("register"),
    "reporting:register_csv": overseer_url("register_csv"),
    "reporting:practice_issues": overseer_url("practice_issues"),
    # The lead agency's acting rung (NEL's final stage: its assistant directors, none of them
    # in this world) or the business manager reports the practice issues (decision 11).
    "reporting:practice_issue_new": move_url(
        "reporting:practice_issue_new",
        kind="final",
        allowed=frozenset({BUSINESS_MANAGER}),
        at_final="final",
    ),
    # The learning loop: the partnership's own records, for business managers and chairs.
    "reporting:board_actions": overseer_url("board_actions"),
    "reporting:board_action_new": overseer_of("reporting:board_action_new", _practice_issue),
    "reporting:board_action_done": overseer_of("reporting:board_action_done", _board_action),
    "reporting:good_practice": overseer_url("good_practice"),
    # Anyone involved, or overseeing, recognises good practice; a read-only viewer does not.
    "reporting:good_practice_new": move_url(
        "reporting:good_practice_new", kind="early", allowed=INVOLVED, at_final="final"
    ),
    # The board's figures: overseers, and the scrutineer (the executive alike), who reads
    # figures before any case.
    "board:dashboard": signed_in(
        "board:dashboard",
        methods=("GET",),
        allowed=frozenset({BUSINESS_MANAGER, CHAIR, SCRUTINEER_BEFORE, SCRUTINEER_AT_FINAL}),
    ),
    "board:annual_report": signed_in(
        "board:annual_report",
        methods=("GET",),
        allowed=frozenset({BUSINESS_MANAGER, CHAIR, SCRUTINEER_BEFORE, SCRUTINEER_AT_FINAL}),
    ),
    "board:annual_report_file": signed_in(
        "board:annual_report_file",
        methods=("GET",),
        allowed=frozenset({BUSINESS_MANAGER, CHAIR, SCRUTINEER_BEFORE, SCRUTINEER_AT_FINAL}),
        year=2026,
        kind="csv",
    ),
    # Where signing in leads: a redirect for everyone signed in.
    "start": _cases(lambda w, r: reverse("start"), lambda r: 302, ("GET",)),
    "organisations:directory": administrator_url("directory", methods=("GET",)),
    "organisations:agency_create": administrator_url("agency_create"),
    "organisations:agency_edit": administrator_url("agency_edit", target="agency"),
    "organisations:person_create": administrator_url("person_create"),
    "organisations:person_roles_elsewhere": administrator_url("person_roles_elsewhere"),
    "organisations:person_place_elsewhere": administrator_url("person_place_elsewhere"),
    "organisations:person_edit": administrator_url("person_edit", target="person"),
    "organisations:import": administrator_url("import"),
    "organisations:person_invite": _cases(
        lambda w, r: reverse("organisations:person_invite", kwargs={"pk": w.people[RAISER].pk}),
        lambda r: 302 if r == ADMINISTRATOR else 404,  # refused there: the raiser has a password
        ("POST",),
    ),
    # Its POST makes the raiser a leaver: tested in escalations/tests/test_leavers.py.
    "organisations:person_leave": _cases(
        lambda w, r: reverse("organisations:person_leave", kwargs={"pk": w.people[RAISER].pk}),
        lambda r: 200 if r == ADMINISTRATOR else 404,
        ("GET",),
    ),
    # Invitations and password reset: for anyone; a link that names nobody says it expired.
    "accounts:password_reset": public("accounts:password_reset", methods=("GET", "POST")),
    "accounts:reset_sent": public("accounts:reset_sent", methods=("GET",)),
    "accounts:password_set": public("accounts:password_set", methods=("GET",)),
    "accounts:invitation": public(
        "accounts:invitation", methods=("GET", "POST"), uidb64="MQ", token="no-such-token"
    ),
    "accounts:reset_confirm": public(
        "accounts:reset_confirm", methods=("GET", "POST"), uidb64="MQ", token="no-such-token"
    ),
    # Everyone signed in may ask; a place that is not theirs changes nothing (302 back).
    "accounts:switch_place": posted_only("accounts:switch_place", allowed=None),
    "subject_access": signed_in(
        "subject_access", methods=("GET",), allowed=frozenset({DATA_PROTECTION_OFFICER})
    ),
    "subject_access_export": subject_access_export,
    # Everyone's own notifications; marking another's as read changes nothing and says nothing.
    "notifications:list": signed_in("notifications:list", methods=("GET",)),
    "notifications:mark_all_read": posted_only("notifications:mark_all_read", allowed=None),
    "notifications:mark_read": posted_only("notifications:mark_read", allowed=None, pk=1),
    "notifications:preferences": posted_only("notifications:preferences", allowed=None),
    "notifications:failed": signed_in(
        "notifications:failed", methods=("GET",), allowed=frozenset({ADMINISTRATOR})
    ),
    # No failed delivery exists in this world: even the administrator finds none to retry.
    "notifications:retry": posted_only("notifications:retry", allowed=frozenset(), pk=1),
    # The load balancer's probes: the same answer signed in or out, naming no one; GET only
    # (decision 27).
    "health_live": public("health_live", methods=("GET",)),
    "health_ready": readiness_probe,
    "health_serving": public("health_serving", methods=("GET",)),
    # The scrape answers only its bearer token (test_metrics.py); none is set here, so it is
    # not found, whoever asks and however.
    "metrics": public("metrics", methods=("GET", "POST"), status=404),
}
# Views that refuse POST: checked once each, so a view that starts accepting it is noticed.
GET_ONLY = (
    "escalations:attachment",
    "documents:record_pdf",
    "documents:record_docx",
    "documents:summary_text",
    "documents:record_print",
    "reporting:register",
    "reporting:register_csv",
    "reporting:practice_issues",
    "reporting:board_actions",
    "reporting:good_practice",
    "board:dashboard",
    "board:annual_report",
    "board:annual_report_file",
    "start",
    "organisations:directory",
    "subject_access",
    "subject_access_export",
    "sign_in_organisation_callback",
    "sign_in_organisation_partnership",
    "notifications:list",
    "notifications:failed",
    "accessibility_statement",
    "privacy_notice",
    "health_live",
    "health_ready",
    "health_serving",
)


# --- Every URL pattern, walked through every include ------------------------------------


@dataclass(frozen=True)
class Pattern:
    namespace: str
    name: str | None
    route: str

    @property
    def key(self) -> str:
        name = self.name or f"<{self.route}>"
        return f"{self.namespace}:{name}" if self.namespace else name


def url_patterns(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Pattern]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            joined = f"{namespace}:{inner}" if namespace and inner else namespace or inner
            yield from url_patterns(entry, prefix + str(entry.pattern), joined)
        elif isinstance(entry, URLPattern):
            yield Pattern(namespace=namespace, name=entry.name, route=prefix + str(entry.pattern))


def _not_yet_in_the_matrix(pattern: Pattern) -> bool:
    names = {*pattern.namespace.split(":"), pattern.name or ""}
    return bool(names & NOT_YET_IN_THE_MATRIX) or pattern.route.startswith(
        tuple(f"{area}/" for area in NOT_YET_IN_THE_MATRIX)
    )


# The admin site is Django's, for staff only, and answers everyone else alike: every one
# of its pages, present and future, is asked below without being named one by one.
NAMESPACES_ASKED_WHOLE = frozenset({"admin"})


def test_every_url_pattern_is_in_the_matrix() -> None:
    missing = [
        pattern.key
        for pattern in url_patterns()
        if pattern.key not in MATRIX
        and pattern.namespace.split(":")[0] not in NAMESPACES_ASKED_WHOLE
        and not _not_yet_in_the_matrix(pattern)
    ]

    assert not missing, (
        f"URL patterns missing from the permission matrix (escalate/common/tests/"
        f"test_url_matrix.py MATRIX): {missing}"
    )


def test_the_matrix_names_no_url_that_is_gone() -> None:
    known = {pattern.key for pattern in url_patterns()}

    assert not set(MATRIX) - known
    assert not set(GET_ONLY) - set(MATRIX)


# --- Asking -----------------------------------------------------------------------------


class Clients:
    """One signed-in browser per role, reused while its session lasts."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.kept: dict[str, Client] = {}

    def for_case(self, case: Case) -> Client:
        if case.ends_session:
            return self._signed_in(case.role)
        if case.role not in self.kept:
            self.kept[case.role] = self._signed_in(case.role)
        return self.kept[case.role]

    def _signed_in(self, role: str) -> Client:
        client = Client()
        if role != ANONYMOUS:
            user = self.world.people[role].user
            assert user is not None
            client.force_login(user)
        return client


def _written() -> tuple[int, int]:
    return AuditEvent.objects.count(), ReadEvent.objects.count()


@dataclass
class Outcome:
    wrong: list[str] = field(default_factory=list)
    cross_agency: int = 0
    refused: int = 0


def ask(world: World, cases: list[Case]) -> Outcome:
    outcome = Outcome()
    clients = Clients(world)
    for case in cases:
        client = clients.for_case(case)
        before = _written() if case.is_cross_agency else None
        send = client.get if case.method == "GET" else client.post
        response = send(case.path)
        status = response.status_code
        problem = ""
        if status != case.expected:
            problem = f"got {status}"
        elif (
            case.role == ANONYMOUS
            and status == 302
            and not response["Location"].startswith(case.login_path)
        ):
            problem = f"redirected to {response['Location']}, not to sign in"
        if case.is_cross_agency:
            outcome.cross_agency += 1
            nothing_written = _written() == before
            if status == 404 and nothing_written:
                outcome.refused += 1
            elif not nothing_written:
                problem = problem or "wrote to the audit history or the read trail"
        if problem:
            outcome.wrong.append(
                f"{case.method} {case.path} as {case.role}: expected {case.expected}, {problem}"
            )
    return outcome


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(MATRIX))
def test_permission_matrix(url_name: str, record_property: Any) -> None:
    world = World()
    cases = MATRIX[url_name](world)
    if url_name in GET_ONLY:
        cases.append(Case(role=RAISER, method="POST", path=cases[0].path, expected=405))

    outcome = ask(world, cases)

    record_figure(record_property, "matrix_cases", len(cases))
    record_figure(record_property, "matrix_urls", 1)
    record_figure(record_property, "cross_agency_attempts", outcome.cross_agency)
    record_figure(record_property, "cross_agency_refused", outcome.refused)
    assert not outcome.wrong, "\n".join(outcome.wrong)
    assert outcome.refused == outcome.cross_agency, (
        f"{outcome.refused} of {outcome.cross_agency} cross-agency attempts refused"
    )


# --- The admin site, every pattern of it ------------------------------------------------

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_SAMPLES = {"int": "1", "path": "1", "str": "1", "slug": "x"}


def sample_path(route: str) -> str:
    """A path matching ``route``: regular expressions resolved, converters filled in."""
    path = re.sub(r"\(\?P<\w+>\.\*\)", "no-such-page/", route)
    path = re.sub(r"\(\?P<\w+>(\w+)(\|[^)]*)?\)", r"\1", path)
    path = _CONVERTER.sub(lambda m: _SAMPLES.get(m.group(1) or "str", "1"), path)
    return "/" + path.replace("^", "").replace("$", "")


def admin_cases() -> list[Case]:
    """Every admin page, as every role: its sign-in page answers, all else sends them there."""
    return [
        Case(
            role=role,
            method=method,
            path=sample_path(pattern.route),
            expected=200 if pattern.name == "login" else 302,
            login_path=reverse("admin:login"),
        )
        for pattern in url_patterns()
        if pattern.namespace == "admin"
        for role in ROLES
        for method in ("GET", "POST")
    ]


@pytest.mark.django_db
def test_the_admin_site_lets_in_none_of_these_roles(record_property: Any) -> None:
    world = World()
    cases = admin_cases()
    login = reverse("admin:login")
    index = reverse("admin:index")

    clients = Clients(world)
    wrong = []
    for case in cases:
        response = clients.for_case(case).generic(case.method, case.path)
        status = response.status_code
        if status != case.expected:
            wrong.append(f"{case.method} {case.path} as {case.role}: got {status}")
        # Django sends a signed-in non-staff person asking to sign out to the admin's index,
        # which in turn sends them to the admin's sign-in page.
        elif status == 302 and not response["Location"].startswith((login, index)):
            wrong.append(f"{case.method} {case.path} as {case.role}: to {response['Location']}")

    record_figure(record_property, "matrix_cases", len(cases))
    record_figure(record_property, "matrix_urls", len({case.path for case in cases}))
    assert not wrong, "\n".join(wrong)


def test_sample_paths_resolve_to_their_pattern() -> None:
    assert sample_path("admin/^(?P<app_label>auth|axes)/$") == "/admin/auth/"
    assert sample_path("admin/(?P<url>.*)$") == "/admin/no-such-page/"
    assert sample_path("admin/auth/user/<id>/password/") == "/admin/auth/user/1/password/"
