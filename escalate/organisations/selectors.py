"""Who administers which partnerships, and the directory they may see and change.

Every directory page starts from ``administered_partnerships``: an agency or a person
outside those partnerships is a 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from escalate.domain.policy import PartnershipRole
from escalate.organisations.importing import KnownPerson
from escalate.organisations.models import (
    Agency,
    PartnershipRoleAssignment,
    Person,
    account_roles,
)
from escalate.policies.models import Partnership


def administered_partnerships(
    user: AbstractBaseUser | AnonymousUser, person: Person | None
) -> QuerySet[Partnership]:
    """Every partnership for a superuser; otherwise those where ``person`` is an administrator.

    An inactive person administers nothing.
    """
    if not user.is_authenticated:
        return Partnership.objects.none()
    if getattr(user, "is_superuser", False):
        return Partnership.objects.all()
    if person is None or not person.is_active:
        return Partnership.objects.none()
    held = account_roles(person).filter(role=PartnershipRole.ADMINISTRATOR.value)
    return Partnership.objects.filter(pk__in=held.values("partnership_id"))


def agencies_in(partnerships: Collection[Partnership]) -> QuerySet[Agency]:
    """The agencies of ``partnerships``, each with its count of active people."""
    return (
        Agency.objects.filter(partnership__in=partnerships)
        .select_related("partnership")
        .annotate(active_people=Count("people", filter=Q(people__is_active=True)))
        .order_by("partnership__name", "name")
    )


def people_in(partnerships: Collection[Partnership]) -> QuerySet[Person]:
    """People whose agency is in ``partnerships`` or who hold a role in one of them."""
    roles = PartnershipRoleAssignment.objects.filter(
        person=OuterRef("pk"), partnership__in=partnerships
    )
    return Person.objects.filter(Q(agency__partnership__in=partnerships) | Q(Exists(roles)))


def directory_people(
    partnerships: Collection[Partnership], *, search: str = ""
) -> QuerySet[Person]:
    """``people_in``, matching ``search`` by name, email or job title, ready to list."""
    people = people_in(partnerships)
    search = search.strip()
    if search:
        people = people.filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(job_title__icontains=search)
        )
    return people.select_related("agency", "line_manager").prefetch_related(
        Prefetch(
            "partnership_roles",
            queryset=PartnershipRoleAssignment.objects.filter(
                partnership__in=partnerships
            ).select_related("partnership"),
        )
    )


def agency_for_administrator(partnerships: Collection[Partnership], pk: int) -> Agency:
    """The agency if it belongs to one of ``partnerships``; otherwise ``Http404``."""
    agency = Agency.objects.filter(partnership__in=partnerships, pk=pk).first()
    if agency is None:
        raise Http404("No such agency.")
    return agency


def person_for_administrator(partnerships: Collection[Partnership], pk: int) -> Person:
    """The person if they are in one of ``partnerships``; otherwise ``Http404``."""
    person = people_in(partnerships).select_related("user").filter(pk=pk).first()
    if person is None:
        raise Http404("No such person.")
    return person


def other_places_of(person: Person) -> QuerySet[Person]:
    """The other active entries of ``person``'s account, in other partnerships' directories."""
    if person.user_id is None:
        return Person.objects.none()
    return (
        Person.objects.filter(user_id=person.user_id, is_active=True)
        .exclude(pk=person.pk)
        .select_related("agency__partnership")
        .order_by("pk")
    )


def roles_held(person: Person, partnerships: Collection[Partnership]) -> dict[int, set[str]]:
    """The person's partnership roles in ``partnerships``, by partnership id."""
    held: dict[int, set[str]] = {partnership.pk: set() for partnership in partnerships}
    for partnership_id, role in PartnershipRoleAssignment.objects.filter(
        person=person, partnership__in=partnerships
    ).values_list("partnership_id", "role"):
        held[partnership_id].add(role)
    return held


class PartnershipDirectory:
    """One partnership's directory, as the CSV import checks ask about it."""

    def __init__(self, partnership: Partnership) -> None:
        self.partnership = partnership

    def agency_names(self) -> frozenset[str]:
        names = Agency.objects.filter(partnership=self.partnership).values_list("name", flat=True)
        return frozenset(name.casefold() for name in names)

    def emails_in_use(self, emails: Collection[str]) -> frozenset[str]:
        wanted = {email.lower() for email in emails}
        people = (
            Person.objects.annotate(key=Lower("email"))
            .filter(key__in=wanted)
            .values_list("key", flat=True)
        )
        accounts = (
            get_user_model()
            .objects.annotate(key=Lower("username"))
            .filter(key__in=wanted)
            .values_list("key", flat=True)
        )
        return frozenset(people) | frozenset(accounts)

    def known_people(self, emails: Collection[str]) -> Mapping[str, KnownPerson]:
        in_partnership = Q(agency__partnership=self.partnership) | Q(
            Exists(
                PartnershipRoleAssignment.objects.filter(
                    person=OuterRef("pk"), partnership=self.partnership
                )
            )
        )
        rows = (
            Person.objects.annotate(key=Lower("email"))
            .filter(key__in={email.lower() for email in emails})
            .annotate(
                in_partnership=Exists(Person.objects.filter(in_partnership, pk=OuterRef("pk")))
            )
            .values_list("key", "is_active", "in_partnership")
        )
        known: dict[str, KnownPerson] = {}
        # An account's places share its email: the place in this partnership is the one
        # that counts, and an active one wins over a leaver's.
        for key, is_active, in_partnership in sorted(rows, key=lambda row: (row[2], row[1])):
            known[key] = KnownPerson(email=key, is_active=is_active, in_partnership=in_partnership)
        return known
