"""Invented agencies, people and escalations so the demo has something to show.

Idempotent: running it again changes nothing. Every name here is made up.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from escalate.domain.policy import AgencyKind, LadderRole, PartnershipRole, SubjectKind
from escalate.escalations import services
from escalate.escalations.clock import local_today
from escalate.escalations.models import Escalation
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
from escalate.policies.models import Policy
from escalate.policies.selectors import current_policies
from escalate.reporting import services as reporting
from escalate.reporting.models import BoardAction

DEMO_PASSWORD = "demo-password-not-for-real-use"  # noqa: S105 - printed for the demo on purpose

_AGENCY_NAMES = {
    AgencyKind.EDUCATION: "Brookfield Primary School",
    AgencyKind.EARLY_YEARS: "Little Acorns Pre-school",
    AgencyKind.HEALTH: "Riverside Health Visiting Team",
    AgencyKind.CHILDRENS_SOCIAL_CARE: "Children's Social Care",
    AgencyKind.ADULT_SOCIAL_CARE: "Adult Social Care",
    AgencyKind.POLICE: "Police Safeguarding Unit",
    AgencyKind.VOLUNTARY: "Harbour Family Support",
    AgencyKind.OTHER: "Housing Options Service",
}
_FIRST_NAMES = ["Sam", "Priya", "Tom", "Ada", "Kofi", "Mia", "Owen", "Lena"]
_PARTNERSHIP_ROLES = [
    PartnershipRole.BUSINESS_MANAGER,
    PartnershipRole.CHAIR,
    PartnershipRole.INDEPENDENT_SCRUTINEER,
    PartnershipRole.ADMINISTRATOR,
    PartnershipRole.PANEL_MEMBER,
]


class Command(BaseCommand):
    help = "Create invented demo agencies, people (password below) and escalations."

    def handle(self, *args: Any, **options: Any) -> None:
        for policy in current_policies():
            with transaction.atomic():
                self._seed(policy)
        self.stdout.write(
            "Demo people sign in with their email address and the password "
            f"'{DEMO_PASSWORD}'. For example: practitioner.education@nel.example.org, "
            "line-manager.childrens-social-care@nel.example.org, business-manager@nel.example.org."
        )

    def _seed(self, policy: Policy) -> None:
        slug = policy.partnership.slug
        rules = policy.rules
        people: dict[tuple[AgencyKind, LadderRole], Person] = {}
        for index, kind in enumerate(rules.agency_kinds):
            agency, _ = Agency.objects.get_or_create(
                partnership=policy.partnership,
                name=_AGENCY_NAMES[kind],
                defaults={"kind": kind.value},
            )
            manager = None
            for rung in reversed(list(LadderRole)):
                email = f"{_dashed(rung)}.{_dashed(kind)}@{slug}.example.org"
                person = _person(
                    email=email,
                    name=f"{_FIRST_NAMES[index % len(_FIRST_NAMES)]} {_dashed(rung).title()}",
                    agency=agency,
                    rung=rung,
                    line_manager=manager,
                )
                people[(kind, rung)] = person
                manager = person
        for role in _PARTNERSHIP_ROLES:
            person = _person(
                email=f"{_dashed(role)}@{slug}.example.org",
                name=f"{role.value.replace('_', ' ').title()} ({slug})",
                agency=None,
                rung=None,
                line_manager=None,
            )
            PartnershipRoleAssignment.objects.get_or_create(
                person=person, partnership=policy.partnership, role=role.value
            )
        _seed_board_members(policy, people)
        if slug == "nel" and not Escalation.objects.filter(partnership=policy.partnership).exists():
            _seed_escalations(policy, people)
            _seed_learning_loop(policy, people)


_BOARD_AGENCIES = (AgencyKind.HEALTH, AgencyKind.POLICE, AgencyKind.VOLUNTARY)


def _seed_board_members(
    policy: Policy, people: dict[tuple[AgencyKind, LadderRole], Person]
) -> None:
    """Directors who sit on the board and its panels, so the demo can convene a panel of
    three agencies and appoint a chair from an agency that is not in the disagreement."""
    for kind in _BOARD_AGENCIES:
        director = people.get((kind, LadderRole.ASSISTANT_DIRECTOR))
        if director is None:
            continue
        for role in (PartnershipRole.PANEL_MEMBER, PartnershipRole.EXECUTIVE_MEMBER):
            PartnershipRoleAssignment.objects.get_or_create(
                person=director, partnership=policy.partnership, role=role.value
            )


def _dashed(value: StrEnum) -> str:
    return value.value.replace("_", "-")


def _person(
    *,
    email: str,
    name: str,
    agency: Agency | None,
    rung: LadderRole | None,
    line_manager: Person | None,
) -> Person:
    user_model = get_user_model()
    user = user_model.objects.filter(username=email).first()
    if user is None:
        user = user_model.objects.create_user(username=email, email=email, password=DEMO_PASSWORD)
    person, _ = Person.objects.get_or_create(
        email=email,
        defaults={
            "user": user,
            "name": name,
            "agency": agency,
            "ladder_role": rung.value if rung else "",
            "job_title": rung.value.replace("_", " ").capitalize() if rung else name,
            "line_manager": line_manager,
        },
    )
    return person


def _seed_escalations(policy: Policy, people: dict[tuple[AgencyKind, LadderRole], Person]) -> None:
    school = people[(AgencyKind.EDUCATION, LadderRole.PRACTITIONER)]
    social_worker = people[(AgencyKind.CHILDRENS_SOCIAL_CARE, LadderRole.PRACTITIONER)]
    health = people[(AgencyKind.HEALTH, LadderRole.PRACTITIONER)]
    today = local_today()
    services.raise_escalation(
        raised_by=school,
        policy=policy,
        subject=services.SubjectDetails(
            kind=SubjectKind.CHILD, name="Jamie Invented", case_reference="DEMO-101"
        ),
        other_agency=social_worker.agency,
        counterpart=social_worker,
        category="threshold",
        decision_disputed="Referral about repeated absence and injuries judged below threshold.",
        evidence="Attendance record and two recorded bruising incidents (invented).",
        desired_outcome="A strategy discussion and a child and family assessment.",
        today=today,
    )
    services.raise_escalation(
        raised_by=health,
        policy=policy,
        subject=services.SubjectDetails(
            kind=SubjectKind.CHILD, name="Riley Madeup", case_reference="DEMO-102"
        ),
        other_agency=social_worker.agency,
        counterpart=social_worker,
        category="drift_or_delay",
        decision_disputed="No visit since the case was allocated three weeks ago.",
        evidence="Health visitor notes (invented).",
        desired_outcome="A home visit this week.",
        today=today - timedelta(days=14),
    )


def _seed_learning_loop(
    policy: Policy, people: dict[tuple[AgencyKind, LadderRole], Person]
) -> None:
    """The first demo case taken to stage 3, its practice issue, two board actions (one
    done) and a good-practice entry, all through the services and all invented."""
    director = people[(AgencyKind.EDUCATION, LadderRole.ASSISTANT_DIRECTOR)]
    escalation = (
        Escalation.objects.filter(partnership=policy.partnership, raised_by__agency=director.agency)
        .order_by("pk")
        .first()
    )
    if escalation is None:
        return
    today = local_today()
    while escalation.stage_number < 3:
        escalation = services.escalate_stage(
            escalation=escalation, actor=director, reason="Not agreed (invented).", today=today
        )
    issue = reporting.record_practice_issue(
        escalation=escalation,
        actor=director,
        issue="Threshold guidance does not say how to weigh repeated minor injuries "
        "alongside poor attendance (invented).",
        is_resolved=False,
    )
    board = Person.objects.get(email=f"business-manager@{policy.partnership.slug}.example.org")
    chair = Person.objects.get(email=f"chair@{policy.partnership.slug}.example.org")
    reporting.create_board_action(
        practice_issue=issue,
        actor=board,
        description="Add a section on cumulative harm to the threshold guidance (invented).",
        owner=chair,
        due_on=today + timedelta(days=42),
        today=today,
    )
    briefing = reporting.create_board_action(
        practice_issue=issue,
        actor=board,
        description="Brief school safeguarding leads on the referral route (invented).",
        owner=board,
        due_on=today,
        today=today,
    )
    reporting.complete_board_action(
        board_action=briefing,
        actor=board,
        outcome=BoardAction.Outcome.TRAINING,
        note="Two briefings held for invented schools.",
    )
    reporting.record_good_practice(
        escalation=escalation,
        actor=people[(AgencyKind.EDUCATION, LadderRole.PRACTITIONER)],
        description="Children's services called back the same afternoon and shared the "
        "plan in writing (invented).",
    )
