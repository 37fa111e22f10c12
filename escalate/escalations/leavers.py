"""A leaver's open work: handed to their successor, or flagged to the business managers.

Open work is what waits on the person in escalations still live (open, or resolved and
waiting for the check-back): the raiser's place, the counterpart's, agreed actions not yet
checked back, and places on a final-stage panel. The raiser's and counterpart's places and
the agreed actions pass to the successor, who works in the same agency. Panel places end and
are flagged instead: who may sit on a panel is the stage machine's question, so the
business manager appoints a replacement through the panel's own page. Each escalation
handed over is recorded on its history and its involvement rows are kept, so the successor
sees it at once and the leaver no longer does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import transaction

from escalate.escalations import services
from escalate.escalations.models import AgreedAction, Appointment, Escalation
from escalate.notifications.services import notify_handed_over
from escalate.organisations import services as organisation_services
from escalate.organisations.models import Person
from escalate.organisations.services import DirectoryRefused

LIVE = (Escalation.Status.OPEN, Escalation.Status.RESOLVED)

PLACE_NAMES = {
    "raiser": "the raiser's place",
    "counterpart": "the practitioner's place in the other agency",
    "actions": "agreed actions to do",
    "panel": "a place at the final stage, now ended, for the business manager to fill",
}


@dataclass
class OpenWork:
    """Per live escalation, the places that wait on one person."""

    places: dict[UUID, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def escalation_count(self) -> int:
        return len(self.places)


def open_work_of(person: Person) -> OpenWork:
    work = OpenWork()
    live = Escalation.objects.filter(status__in=LIVE)
    for pk in live.filter(raised_by=person).values_list("pk", flat=True):
        work.places[pk].append("raiser")
    for pk in live.filter(counterpart=person).values_list("pk", flat=True):
        work.places[pk].append("counterpart")
    actions = _open_actions(person).values_list("escalation_id", flat=True).distinct()
    for pk in actions:
        work.places[pk].append("actions")
    panels = _open_appointments(person).values_list("escalation_id", flat=True).distinct()
    for pk in panels:
        work.places[pk].append("panel")
    return work


def _open_actions(person: Person) -> Any:
    return AgreedAction.objects.filter(
        owner=person, checked_at=None, superseded_at=None, escalation__status__in=LIVE
    )


def _open_appointments(person: Person) -> Any:
    return Appointment.objects.filter(
        person=person, ended_at=None, escalation__status=Escalation.Status.OPEN
    )


@transaction.atomic
def hand_over(*, person: Person, successor: Person | None, actor: Person | None) -> int:
    """Give ``person``'s open work to ``successor`` (or flag it); how many escalations."""
    live = Escalation.objects.filter(pk__in=list(open_work_of(person).places), status__in=LIVE)
    handed = 0
    for escalation in live.order_by("pk"):
        places = services.hand_over_places(
            escalation=escalation, leaver=person, successor=successor, actor=actor
        )
        if places:
            _tell(escalation, actor=actor, leaver=person, successor=successor, places=places)
            handed += 1
    return handed


def _tell(
    escalation: Escalation,
    *,
    actor: Person | None,
    leaver: Person,
    successor: Person | None,
    places: list[str],
) -> None:
    """The successor hears what they now hold; the business managers, of what nobody holds
    (everything, with nobody named; a panel place, always)."""
    taken = [place for place in places if place != "panel"] if successor else []
    empty = [place for place in places if place not in taken]
    if taken:
        notify_handed_over(
            escalation=escalation,
            actor=actor,
            leaver=leaver,
            successor=successor,
            places=_places_text(taken),
        )
    if empty:
        notify_handed_over(
            escalation=escalation,
            actor=actor,
            leaver=leaver,
            successor=None,
            places=_places_text(empty),
        )


def _places_text(places: list[str]) -> str:
    return ", ".join(PLACE_NAMES[place] for place in places)


@transaction.atomic
def leave(*, person: Person, successor: Person | None, actor: Person | None) -> int:
    """Deactivate ``person`` with their work going to ``successor``; for someone already
    inactive, hand over the work still waiting on them. How many escalations moved."""
    person = Person.objects.select_related("agency").get(pk=person.pk)
    if person.is_active:
        before = open_work_of(person).escalation_count
        organisation_services.deactivate_person(person=person, actor=actor, successor=successor)
        return before
    if successor is None:
        raise DirectoryRefused(f"Choose who takes over {person}'s open work.", field="successor")
    refusal = organisation_services.successor_refusal(person, successor)
    if refusal:
        raise DirectoryRefused(refusal, field="successor")
    return hand_over(person=person, successor=successor, actor=actor)


def left_text(person: Person, successor: Person | None, handed: int) -> str:
    cases = f"{handed} escalation{'s' if handed != 1 else ''}"
    if successor is not None:
        return f"{person} is inactive. Their open work on {cases} is now {successor}'s."
    if handed:
        return f"{person} is inactive. The business managers were told of {cases} left open."
    return f"{person} is inactive. They held no open work."


def on_person_leaving(
    sender: object, *, person: Person, successor: Person | None, actor: Person | None, **_: Any
) -> None:
    """``organisations.signals.person_leaving``: hand over what the leaver held."""
    hand_over(person=person, successor=successor, actor=actor)
