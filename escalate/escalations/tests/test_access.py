"""Who sees and does what: the domain predicates and the database filter, over real rows.

The rule lives twice, as predicates (``domain/access.py``) and as a queryset
(``escalations/access.py``); the property test at the end builds random directories
and checks the two agree for every person and every escalation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from escalate.domain import access, moves
from escalate.domain.policy import LadderRole, PartnershipRole
from escalate.escalations import services
from escalate.escalations.access import escalations_visible_to, get_for
from escalate.escalations.involvement import SortKeys, keep_involvement
from escalate.escalations.models import Escalation, Involvement, Party, Subject
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    keep_case_facts,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
from escalate.policies.models import Policy

pytestmark = pytest.mark.django_db

RAISED_ON = date(2026, 12, 18)


# --- the permission table ------------------------------------------------------------


@dataclass
class World:
    """One NEL escalation from a school (raising) to social care (other); health is unrelated."""

    school: Agency
    social_care: Agency
    health: Agency
    teacher: Person
    social_worker: Person
    chair: Person
    escalation: Escalation


def build_world(*, at_final_stage: bool) -> World:
    nel = shipped_policy("nel")
    school = AgencyFactory(partnership=nel.partnership, name="Brookfield Primary")
    social_care = AgencyFactory(
        partnership=nel.partnership, name="Children's Social Care", kind="childrens_social_care"
    )
    health = AgencyFactory(partnership=nel.partnership, name="Riverside Health", kind="health")
    teacher = PersonFactory(agency=school, name="Tess Teacher")
    social_worker = PersonFactory(agency=social_care, name="Sol Worker")
    chair = partnership_person(role="chair", policy=nel)
    escalation = raise_for(raised_by=teacher, other_agency=social_care, counterpart=social_worker)
    if at_final_stage:  # moved up by the raising side's director, who acts at every stage
        director = PersonFactory(agency=school, ladder_role=LadderRole.ASSISTANT_DIRECTOR.value)
        escalation = services.escalate_stage(
            escalation=escalation, actor=teacher, reason="No agreement.", today=RAISED_ON
        )
        while not escalation.is_at_final_stage:
            escalation = services.escalate_stage(
                escalation=escalation, actor=director, reason="No agreement.", today=RAISED_ON
            )
    return World(school, social_care, health, teacher, social_worker, chair, escalation)


def _rung(agency: str, rung: LadderRole, **kwargs: Any) -> Callable[[World], Person]:
    return lambda world: PersonFactory(
        agency=getattr(world, agency), ladder_role=rung.value, **kwargs
    )


def _partnership(role: PartnershipRole, slug: str = "nel") -> Callable[[World], Person]:
    return lambda world: partnership_person(role=role.value, policy=shipped_policy(slug))


def _participant_elsewhere(world: World) -> Person:
    person = PersonFactory(agency=world.health)
    world.escalation.participants.add(person)  # e.g. the owner of an agreed action
    keep_involvement(world.escalation)
    keep_case_facts(world.escalation)
    return person


def _on_the_panel(world: World) -> Person:
    member = PersonFactory(agency=world.health, ladder_role=LadderRole.ASSISTANT_DIRECTOR.value)
    PartnershipRoleAssignment.objects.create(
        person=member, partnership=world.escalation.partnership, role="panel_member"
    )
    services.add_panel_member(escalation=world.escalation, actor=world.chair, member=member)
    return member


def _user_gone(world: World) -> Person:
    person = PersonFactory(agency=world.school, ladder_role=LadderRole.LINE_MANAGER.value)
    person.user.is_active = False
    person.user.save(update_fields=["is_active"])
    return person


WHO: dict[str, Callable[[World], Person]] = {
    "raiser": lambda world: world.teacher,
    "counterpart": lambda world: world.social_worker,
    "participant from an unrelated agency": _participant_elsewhere,
    "practitioner in the raising agency, not named": _rung("school", LadderRole.PRACTITIONER),
    "line manager in the raising agency": _rung("school", LadderRole.LINE_MANAGER),
    "safeguarding lead in the other agency": _rung("social_care", LadderRole.SAFEGUARDING_LEAD),
    "head of service in the other agency": _rung("social_care", LadderRole.HEAD_OF_SERVICE),
    "assistant director in the raising agency": _rung("school", LadderRole.ASSISTANT_DIRECTOR),
    "line manager in an unrelated agency": _rung("health", LadderRole.LINE_MANAGER),
    "business manager": _partnership(PartnershipRole.BUSINESS_MANAGER),
    "chair": lambda world: world.chair,
    "independent scrutineer": _partnership(PartnershipRole.INDEPENDENT_SCRUTINEER),
    "executive member": _partnership(PartnershipRole.EXECUTIVE_MEMBER),
    "administrator": _partnership(PartnershipRole.ADMINISTRATOR),
    "panel member role, not on this panel": _partnership(PartnershipRole.PANEL_MEMBER),
    "on this panel": _on_the_panel,
    "business manager of another partnership": _partnership(
        PartnershipRole.BUSINESS_MANAGER, "devon-preschool"
    ),
    "scrutineer of another partnership": _partnership(
        PartnershipRole.INDEPENDENT_SCRUTINEER, "devon-preschool"
    ),
    "leaver: line manager made inactive": _rung("school", LadderRole.LINE_MANAGER, is_active=False),
    "leaver: line manager whose sign-in is disabled": _user_gone,
}

NOTHING = (False, False, False)
VIEW = (True, False, False)
ACT = (True, True, False)
DECIDE = (True, True, True)
VIEW_AND_DECIDE = (True, False, True)  # the executive deciding a final stage (cscp)

# (stage, who) -> (can view, can act, can decide)
TABLE: list[tuple[str, str, tuple[bool, bool, bool]]] = [
    ("stage 1", "raiser", ACT),
    ("stage 1", "counterpart", ACT),
    ("stage 1", "participant from an unrelated agency", ACT),
    ("stage 1", "practitioner in the raising agency, not named", NOTHING),
    ("stage 1", "line manager in the raising agency", ACT),
    ("stage 1", "safeguarding lead in the other agency", ACT),
    ("stage 1", "head of service in the other agency", ACT),
    ("stage 1", "assistant director in the raising agency", ACT),
    ("stage 1", "line manager in an unrelated agency", NOTHING),
    ("stage 1", "business manager", ACT),
    ("stage 1", "chair", ACT),
    ("stage 1", "independent scrutineer", NOTHING),
    ("stage 1", "executive member", NOTHING),
    ("stage 1", "administrator", NOTHING),
    ("stage 1", "panel member role, not on this panel", NOTHING),
    ("stage 1", "business manager of another partnership", NOTHING),
    ("stage 1", "leaver: line manager made inactive", NOTHING),
    ("stage 1", "leaver: line manager whose sign-in is disabled", NOTHING),
    ("final stage", "raiser", ACT),
    ("final stage", "line manager in the raising agency", ACT),
    ("final stage", "practitioner in the raising agency, not named", NOTHING),
    ("final stage", "line manager in an unrelated agency", NOTHING),
    ("final stage", "business manager", ACT),
    ("final stage", "chair", DECIDE),
    ("final stage", "independent scrutineer", VIEW),
    ("final stage", "scrutineer of another partnership", NOTHING),
    ("final stage", "on this panel", DECIDE),
    ("final stage", "panel member role, not on this panel", NOTHING),
    ("final stage", "executive member", VIEW_AND_DECIDE),
]


@pytest.mark.parametrize(
    ("stage", "who", "expected"), TABLE, ids=[f"{stage}: {who}" for stage, who, _ in TABLE]
)
def test_permission_table(stage: str, who: str, expected: tuple[bool, bool, bool]) -> None:
    world = build_world(at_final_stage=stage == "final stage")
    person = Person.objects.get(pk=WHO[who](world).pk)
    escalation = Escalation.objects.get(pk=world.escalation.pk)
    viewer, facts = person.viewer(), escalation.access_facts()

    # Who may act is the stage machine's answer (domain/tests/test_moves.py); here, who sees.
    can_view = expected[0]
    assert access.can_view(viewer, facts) is can_view
    assert escalations_visible_to(person).filter(pk=escalation.pk).exists() is can_view
    if not can_view:
        with pytest.raises(Http404):
            get_for(person, str(escalation.pk))
    else:
        assert get_for(person, str(escalation.pk)) == escalation


# --- leavers and movers --------------------------------------------------------------


def test_a_leaver_sees_nothing_at_the_next_call() -> None:
    world = build_world(at_final_stage=False)
    manager = PersonFactory(agency=world.school, ladder_role=LadderRole.LINE_MANAGER.value)
    assert list(escalations_visible_to(manager)) == [world.escalation]

    Person.objects.filter(pk__in=[manager.pk, world.teacher.pk]).update(is_active=False)

    for leaver in (manager, world.teacher):  # the raiser too, though named on the case
        leaver = Person.objects.get(pk=leaver.pk)
        assert not escalations_visible_to(leaver).exists()
        with pytest.raises(Http404):
            get_for(leaver, str(world.escalation.pk))


def test_someone_whose_sign_in_is_disabled_sees_nothing_at_the_next_call() -> None:
    world = build_world(at_final_stage=False)
    assert escalations_visible_to(world.teacher).exists()

    get_user_model().objects.filter(people=world.teacher).update(is_active=False)

    assert not escalations_visible_to(Person.objects.get(pk=world.teacher.pk)).exists()


def test_a_mover_loses_the_old_agencys_escalations_and_gains_the_new_ones() -> None:
    world = build_world(at_final_stage=False)
    nurse = PersonFactory(agency=world.health)
    at_health = raise_for(raised_by=nurse, other_agency=world.social_care)
    manager = PersonFactory(agency=world.school, ladder_role=LadderRole.LINE_MANAGER.value)
    assert list(escalations_visible_to(manager)) == [world.escalation]

    Person.objects.filter(pk=manager.pk).update(agency=world.health)

    moved = Person.objects.get(pk=manager.pk)
    assert list(escalations_visible_to(moved)) == [at_health]
    with pytest.raises(Http404):
        get_for(moved, str(world.escalation.pk))


# --- the predicate and the filter agree ------------------------------------------------


def _agree_for_everyone(escalation: Escalation, step: str) -> None:
    """The rows the services keep are the case's involvements with its sort keys (for the
    lists read from them), and for every person in the
    directory the database filter and the predicate give the same answer."""
    escalation = Escalation.objects.get(pk=escalation.pk)
    facts = escalation.access_facts()
    rows = list(Involvement.objects.filter(escalation=escalation))
    assert {row.as_fact() for row in rows} == access.involvements(facts), step
    assert {SortKeys.stored(row) for row in rows} == {SortKeys.of(escalation)}, step
    for person in Person.objects.all():
        visible = escalations_visible_to(person).filter(pk=escalation.pk).exists()
        assert visible is access.can_view(person.viewer(), facts), f"{step}: {person.name}"


def test_the_rows_follow_every_service_through_a_journey() -> None:
    """Devon's first stage is a talk with one's own supervisor; then the other side is told,
    a third agency joins, the panel is appointed and changed, and the case is withdrawn."""
    devon = shipped_policy("devon-preschool")
    preschool = AgencyFactory(partnership=devon.partnership, name="Little Acorns")
    care = AgencyFactory(partnership=devon.partnership, name="Care", kind="childrens_social_care")
    health = AgencyFactory(partnership=devon.partnership, name="Health", kind="health")
    worker = PersonFactory(agency=preschool, name="Pat Practitioner")
    social_worker = PersonFactory(agency=care, name="Sol Worker")
    PersonFactory(agency=care, name="Lee Lead", ladder_role=LadderRole.SAFEGUARDING_LEAD.value)
    nurse = PersonFactory(agency=health, name="Nia Nurse")
    director = PersonFactory(
        agency=preschool, name="Dee Director", ladder_role=LadderRole.ASSISTANT_DIRECTOR.value
    )
    chair = partnership_person(role="chair", policy=devon, name="Cho Chair")
    partnership_person(role="independent_scrutineer", policy=devon, name="Sam Scrutineer")
    member = partnership_person(role="panel_member", policy=devon, name="Mo Member")

    escalation = raise_for(raised_by=worker, other_agency=care, counterpart=social_worker)
    _agree_for_everyone(escalation, "raised: the other side not yet told")
    escalation = services.escalate_stage(
        escalation=escalation, actor=worker, reason="No agreement.", today=RAISED_ON
    )
    _agree_for_everyone(escalation, "stage 2: the other side told")
    services.add_party(
        escalation=escalation,
        actor=director,
        agency=health,
        side=moves.Side.CHALLENGED,
        practitioner=nurse,
        today=RAISED_ON,
    )
    _agree_for_everyone(escalation, "a third agency joined")
    while not escalation.is_at_final_stage:
        escalation = services.escalate_stage(
            escalation=escalation, actor=director, reason="No agreement.", today=RAISED_ON
        )
    _agree_for_everyone(escalation, "at the final stage")
    final = devon.rules.final_stage.final
    assert final is not None and final.has_panel  # Devon's last stage is a resolution panel
    services.add_panel_member(escalation=escalation, actor=chair, member=member)
    _agree_for_everyone(escalation, "a panel member appointed")
    services.withdraw_escalation(
        escalation=escalation, actor=director, reason="Resolved outside.", today=RAISED_ON
    )
    _agree_for_everyone(escalation, "withdrawn: appointees no longer see it")


PEOPLE = 6
AGENCIES = 4
# Skewed towards active people with roles, so that most examples have someone to see.
mostly = st.sampled_from([True, True, True, False])
person_index = st.integers(0, PEOPLE - 1)
people = st.fixed_dictionaries(
    {
        "agency": st.none() | st.integers(0, AGENCIES - 1),
        "ladder_role": st.sampled_from([None, *LadderRole]),
        "is_active": mostly,
        "has_user": mostly,
        "user_is_active": mostly,
        "partnership_roles": st.lists(
            st.tuples(st.integers(0, 1), st.sampled_from(PartnershipRole)),
            max_size=2,
            unique=True,
        ),
    }
)
escalation_specs = st.fixed_dictionaries(
    {
        "raising_agency": st.integers(0, AGENCIES - 1),
        "other_agency": st.integers(0, AGENCIES - 1),
        "raised_by": person_index,
        "counterpart": st.none() | person_index,
        "participants": st.lists(person_index, max_size=3, unique=True),
        "panel": st.lists(person_index, max_size=2, unique=True),
        "stage": st.sampled_from([1, 2, 3, 4, 5, 5, 5]),  # often at the final stage
        "status": st.sampled_from(Escalation.Status.values),
    }
)
directories = st.fixed_dictionaries(
    {
        # each agency belongs to partnership 0 (NEL) or 1 (Devon)
        "agencies": st.lists(st.integers(0, 1), min_size=2, max_size=AGENCIES),
        "people": st.lists(people, min_size=3, max_size=PEOPLE),
        "escalations": st.lists(escalation_specs, min_size=2, max_size=4),
    }
)


class _RollBack(Exception):
    """Raised at the end of each example so its rows never reach the next one."""


def _build_directory(
    spec: dict[str, Any], policies: list[Policy]
) -> tuple[list[Person], list[Escalation]]:
    agencies = [
        Agency.objects.create(
            partnership=policies[p].partnership, name=f"Agency {i}", kind="education"
        )
        for i, p in enumerate(spec["agencies"])
    ]
    persons = []
    for i, details in enumerate(spec["people"]):
        user = None
        if details["has_user"]:
            user = get_user_model().objects.create(
                username=f"p{i}@example.org", is_active=details["user_is_active"]
            )
        agency = details["agency"]
        role = details["ladder_role"]
        person = Person.objects.create(
            user=user,
            name=f"Person {i}",
            email=f"p{i}@example.org",
            agency=agencies[agency % len(agencies)] if agency is not None else None,
            ladder_role=role.value if role else "",
            is_active=details["is_active"],
        )
        for p, partnership_role in details["partnership_roles"]:
            PartnershipRoleAssignment.objects.create(
                person=person, partnership=policies[p].partnership, role=partnership_role.value
            )
        persons.append(person)

    def someone(index: int) -> Person:
        return persons[index % len(persons)]

    escalations = []
    for i, details in enumerate(spec["escalations"]):
        raising = agencies[details["raising_agency"] % len(agencies)]
        policy = next(p for p in policies if p.partnership_id == raising.partnership_id)
        final = policy.rules.final_stage.number
        escalation = Escalation.objects.create(
            reference=f"ESC-P-{i:04d}",
            partnership=raising.partnership,
            policy=policy,
            subject=Subject.objects.create(
                partnership=raising.partnership, kind="child", name="Invented"
            ),
            raised_by=someone(details["raised_by"]),
            raising_agency=raising,
            other_agency=agencies[details["other_agency"] % len(agencies)],
            counterpart=(
                someone(details["counterpart"]) if details["counterpart"] is not None else None
            ),
            category="threshold",
            decision_disputed="Invented.",
            desired_outcome="Invented.",
            status=details["status"],
            stage_number=min(details["stage"], final),
            final_stage_number=final,
            raised_on=RAISED_ON,
        )
        sides = {raising: "raising"}
        sides.setdefault(escalation.other_agency, "challenged")
        for extra in details["participants"][:1]:  # sometimes a third agency joins
            sides.setdefault(agencies[extra % len(agencies)], "challenged")
        # Some challenged agencies are not yet told (a talk with one's own supervisor).
        untold = details["stage"] % 3 == 0
        Party.objects.bulk_create(
            Party(
                escalation=escalation,
                agency=agency,
                side=side,
                joined_on=RAISED_ON,
                is_told=side == "raising" or not untold,
            )
            for agency, side in sides.items()
        )
        escalation.participants.set({someone(index) for index in details["participants"]})
        escalation.panel_members.set({someone(index) for index in details["panel"]})
        keep_involvement(escalation)  # as every service does after a change
        escalations.append(escalation)
    return persons, escalations


@pytest.fixture
def two_partnerships() -> list[Policy]:
    return [shipped_policy("nel"), shipped_policy("devon-preschool")]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=directories)
def test_the_predicate_and_the_queryset_agree_for_everyone(
    two_partnerships: list[Policy], spec: dict[str, Any]
) -> None:
    try:
        with transaction.atomic():
            persons, escalations = _build_directory(spec, two_partnerships)
            for person in persons:
                person = Person.objects.get(pk=person.pk)  # read fresh, as each request does
                viewer = person.viewer()
                visible = set(escalations_visible_to(person).values_list("pk", flat=True))
                for escalation in escalations:
                    facts = escalation.access_facts()
                    note(f"{viewer} / {facts}")
                    assert access.can_view(viewer, facts) == (escalation.pk in visible)
            raise _RollBack
    except _RollBack:
        pass
