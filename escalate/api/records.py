"""What the API shows of one escalation beyond ``selectors.escalation_record``.

The parties, the proposed resolution, the appointments, the checklist's answers and the
moves the requesting person may make all come from ``escalations.authority``: the same
rows and the same stage machine the services and the pages ask. Nothing is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import prefetch_related_objects

from escalate.domain import moves
from escalate.domain.policy import CHECKLIST_LABELS, SYSTEM_KNOWN_ITEMS, ChecklistItem
from escalate.escalations import authority
from escalate.escalations.models import (
    ChecklistTick,
    Escalation,
    ResolutionConfirmation,
    ResolutionProposal,
)
from escalate.organisations.models import Agency, Person


@dataclass(frozen=True)
class ProposedAction:
    description: str
    owner: Person | None
    due_on: date


@dataclass(frozen=True)
class ProposalView:
    proposal: ResolutionProposal
    actions: list[ProposedAction]
    confirmations: list[ResolutionConfirmation]


@dataclass(frozen=True)
class ChecklistEntry:
    """One answer the stage's checklist needs: an item, for one agency where it is per agency."""

    item: str
    label: str
    agency: Agency | None
    answered_by: str
    """``record`` for what Escalate knows from the record itself, else ``people``."""
    state: str
    """to_do, done or not_done."""
    not_done_reason: str
    review_on: date | None
    recorded_by: Person | None
    recorded_at: datetime | None


@dataclass(frozen=True)
class CaseView:
    """The escalation as the stage machine sees it, for one person now."""

    rows: authority.CaseRows
    case: moves.Case
    moves: moves.Moves
    waiting_agencies: list[Agency]
    proposal: ProposalView | None
    checklist: list[ChecklistEntry]


def case_view(
    person: Person, escalation: Escalation, rows: authority.CaseRows | None = None
) -> CaseView:
    """Read the rows once (or take those a record already read), then ask the stage machine
    what ``person`` may do with them."""
    rows = rows or authority.rows_of(escalation)
    prefetch_related_objects(rows.parties, "agency", "practitioner")
    prefetch_related_objects(rows.appointments, "person__agency", "appointed_by")
    prefetch_related_objects(rows.ticks, "ticked_by")
    rules = escalation.policy.rules
    case = authority.case_of(escalation, rows)
    agencies = {party.agency_id: party.agency for party in rows.parties}
    return CaseView(
        rows=rows,
        case=case,
        moves=authority.moves_of(person, escalation, rows),
        waiting_agencies=[
            agencies[agency_id]
            for agency_id in moves.waiting_agencies(case, rules)
            if agency_id in agencies
        ],
        proposal=_proposal(rows.proposal),
        checklist=checklist_entries(escalation, case, rows.ticks, agencies),
    )


def _proposal(proposal: ResolutionProposal | None) -> ProposalView | None:
    if proposal is None:
        return None
    prefetch_related_objects([proposal], "agency", "proposed_by")
    owners = Person.objects.in_bulk([item["owner"] for item in proposal.actions])
    return ProposalView(
        proposal=proposal,
        actions=[
            ProposedAction(
                description=item["description"],
                owner=owners.get(item["owner"]),
                due_on=date.fromisoformat(item["due_on"]),
            )
            for item in proposal.actions
        ],
        confirmations=list(
            proposal.confirmations.select_related("agency", "confirmed_by").order_by("pk")
        ),
    )


def checklist_entries(
    escalation: Escalation,
    case: moves.Case,
    ticks: list[ChecklistTick],
    agencies: dict[int, Agency],
) -> list[ChecklistEntry]:
    """Every answer the current stage's checklist needs, each with the answer given, if any.

    Items the record answers (``SYSTEM_KNOWN_ITEMS``) are done once the record shows them;
    the rest are answered by people, once for the stage or once per party agency.
    """
    rules = escalation.policy.rules
    known = moves.known_answers(case, rules)
    by_slot = {(tick.item, tick.agency_id): tick for tick in ticks}
    slots = moves.checklist_slots(case, rules)
    entries = []
    for item in rules.stage(escalation.stage_number).checklist:
        if item in SYSTEM_KNOWN_ITEMS:
            entries.append(_known_entry(item, done=item in known))
            continue
        for slot in (slot for slot in slots if slot.item is item):
            agency_id = slot.agency_id
            tick = by_slot.get((item.value, agency_id))
            state = "to_do" if tick is None else "done" if tick.is_done else "not_done"
            entries.append(
                ChecklistEntry(
                    item=item.value,
                    label=CHECKLIST_LABELS[item],
                    agency=agencies.get(agency_id) if agency_id is not None else None,
                    answered_by="people",
                    state=state,
                    not_done_reason=tick.not_done_reason if tick else "",
                    review_on=tick.review_on if tick else None,
                    recorded_by=tick.ticked_by if tick else None,
                    recorded_at=tick.ticked_at if tick else None,
                )
            )
    return entries


def _known_entry(item: ChecklistItem, *, done: bool) -> ChecklistEntry:
    return ChecklistEntry(
        item=item.value,
        label=CHECKLIST_LABELS[item],
        agency=None,
        answered_by="record",
        state="done" if done else "to_do",
        not_done_reason="",
        review_on=None,
        recorded_by=None,
        recorded_at=None,
    )
