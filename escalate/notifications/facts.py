"""The plain facts ``domain.recipients`` needs, read for many escalations in a few queries.

However many escalations are asked about, this reads: the parties' lines of
management one rung per query (at most ``MAX_LADDER_DEPTH``), the agencies'
people per rung, the partnerships' role holders, and who else is named on each
record. Never one query per escalation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from escalate.domain.policy import LadderRole, PartnershipRole
from escalate.domain.recipients import Parties, Rung, Side
from escalate.escalations.models import Escalation
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


def parties_for(cases: Iterable[CaseRow], *, with_involved: bool = False) -> dict[UUID, Parties]:
    """Each escalation's ``Parties``; ``with_involved`` also reads who else is named on it."""
    cases = list(cases)
    if not cases:
        return {}
    starts = {c.raised_by_id for c in cases}
    starts.update(c.counterpart_id for c in cases if c.counterpart_id is not None)
    people = _ladders(starts)
    agencies = {c.raising_agency_id for c in cases} | {c.other_agency_id for c in cases}
    by_rung = _people_by_rung(agencies)
    roles = _role_holders({c.partnership_id for c in cases})
    involved = _involved([c.pk for c in cases]) if with_involved else {}
    return {
        case.pk: Parties(
            raising=_side(case.raising_agency_id, case.raised_by_id, people, by_rung),
            other=_side(case.other_agency_id, case.counterpart_id, people, by_rung),
            partnership=roles.get(case.partnership_id, {}),
            involved=frozenset(involved.get(case.pk, ())),
        )
        for case in cases
    }


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


def _involved(escalation_ids: list[UUID]) -> dict[UUID, set[int]]:
    """People who took part (contacts, actions) and panel members, per escalation."""
    named: dict[UUID, set[int]] = defaultdict(set)
    participants = Escalation.participants.through.objects.filter(
        escalation_id__in=escalation_ids, person__is_active=True
    ).values_list("escalation_id", "person_id")
    panel = Escalation.panel_members.through.objects.filter(
        escalation_id__in=escalation_ids, person__is_active=True
    ).values_list("escalation_id", "person_id")
    for escalation_id, person_id in [*participants, *panel]:
        named[escalation_id].add(person_id)
    return named
