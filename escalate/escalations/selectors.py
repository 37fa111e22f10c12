"""Reading escalations and the directory for the pages; every escalation query starts
from ``escalations_visible_to``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from escalate.audit.models import AuditEvent
from escalate.domain.policy import LadderRole, PartnershipRole, PolicyRules, StageRule
from escalate.escalations.access import escalations_visible_to
from escalate.escalations.models import (
    AgreedAction,
    ChecklistTick,
    Contact,
    Escalation,
    FinalDecision,
    Representation,
    StageEntry,
)
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership, Policy


def escalations_listed_for(person: Person) -> QuerySet[Escalation]:
    """What a person's list shows: no narrative, only what a row needs."""
    return (
        escalations_visible_to(person)
        .select_related("raising_agency", "other_agency")
        .only(
            "reference",
            "status",
            "stage_number",
            "stage_due_on",
            "raised_on",
            "immediate_risk",
            "closed_at",
            "policy_id",
            "raising_agency__name",
            "other_agency__name",
        )
    )


def policy_rules_by_id(policy_ids: Iterable[int]) -> dict[int, PolicyRules]:
    return {policy.pk: policy.rules for policy in Policy.objects.filter(pk__in=set(policy_ids))}


@dataclass(frozen=True)
class EscalationRecord:
    """Everything the detail page shows, read in a fixed number of queries."""

    escalation: Escalation
    stage_entries: list[StageEntry]
    contacts: list[Contact]
    agreed_actions: list[AgreedAction]
    checklist_ticks: list[ChecklistTick]
    history: list[AuditEvent]
    participants: list[Person]
    panel_members: list[Person]
    representations: list[Representation]
    final_decision: FinalDecision | None
    acting: dict[int, list[Person]]
    """Named people on the current stage's rung, by party agency (see ``people_acting_at``)."""
    chairs: list[Person]
    """The partnership's chairs, where the partnership acts at the current stage."""


def escalation_record(escalation: Escalation) -> EscalationRecord:
    """The escalation (already fetched through access) with its record and history."""
    full = (
        Escalation.objects.select_related(
            "policy",
            "partnership",
            "subject",
            "raised_by__agency",
            "raised_by__line_manager",
            "raising_agency",
            "other_agency",
            "counterpart__agency",
            "counterpart__line_manager",
        )
        .prefetch_related(
            Prefetch("participants", queryset=Person.objects.select_related("agency")),
            Prefetch("panel_members", queryset=Person.objects.select_related("agency")),
        )
        .get(pk=escalation.pk)
    )
    stage = full.policy.rules.stage(full.stage_number)
    is_open = full.status == Escalation.Status.OPEN
    return EscalationRecord(
        escalation=full,
        stage_entries=list(full.stage_entries.all()),
        contacts=list(full.contacts.select_related("recorded_by")),
        agreed_actions=list(
            full.agreed_actions.select_related(
                "owner__agency", "understanding_confirmed_by", "checked_by"
            )
        ),
        checklist_ticks=list(full.checklist_ticks.select_related("ticked_by")),
        history=list(AuditEvent.objects.filter(escalation=full).select_related("actor")),
        participants=list(full.participants.all()),
        panel_members=list(full.panel_members.all()),
        representations=list(full.representations.select_related("agency", "author")),
        final_decision=FinalDecision.objects.filter(escalation=full)
        .select_related("decided_by", "chaired_by_agency")
        .first(),
        acting=people_acting_at(full, stage) if is_open else {},
        chairs=list(partnership_people(full.partnership, PartnershipRole.CHAIR))
        if is_open and stage.ladder_role is None
        else [],
    )


def people_acting_at(escalation: Escalation, stage: StageRule) -> dict[int, list[Person]]:
    """Named people on the stage's rung in each party agency, where the directory has them.

    At the practitioners' rung these are the raiser and the named counterpart; at the
    line managers' rung, their own line managers where recorded; above it, everyone
    on that rung in the agency.
    """
    parties = {
        escalation.raising_agency_id: escalation.raised_by,
        escalation.other_agency_id: escalation.counterpart,
    }
    if stage.ladder_role is None:
        return {}
    if stage.ladder_role is LadderRole.PRACTITIONER:
        return {agency: [person] for agency, person in parties.items() if person is not None}
    named: dict[int, list[Person]] = defaultdict(list)
    if stage.ladder_role is LadderRole.LINE_MANAGER:
        for agency, person in parties.items():
            manager = person.line_manager if person is not None else None
            if manager is not None and manager.is_active and manager.agency_id == agency:
                named[agency].append(manager)
    unnamed = [agency for agency in parties if agency not in named]
    if unnamed:
        for person in Person.objects.filter(
            agency_id__in=unnamed, ladder_role=stage.ladder_role.value, is_active=True
        ).select_related("agency"):
            named[person.agency_id].append(person)  # type: ignore[index]
    return dict(named)


def partnership_people(partnership: Partnership, role: PartnershipRole) -> QuerySet[Person]:
    return Person.objects.filter(
        is_active=True,
        partnership_roles__partnership=partnership,
        partnership_roles__role=role.value,
    ).distinct()


def agencies_to_disagree_with(person: Person) -> QuerySet[Agency]:
    """The other agencies of the person's partnership."""
    if person.agency is None:
        return Agency.objects.none()
    return Agency.objects.filter(partnership_id=person.agency.partnership_id).exclude(
        pk=person.agency.pk
    )


def practitioners_elsewhere(person: Person) -> QuerySet[Person]:
    """Active people in the other agencies of the person's partnership."""
    return (
        Person.objects.filter(is_active=True, agency__in=agencies_to_disagree_with(person))
        .select_related("agency")
        .order_by("agency__name", "name")
    )


def directory_people(partnership: Partnership) -> QuerySet[Person]:
    """Active people who work in the partnership's agencies or for the partnership itself."""
    return (
        Person.objects.filter(
            Q(agency__partnership=partnership) | Q(partnership_roles__partnership=partnership),
            is_active=True,
        )
        .select_related("agency")
        .distinct()
        .order_by("agency__name", "name")
    )


def uninvolved_agencies(escalation: Escalation) -> QuerySet[Agency]:
    return Agency.objects.filter(partnership_id=escalation.partnership_id).exclude(
        pk__in=[escalation.raising_agency_id, escalation.other_agency_id]
    )


def current_revision(escalation: Escalation) -> int:
    return Escalation.objects.values_list("revision", flat=True).get(pk=escalation.pk)


def panel_members(escalation: Escalation) -> QuerySet[Person]:
    return escalation.panel_members.select_related("agency").order_by("name")
