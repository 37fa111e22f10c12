"""The stage machine's facts, read from the database: the one adapter between rows and moves.

Services, pages, the API and documents ask ``moves_of`` what a person may do now; the
domain (``domain/moves.py``) decides, and nothing here adds a rule of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from escalate.domain import engine, moves
from escalate.domain.policy import ChecklistItem, PartnershipRole
from escalate.escalations.models import (
    AgreedAction,
    Appointment,
    ChecklistTick,
    Escalation,
    Party,
    ResolutionProposal,
)
from escalate.organisations.models import Agency, Person


@dataclass(frozen=True)
class CaseRows:
    """The rows the facts are built from; the detail page passes what it already read."""

    parties: list[Party]
    participant_ids: list[int]
    proposal: ResolutionProposal | None
    confirmed_agency_ids: list[int]
    appointments: list[Appointment]
    actions: list[AgreedAction]
    ticks: list[ChecklistTick]
    practice_issue_stages: list[int] = field(default_factory=list)
    """Stages with a practice issue recorded (``practice_issue_stages_of``)."""

    @classmethod
    def of_new(cls, parties: list[Party]) -> CaseRows:
        """A case being raised: its two parties and nothing else yet."""
        return cls(parties, [], None, [], [], [], [])


def rows_of(escalation: Escalation) -> CaseRows:
    proposal = current_proposal(escalation)
    return CaseRows(
        parties=list(escalation.parties.all()),
        participant_ids=list(escalation.participants.values_list("pk", flat=True)),
        proposal=proposal,
        confirmed_agency_ids=list(proposal.confirmations.values_list("agency_id", flat=True))
        if proposal
        else [],
        appointments=list(escalation.appointments.filter(ended_at=None)),
        actions=list(current_actions(escalation)),
        ticks=list(escalation.checklist_ticks.filter(stage_number=escalation.stage_number)),
        practice_issue_stages=practice_issue_stages_of(escalation),
    )


def practice_issue_stages_of(escalation: Escalation) -> list[int]:
    """The stages at which the Escalation Notification Form was sent or updated; not read
    (and empty) for a procedure without the form, whose stage machine never asks."""
    if not moves.has_notification_form(escalation.policy.rules):
        return []
    stages = escalation.practice_issues.values_list("stage_number", flat=True)
    return sorted(set(stages))


def current_proposal(escalation: Escalation) -> ResolutionProposal | None:
    return (
        escalation.resolution_proposals.filter(
            stage_number=escalation.stage_number, state=ResolutionProposal.State.PROPOSED
        )
        .order_by("-pk")
        .first()
    )


def current_actions(escalation: Escalation) -> Iterable[AgreedAction]:
    """The agreed actions of the stage's latest resolution (earlier rounds were superseded)."""
    return escalation.agreed_actions.filter(
        stage_number=escalation.stage_number, superseded_at=None
    )


def case_of(escalation: Escalation, rows: CaseRows | None = None) -> moves.Case:
    rows = rows or rows_of(escalation)
    parties = tuple(
        moves.Party(party.agency_id, moves.Side(party.side), party.is_lead)
        for party in rows.parties
    )
    named = {escalation.raised_by_id, *rows.participant_ids}
    named |= {party.practitioner_id for party in rows.parties if party.practitioner_id}
    if escalation.counterpart_id:
        named.add(escalation.counterpart_id)
    proposal = None
    if rows.proposal is not None:
        proposal = moves.Proposal(
            agency_id=rows.proposal.agency_id,
            agreed_by=frozenset({rows.proposal.agency_id, *rows.confirmed_agency_ids}),
        )
    return _case(
        escalation,
        parties=parties,
        named_person_ids=frozenset(named),
        proposal=proposal,
        appointees=tuple(
            moves.Appointee(a.person_id, a.person.agency_id, moves.AppointeeRole(a.role))
            for a in rows.appointments
        ),
        actions=tuple(
            moves.ActionFacts(
                action_id=action.pk,
                understanding_confirmed=action.understanding_confirmed_at is not None,
                implementation=moves.Implementation(action.implementation),
            )
            for action in rows.actions
        ),
        answered=frozenset((ChecklistItem(tick.item), tick.agency_id) for tick in rows.ticks),
        practice_issue_stages=frozenset(rows.practice_issue_stages),
    )


def _case(escalation: Escalation, **facts: Any) -> moves.Case:
    """A ``moves.Case`` of the escalation's own columns and ``facts`` from its other rows."""
    return moves.Case(
        partnership_id=escalation.partnership_id,
        status=engine.Status(escalation.status),
        stage_number=escalation.stage_number,
        raised_on=escalation.raised_on,
        raised_by_id=escalation.raised_by_id,
        immediate_risk=escalation.immediate_risk,
        panel_reason=escalation.panel_reason,
        **facts,
    )


