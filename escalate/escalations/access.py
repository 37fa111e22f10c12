"""The access rule of ``domain/access.py`` as one database filter, and its helpers.

Every list, page, export and document starts from ``escalations_visible_to``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import Http404

from escalate.domain import access
from escalate.domain.access import Action
from escalate.escalations.models import Escalation, Involvement
from escalate.organisations.models import Person
from escalate.policies.versions import attach_policies


class ActionForbidden(PermissionDenied):
    """The person can see the escalation but may not do this."""


def escalations_visible_to(person: Person) -> QuerySet[Escalation]:
    """The escalations ``person`` may see, as a filter each part of which an index serves.

    Involvement comes from the rows the services keep (one index lookup by person, one by
    agency, never a test of every case); partnership-wide roles come from the index by
    partnership, and the final-stage readers' from the partial index on the final stage.
    Nothing joins, so nothing needs ``distinct()``.
    """
    viewer = person.viewer()
    if not viewer.is_active:
        return Escalation.objects.none()
    return Escalation.objects.filter(_visible_filter(viewer))


@dataclass(frozen=True)
class Held:
    """Involvement rows that are one viewer's, as one index finds them."""

    rows: Q
    rows_per_case: int
    """At most this many of them per escalation: a person may be named and appointed on
    one case; an agency is a party to it once."""


def involvement_only_holds(person: Person) -> list[Held] | None:
    """For someone who sees only the cases they are involved in (no partnership-wide role),
    the involvement rows that are theirs, one filter per index: by person, and by agency for
    an overseeing rung. None for anyone who sees more than that."""
    viewer = person.viewer()
    if not viewer.is_active:
        return [Held(Q(pk__in=[]), 1)]
    if viewer.partnerships_holding(access.PARTNERSHIP_OVERSIGHT | access.FINAL_STAGE_READERS):
        return None
    return _holds(viewer)


def _holds(viewer: access.Viewer) -> list[Held]:
    holds = [Held(Q(person_id=viewer.person_id), rows_per_case=2)]
    if viewer.agency_id is not None and viewer.ladder_role in access.OVERSEEING_RUNGS:
        holds.append(Held(Q(agency_id=viewer.agency_id), rows_per_case=1))
    return holds


def _visible_filter(viewer: access.Viewer) -> Q:
    holds = Q()
    for held in _holds(viewer):
        holds |= held.rows
    involved = Involvement.objects.filter(holds)
    overseen = set(viewer.partnerships_holding(access.PARTNERSHIP_OVERSIGHT))
    final_stage_read = set(viewer.partnerships_holding(access.FINAL_STAGE_READERS)) - overseen
    if not overseen and not final_stage_read:
        return Q(pk__in=involved.values("escalation_id"))
    visible = Q(pk__in=[])
    if overseen:
        visible |= Q(partnership_id__in=overseen)
        involved = involved.exclude(escalation__partnership_id__in=overseen)
    if final_stage_read:
        visible |= Q(partnership_id__in=final_stage_read, stage_number=F("final_stage_number"))
    # An OR with a subquery is tested row by row, so the partnership indexes could not
    # serve the list: most people with a partnership role are involved in no case beyond
    # those partnerships, and for them the subquery is left out.
    if involved.exists():
        visible |= Q(pk__in=involved.values("escalation_id"))
    return visible


def get_for(person: Person, pk: str, action: Action = Action.VIEW) -> Escalation:
    """The escalation if ``person`` may take ``action`` on it; 404 if they may not even see it."""
    escalation = escalations_visible_to(person).select_related("partnership").filter(pk=pk).first()
    if escalation is None:
        raise Http404("No such escalation.")
    attach_policies([escalation])  # held by the process, not joined and read again each time
    if action is not Action.VIEW:  # the filter above is the view rule; asking again costs queries
        ensure_allowed(person, action, escalation)
    return escalation


def ensure_allowed(person: Person, action: Action, escalation: Escalation) -> None:
    if not access.can(person.viewer(), action, escalation.access_facts()):
        raise ActionForbidden("You cannot do this on this escalation.")
