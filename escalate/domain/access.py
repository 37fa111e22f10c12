"""Who may see and do what with an escalation, as predicates over plain facts.

The same rule exists once more as a database filter (``escalations/access.py``), which
reads the involvement rows the services keep from ``involvements``; a test runs both over
the same directories and checks they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from escalate.domain.policy import LadderRole, PartnershipRole

# Rungs that see every escalation their agency is party to.
OVERSEEING_RUNGS = frozenset(
    {
        LadderRole.LINE_MANAGER,
        LadderRole.SAFEGUARDING_LEAD,
        LadderRole.HEAD_OF_SERVICE,
        LadderRole.ASSISTANT_DIRECTOR,
    }
)
PARTNERSHIP_OVERSIGHT = frozenset({PartnershipRole.BUSINESS_MANAGER, PartnershipRole.CHAIR})
# Roles that read an escalation only once it reaches the final stage: the scrutineer, and
# the executive, which decides the final stage in some procedures (cscp).
FINAL_STAGE_READERS = frozenset(
    {PartnershipRole.INDEPENDENT_SCRUTINEER, PartnershipRole.EXECUTIVE_MEMBER}
)
# Roles that see the partnership's figures (the board's dashboard and annual report). Only
# PARTNERSHIP_OVERSIGHT opens the lists behind a figure; the final-stage readers see figures
# with no names first, and reach a case only through their own list (aggregate first).
BOARD_FIGURE_READERS = PARTNERSHIP_OVERSIGHT | FINAL_STAGE_READERS


class Action(StrEnum):
    VIEW = "view"
    """See the case. What a person may *do* with it is the stage machine's answer
    (``domain/moves.py``), never a second rule here."""


@dataclass(frozen=True)
class Viewer:
    person_id: int
    is_active: bool
    agency_id: int | None
    ladder_role: LadderRole | None
    partnership_roles: frozenset[tuple[int, PartnershipRole]] = field(default=frozenset())

    def has_partnership_role(self, partnership_id: int, roles: frozenset[PartnershipRole]) -> bool:
        return any(pid == partnership_id and role in roles for pid, role in self.partnership_roles)

    def partnerships_holding(self, roles: frozenset[PartnershipRole]) -> list[int]:
        """The partnerships in which this person holds any of ``roles``, in id order."""
        return sorted({pid for pid, role in self.partnership_roles if role in roles})


@dataclass(frozen=True)
class CaseAccessFacts:
    partnership_id: int
    party_agency_ids: frozenset[int]
    named_person_ids: frozenset[int]
    panel_member_ids: frozenset[int]
    at_final_stage: bool
    is_finished: bool = False
    """Closed or withdrawn: appointees to the final stage no longer see it (decision 10)."""


class Why(StrEnum):
    """Why someone is involved in an escalation, and so sees it."""

    NAMED = "named"
    """Raised it, is the counterpart once their side is told, or took part."""
    APPOINTED = "appointed"
    """Appointed to the final stage (a panel member or the meeting's chair), until it ends."""
    PARTY = "party"
    """The agency is a party its side has been told of: its overseeing rungs see the case."""


@dataclass(frozen=True, order=True)
class Involvement:
    """One row of who is involved: a person, or an agency whose overseeing rungs see it.

    The services keep these rows in the database (``escalations.Involvement``) so that a
    list can find what a viewer may see with an index instead of reading every case.
    """

    why: Why
    person_id: int | None = None
    agency_id: int | None = None

    def is_held_by(self, viewer: Viewer) -> bool:
        if self.person_id is not None:
            return self.person_id == viewer.person_id
        return self.agency_id == viewer.agency_id and viewer.ladder_role in OVERSEEING_RUNGS


def involvements(case: CaseAccessFacts) -> frozenset[Involvement]:
    """Everyone involved in the case: the rows the database keeps for it."""
    rows = {Involvement(Why.NAMED, person_id=person) for person in case.named_person_ids}
    if not case.is_finished:
        rows |= {Involvement(Why.APPOINTED, person_id=person) for person in case.panel_member_ids}
    rows |= {Involvement(Why.PARTY, agency_id=agency) for agency in case.party_agency_ids}
    return frozenset(rows)


def can_view(viewer: Viewer, case: CaseAccessFacts) -> bool:
    if not viewer.is_active:
        return False
    return _is_involved(viewer, case) or _reads_the_final_stage(viewer, case)


def can(viewer: Viewer, action: Action, case: CaseAccessFacts) -> bool:
    """Whether ``viewer`` may take ``action``: today only seeing the case."""
    return action is Action.VIEW and can_view(viewer, case)


def _is_involved(viewer: Viewer, case: CaseAccessFacts) -> bool:
    return any(row.is_held_by(viewer) for row in involvements(case)) or (
        viewer.has_partnership_role(case.partnership_id, PARTNERSHIP_OVERSIGHT)
    )


def _reads_the_final_stage(viewer: Viewer, case: CaseAccessFacts) -> bool:
    return case.at_final_stage and viewer.has_partnership_role(
        case.partnership_id, FINAL_STAGE_READERS
    )


def lands_on_figures(viewer: Viewer) -> bool:
    """Whether ``viewer`` starts at the board's figures, not at a list of cases: the
    scrutineer and the executive look at the whole picture first (aggregate first)."""
    return any(role in FINAL_STAGE_READERS for _, role in viewer.partnership_roles)
