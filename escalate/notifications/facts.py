"""The plain facts ``domain.recipients`` needs, read for many escalations in a few queries.

However many escalations are asked about, this reads: the party agencies (``Party``
rows) with their named practitioners, the practitioners' lines of management one rung
per query (at most ``MAX_LADDER_DEPTH``), the agencies' people per rung, the
partnerships' role holders, and, for messages about a change, who else is named on
each record and the stages it has been at. Never one query per escalation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from escalate.domain.policy import LadderRole, PartnershipRole, Sides
from escalate.domain.recipients import Parties, Rung, Side
from escalate.escalations.models import Appointment, Escalation, Party, StageEntry
from escalate.organisations.models import PartnershipRoleAssignment, Person

MAX_LADDER_DEPTH = 8  # more rungs than any ladder has, so a loop in the directory ends


@dataclass(frozen=True)
class CaseRow:
    """The columns of an escalation that say who its parties are."""

    pk: UUID
    partnership_id: int
    raised_by_id: int
    counterpart_id: int | None
    raising_agency_id: int
    other_agency_id: int

    @classmethod
    def of(cls, escalation: Escalation) -> CaseRow:
        return cls(
            pk=escalation.pk,
            partnership_id=escalation.partnership_id,
            raised_by_id=escalation.raised_by_id,
            counterpart_id=escalation.counterpart_id,
            raising_agency_id=escalation.raising_agency_id,
            other_agency_id=escalation.other_agency_id,
        )

    @classmethod
    def from_values(cls, row: dict[str, Any]) -> CaseRow:
        return cls(
            pk=row["pk"],
            partnership_id=row["partnership_id"],
            raised_by_id=row["raised_by_id"],
            counterpart_id=row["counterpart_id"],
            raising_agency_id=row["raising_agency_id"],
            other_agency_id=row["other_agency_id"],
        )


CASE_ROW_FIELDS = (
    "pk",
    "partnership_id",
    "raised_by_id",
    "counterpart_id",
    "raising_agency_id",
    "other_agency_id",
)


@dataclass(frozen=True)
class _Person:
    role: LadderRole | None
    is_active: bool
    line_manager_id: int | None


@dataclass(frozen=True)
class _PartyRow:
    agency_id: int
    on: Sides
    practitioner_id: int | None


@dataclass(frozen=True)
class CaseFacts:
    """What ``domain.recipients`` needs about one escalation."""

    parties: Parties
    stages_so_far: tuple[int, ...] = ()
    """Every stage it has been at, first entry first (read only ``with_record``)."""


def parties_for(cases: Iterable[CaseRow], *, with_record: bool = False) -> dict[UUID, Parties]:
    """Each escalation's ``Parties``; ``with_record`` also reads who else is named on it."""
    return {pk: facts.parties for pk, facts in case_facts(cases, with_record=with_record).items()}


def case_facts(cases: Iterable[CaseRow], *, with_record: bool = False) -> dict[UUID, CaseFacts]:
    """Each escalation's facts; ``with_record`` also reads who took part and its stages so far.

    Every party agency is a side, the raising agency first with the raiser as its
    practitioner. An escalation without party rows (written before they existed) has its
    raising agency and its first challenged agency, with the counterpart.
    """
    cases = list(cases)
    if not cases:
        return {}
    party_rows = _party_rows(cases)
    starts = {c.raised_by_id for c in cases}
    starts.update(
        row.practitioner_id
        for rows in party_rows.values()
        for row in rows
        if row.practitioner_id is not None
    )
    people = _ladders(starts)
    agencies = {row.agency_id for rows in party_rows.values() for row in rows}
    by_rung = _people_by_rung(agencies)
    roles = _role_holders({c.partnership_id for c in cases})
    ids = [c.pk for c in cases]
    taking_part = _taking_part(ids) if with_record else {}
    appointed = _appointed(ids) if with_record else {}
    stages = _stages_so_far(ids) if with_record else {}
    facts = {}
    for case in cases:
        rows = party_rows[case.pk]
        agency_ids = {row.agency_id for row in rows}
        named: dict[int, set[int]] = defaultdict(set)
        others = set(appointed.get(case.pk, ()))
        for person_id, agency_id in taking_part.get(case.pk, ()):
            if agency_id in agency_ids:
                named[agency_id].add(person_id)
            else:
                others.add(person_id)
        sides = []
        for row in rows:
            party_id = case.raised_by_id if row.agency_id == case.raising_agency_id else None
            party_id = party_id or row.practitioner_id
            if row.practitioner_id is not None and row.practitioner_id != party_id:
                named[row.agency_id].add(row.practitioner_id)
            sides.append(
                _side(
                    row.agency_id,
                    party_id,
                    people,
                    by_rung,
                    on=row.on,
                    named=frozenset(named[row.agency_id] - {party_id}),
                )
            )
        parties = Parties(
            sides=tuple(sides),
            partnership=roles.get(case.partnership_id, {}),
            involved=frozenset(others),
        )
        facts[case.pk] = CaseFacts(parties=parties, stages_so_far=stages.get(case.pk, ()))
    return facts