def stored_facts(case: moves.Case) -> dict[str, Any]:
    """The facts of ``case`` that live in rows other than the escalation's own, as the
    services keep them in ``Escalation.case_facts`` after every change: so a list can ask
    the stage machine about each of its rows without reading those rows (``stored_case``)."""
    proposal = case.proposal
    return {
        "parties": [[p.agency_id, p.side.value, p.is_lead] for p in case.parties],
        "named": sorted(case.named_person_ids),
        "proposal": [proposal.agency_id, sorted(proposal.agreed_by)] if proposal else None,
        "appointees": [[a.person_id, a.agency_id, a.role.value] for a in case.appointees],
        "actions": [
            [a.action_id, a.understanding_confirmed, a.implementation.value] for a in case.actions
        ],
        "answered": sorted([item.value, agency] for item, agency in case.answered),
        "practice_issue_stages": sorted(case.practice_issue_stages),
    }


def stored_case(escalation: Escalation) -> moves.Case:
    """``case_of`` from the escalation's row alone: its columns and its ``case_facts``.

    Equal to ``case_of(escalation)`` whenever the services wrote the row last; the suite
    checks that after every test that changes an escalation."""
    facts = escalation.case_facts
    proposal = facts["proposal"]
    return _case(
        escalation,
        parties=tuple(
            moves.Party(agency_id, moves.Side(side), is_lead)
            for agency_id, side, is_lead in facts["parties"]
        ),
        named_person_ids=frozenset(facts["named"]),
        proposal=moves.Proposal(proposal[0], frozenset(proposal[1])) if proposal else None,
        appointees=tuple(
            moves.Appointee(person_id, agency_id, moves.AppointeeRole(role))
            for person_id, agency_id, role in facts["appointees"]
        ),
        actions=tuple(
            moves.ActionFacts(action_id, confirmed, moves.Implementation(implementation))
            for action_id, confirmed, implementation in facts["actions"]
        ),
        answered=frozenset((ChecklistItem(item), agency) for item, agency in facts["answered"]),
        # Rows written before the form's rule had no such key (reporting migration 0002 fills it).
        practice_issue_stages=frozenset(facts.get("practice_issue_stages", ())),
    )


def actor_of(person: Person, partnership_id: int) -> moves.Actor:
    viewer = person.viewer()
    return moves.Actor(
        person_id=person.pk,
        is_active=viewer.is_active,
        agency_id=person.agency_id if _agency_in(person, partnership_id) else None,
        ladder_role=viewer.ladder_role,
        partnership_roles=_roles_in(viewer.partnership_roles, partnership_id),
    )


def author_of(person: Person) -> moves.Author:
    """Who wrote an entry of the record, as the directory has them now."""
    return moves.Author(
        person_id=person.pk, agency_id=person.agency_id, line_manager_id=person.line_manager_id
    )


def correction_refusal_for(person: Person, escalation: Escalation, author: Person) -> str:
    """Why ``person`` may not correct an entry ``author`` wrote on ``escalation`` ("" if they
    may): the stage machine's answer, asked of the stored facts so a page reads no more."""
    if escalation.anonymised_at is not None:
        return "This escalation was anonymised at the end of its retention period."
    return moves.correction_refusal(
        stored_case(escalation), actor_of(person, escalation.partnership_id), author_of(author)
    )


def candidate_of(person: Person | None, partnership_id: int) -> moves.Candidate | None:
    """The facts about someone proposed for a role on a case; None when there is nobody."""
    if person is None:
        return None
    viewer = person.viewer()
    roles = _roles_in(viewer.partnership_roles, partnership_id)
    belongs = _agency_in(person, partnership_id) or bool(roles)
    return moves.Candidate(
        person_id=person.pk,
        is_active=viewer.is_active,
        partnership_id=partnership_id if belongs else None,
        agency_id=person.agency_id,
        partnership_roles=roles,
    )


def ensure_in_partnership(person: Person | None, escalation: Escalation) -> Person:
    """Refuse anyone outside the escalation's partnership as the refusal for nobody at all."""
    moves.check_candidate_in_partnership(
        escalation.partnership_id, candidate_of(person, escalation.partnership_id)
    )
    assert person is not None  # checked above
    return person


def ensure_agency_in_partnership(agency: Agency | None, partnership_id: int) -> Agency:
    if agency is None or agency.partnership_id != partnership_id:
        raise engine.TransitionRefused(moves.NO_SUCH_AGENCY)
    return agency


def moves_of(person: Person, escalation: Escalation, rows: CaseRows | None = None) -> moves.Moves:
    """Which moves ``person`` may make on ``escalation`` now, and why not the others."""
    return moves.moves_for(
        case_of(escalation, rows),
        actor_of(person, escalation.partnership_id),
        escalation.policy.rules,
    )


def _agency_in(person: Person, partnership_id: int) -> bool:
    return person.agency is not None and person.agency.partnership_id == partnership_id


def _roles_in(
    roles: frozenset[tuple[int, PartnershipRole]], partnership_id: int
) -> frozenset[PartnershipRole]:
    return frozenset(role for pid, role in roles if pid == partnership_id)
