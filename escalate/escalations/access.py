"""The access rule of ``domain/access.py`` as one database filter, and its helpers.

Every list, page, export and document starts from ``escalations_visible_to``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from escalate.domain import access
from escalate.domain.access import Action
from escalate.domain.policy import PartnershipRole
from escalate.escalations.models import Escalation, Party
from escalate.organisations.models import Person


class ActionForbidden(PermissionDenied):
    """The person can see the escalation but may not do this."""


def escalations_visible_to(person: Person) -> QuerySet[Escalation]:
    viewer = person.viewer()
    if not viewer.is_active:
        return Escalation.objects.none()
    involved = _involved_filter(viewer)
    scrutinised = _partnership_role_filter(viewer, set(access.FINAL_STAGE_READERS))
    final_stage = Q(stage_number=F("final_stage_number"))
    return Escalation.objects.filter(involved | (scrutinised & final_stage)).distinct()


def _involved_filter(viewer: access.Viewer) -> Q:
    named = (
        Q(raised_by_id=viewer.person_id)
        | (
            Q(counterpart_id=viewer.person_id)
            & Q(
                Exists(
                    Party.objects.filter(
                        escalation_id=OuterRef("pk"),
                        agency_id=OuterRef("other_agency_id"),
                        is_told=True,
                    )
                )
            )
        )
        | Q(
            Exists(
                Escalation.participants.through.objects.filter(
                    escalation_id=OuterRef("pk"), person_id=viewer.person_id
                )
            )
        )
        | (
            Q(
                Exists(
                    Escalation.panel_members.through.objects.filter(
                        escalation_id=OuterRef("pk"), person_id=viewer.person_id
                    )
                )
            )
            & ~Q(status__in=[Escalation.Status.CLOSED, Escalation.Status.WITHDRAWN])
        )
    )
    if viewer.agency_id is not None and viewer.ladder_role in access.OVERSEEING_RUNGS:
        named |= Q(
            Exists(
                Party.objects.filter(
                    escalation_id=OuterRef("pk"), agency_id=viewer.agency_id, is_told=True
                )
            )
        )
    return named | _partnership_role_filter(viewer, set(access.PARTNERSHIP_OVERSIGHT))


def _partnership_role_filter(viewer: access.Viewer, roles: set[PartnershipRole]) -> Q:
    partnership_ids = [pid for pid, role in viewer.partnership_roles if role in roles]
    return Q(partnership_id__in=partnership_ids) if partnership_ids else Q(pk__in=[])


def get_for(person: Person, pk: str, action: Action = Action.VIEW) -> Escalation:
    """The escalation if ``person`` may take ``action`` on it; 404 if they may not even see it."""
    escalation = (
        escalations_visible_to(person).select_related("policy", "partnership").filter(pk=pk).first()
    )
    if escalation is None:
        raise Http404("No such escalation.")
    if action is not Action.VIEW:  # the filter above is the view rule; asking again costs queries
        ensure_allowed(person, action, escalation)
    return escalation


def ensure_allowed(person: Person, action: Action, escalation: Escalation) -> None:
    if not access.can(person.viewer(), action, escalation.access_facts()):
        raise ActionForbidden("You cannot do this on this escalation.")