def _party_rows(cases: list[CaseRow]) -> dict[UUID, list[_PartyRow]]:
    """Each escalation's party agencies, the raising agency first, then in the order they joined.

    The raising and first challenged agency are kept on the escalation row too; either is
    added from there when its party row is missing.
    """
    rows = (
        Party.objects.filter(escalation_id__in=[c.pk for c in cases])
        .order_by("pk")
        .values_list("escalation_id", "agency_id", "side", "practitioner_id")
    )
    found: dict[UUID, list[_PartyRow]] = defaultdict(list)
    for escalation_id, agency_id, side, practitioner_id in rows:
        found[escalation_id].append(_PartyRow(agency_id, Sides(side), practitioner_id))
    ordered: dict[UUID, list[_PartyRow]] = {}
    for case in cases:
        parties = found.get(case.pk, [])
        by_agency = {row.agency_id: row for row in parties}
        raising = by_agency.get(
            case.raising_agency_id, _PartyRow(case.raising_agency_id, Sides.RAISING, None)
        )
        raising = _PartyRow(raising.agency_id, Sides.RAISING, raising.practitioner_id)
        rest = [row for row in parties if row.agency_id != case.raising_agency_id]
        if case.other_agency_id not in by_agency and case.other_agency_id != case.raising_agency_id:
            rest.insert(0, _PartyRow(case.other_agency_id, Sides.CHALLENGED, case.counterpart_id))
        ordered[case.pk] = [raising, *rest]
    return ordered


def _ladders(start: set[int]) -> dict[int, _Person]:
    """The people in ``start`` and everyone above them, one rung per query."""
    known: dict[int, _Person] = {}
    frontier = set(start)
    for _ in range(MAX_LADDER_DEPTH):
        if not frontier:
            break
        rows = Person.objects.filter(pk__in=frontier).values_list(
            "pk", "ladder_role", "is_active", "line_manager_id"
        )
        frontier = set()
        for pk, role, is_active, line_manager_id in rows:
            known[pk] = _Person(LadderRole(role) if role else None, is_active, line_manager_id)
            if line_manager_id is not None and line_manager_id not in known:
                frontier.add(line_manager_id)
        frontier -= known.keys()
    return known


def _side(
    agency_id: int,
    party_id: int | None,
    people: dict[int, _Person],
    by_rung: dict[int, dict[LadderRole, tuple[int, ...]]],
    *,
    on: Sides,
    named: frozenset[int],
) -> Side:
    party = None
    managers: list[Rung] = []
    if party_id is not None and party_id in people:
        me = people[party_id]
        party = Rung(party_id, me.role, me.is_active)
        seen = {party_id}
        above = me.line_manager_id
        while above is not None and above in people and above not in seen:
            seen.add(above)
            manager = people[above]
            managers.append(Rung(above, manager.role, manager.is_active))
            above = manager.line_manager_id
    return Side(
        agency_id=agency_id,
        party=party,
        managers=tuple(managers),
        by_rung=by_rung.get(agency_id, {}),
        on=on,
        named=named,
    )


def _people_by_rung(agency_ids: set[int]) -> dict[int, dict[LadderRole, tuple[int, ...]]]:
    """Active people above practitioner in each agency, by rung: the fallback when a line ends."""
    rows = (
        Person.objects.filter(agency_id__in=agency_ids, is_active=True)
        .exclude(ladder_role__in=["", LadderRole.PRACTITIONER.value])
        .order_by("pk")
        .values_list("agency_id", "ladder_role", "pk")
    )
    gathered: dict[int, dict[LadderRole, list[int]]] = defaultdict(lambda: defaultdict(list))
    for agency_id, role, pk in rows:
        gathered[agency_id][LadderRole(role)].append(pk)
    return {
        agency_id: {role: tuple(pks) for role, pks in rungs.items()}
        for agency_id, rungs in gathered.items()
    }


def _role_holders(partnership_ids: set[int]) -> dict[int, dict[PartnershipRole, tuple[int, ...]]]:
    rows = (
        PartnershipRoleAssignment.objects.filter(
            partnership_id__in=partnership_ids, person__is_active=True
        )
        .order_by("person_id")
        .values_list("partnership_id", "role", "person_id")
    )
    gathered: dict[int, dict[PartnershipRole, list[int]]] = defaultdict(lambda: defaultdict(list))
    for partnership_id, role, person_id in rows:
        gathered[partnership_id][PartnershipRole(role)].append(person_id)
    return {
        partnership_id: {role: tuple(pks) for role, pks in roles.items()}
        for partnership_id, roles in gathered.items()
    }


def _taking_part(escalation_ids: list[UUID]) -> dict[UUID, list[tuple[int, int | None]]]:
    """The active people who took part (contacts, moves, agreed actions), with their agency."""
    rows = Escalation.participants.through.objects.filter(
        escalation_id__in=escalation_ids, person__is_active=True
    ).values_list("escalation_id", "person_id", "person__agency_id")
    found: dict[UUID, list[tuple[int, int | None]]] = defaultdict(list)
    for escalation_id, person_id, agency_id in rows:
        found[escalation_id].append((person_id, agency_id))
    return found


def _appointed(escalation_ids: list[UUID]) -> dict[UUID, set[int]]:
    """The final stage's active appointees: those still appointed, and those still seeing it.

    An escalation that ends loses its panel's access (``panel_members``) before the outcome
    is written; the appointments themselves say who sat.
    """
    named: dict[UUID, set[int]] = defaultdict(set)
    appointments = Appointment.objects.filter(
        escalation_id__in=escalation_ids, ended_at=None, person__is_active=True
    ).values_list("escalation_id", "person_id")
    panel = Escalation.panel_members.through.objects.filter(
        escalation_id__in=escalation_ids, person__is_active=True
    ).values_list("escalation_id", "person_id")
    for escalation_id, person_id in [*appointments, *panel]:
        named[escalation_id].add(person_id)
    return named


def _stages_so_far(escalation_ids: list[UUID]) -> dict[UUID, tuple[int, ...]]:
    rows = (
        StageEntry.objects.filter(escalation_id__in=escalation_ids)
        .order_by("entered_on", "pk")
        .values_list("escalation_id", "number")
    )
    found: dict[UUID, list[int]] = defaultdict(list)
    for escalation_id, number in rows:
        found[escalation_id].append(number)
    return {escalation_id: tuple(numbers) for escalation_id, numbers in found.items()}
