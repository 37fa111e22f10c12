"""Every change to the directory: agencies, people, their sign-in accounts and roles.

A leaver is made inactive, never deleted: their name stays on the escalations they
took part in, and they can no longer sign in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from escalate.audit import events
from escalate.audit.services import record
from escalate.domain.policy import AgencyKind, LadderRole, PartnershipRole
from escalate.organisations.importing import (
    AgencyRow,
    ImportKind,
    ImportReport,
    ImportRow,
    PersonRow,
    RowProblem,
    check_rows,
)
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
from escalate.organisations.selectors import (
    PartnershipDirectory,
    administered_partnerships,
    people_in,
)
from escalate.organisations.signals import person_leaving
from escalate.policies.models import Partnership

_BATCH = 500


class DirectoryRefused(ValueError):
    """A change the directory's rules do not allow; the message says why in one sentence."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ImportRefused(Exception):
    """The rows no longer pass the checks (the directory changed); nothing was imported."""

    def __init__(self, problems: Sequence[RowProblem] = (), *, file_problem: str = "") -> None:
        super().__init__(file_problem or f"{len(problems)} problem(s); nothing was imported.")
        self.problems = tuple(problems)
        self.file_problem = file_problem

    def report(self, *, kind: ImportKind, rows_read: int) -> ImportReport:
        return ImportReport(
            kind=kind,
            rows_read=rows_read,
            file_problems=(self.file_problem,) if self.file_problem else (),
            row_problems=self.problems,
        )


@dataclass(frozen=True)
class PersonDetails:
    name: str
    email: str
    job_title: str = ""
    agency: Agency | None = None
    ladder_role: LadderRole | None = None
    line_manager: Person | None = None
    is_active: bool = True


@dataclass(frozen=True)
class ImportResult:
    kind: ImportKind
    agencies_created: int = 0
    people_created: int = 0
    roles_assigned: int = 0

    def describe(self) -> str:
        if self.kind is ImportKind.AGENCIES:
            return f"{_count(self.agencies_created, 'agency', 'agencies')} imported."
        roles = _count(self.roles_assigned, "partnership role", "partnership roles")
        return f"{_count(self.people_created, 'person', 'people')} imported, with {roles}."


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


# Agencies -----------------------------------------------------------------------------------


@transaction.atomic
def create_agency(
    *, actor: Person | None, partnership: Partnership, name: str, kind: AgencyKind
) -> Agency:
    name = name.strip()
    _ensure_agency_name_free(partnership, name)
    agency = Agency.objects.create(partnership=partnership, name=name, kind=kind.value)
    record(events.AGENCY_CREATED, actor=actor, data=_agency_data(agency))
    return agency


@transaction.atomic
def update_agency(*, agency: Agency, actor: Person | None, name: str, kind: AgencyKind) -> Agency:
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    name = name.strip()
    _ensure_agency_name_free(agency.partnership, name, excluding=agency)
    before = _agency_data(agency)
    agency.name = name
    agency.kind = kind.value
    agency.save(update_fields=["name", "kind"])
    record(
        events.AGENCY_UPDATED, actor=actor, data={"before": before, "after": _agency_data(agency)}
    )
    return agency


def _ensure_agency_name_free(
    partnership: Partnership, name: str, *, excluding: Agency | None = None
) -> None:
    if not name:
        raise DirectoryRefused("Enter the agency's name.", field="name")
    taken = Agency.objects.filter(partnership=partnership, name__iexact=name)
    if excluding is not None:
        taken = taken.exclude(pk=excluding.pk)
    if taken.exists():
        raise DirectoryRefused(f"{partnership} already has an agency called {name}.", field="name")


def _agency_data(agency: Agency) -> dict[str, Any]:
    return {
        "agency": agency.pk,
        "partnership": agency.partnership_id,
        "name": agency.name,
        "kind": agency.kind,
    }


# People -------------------------------------------------------------------------------------


@transaction.atomic
def create_person(
    *,
    actor: Person | None,
    details: PersonDetails,
    partnership_roles: Mapping[Partnership, Collection[PartnershipRole]],
) -> Person:
    """Add someone, with a sign-in account (username = email) that has no password yet."""
    _ensure_named(details)
    email = _normalise_email(details.email)
    _ensure_email_free(email)
    holds_role = any(roles for roles in partnership_roles.values())
    _ensure_belongs(agency=details.agency, holds_role=holds_role)
    if details.line_manager is not None:
        _ensure_current(details.line_manager)
    user = get_user_model().objects.create_user(
        username=email, email=email, password=None, is_active=details.is_active
    )
    person = Person.objects.create(
        user=user,
        name=details.name.strip(),
        email=email,
        job_title=details.job_title.strip(),
        agency=details.agency,
        ladder_role=details.ladder_role.value if details.ladder_role else "",
        line_manager=details.line_manager,
        is_active=details.is_active,
    )
    _replace_roles(person, partnership_roles, actor=actor)
    record(events.PERSON_CREATED, actor=actor, data=_person_data(person))
    return person


@transaction.atomic
def update_person(
    *,
    person: Person,
    actor: Person | None,
    details: PersonDetails,
    partnership_roles: Mapping[Partnership, Collection[PartnershipRole]],
) -> Person:
    """Change someone's details; their roles in ``partnership_roles``' partnerships become
    exactly those given, and roles in other partnerships are left alone.

    Making someone inactive (a leaver) also stops their account signing in.
    """
    person = (
        Person.objects.select_for_update(of=("self",))
        .select_related("user", "agency", "line_manager")
        .get(pk=person.pk)
    )
    if actor is not None and actor.user is not None:
        administered = set(
            administered_partnerships(actor.user, actor).values_list("pk", flat=True)
        )
        _ensure_details_are_theirs_to_change(person, actor, details, administered)
    before = _person_data(person)
    _ensure_named(details)
    email = _normalise_email(details.email)
    _ensure_email_free(email, excluding=person)
    other_roles = PartnershipRoleAssignment.objects.filter(person=person).exclude(
        partnership__in=list(partnership_roles)
    )
    holds_role = other_roles.exists() or any(roles for roles in partnership_roles.values())
    _ensure_belongs(agency=details.agency, holds_role=holds_role)
    if details.line_manager is not None and details.line_manager.pk != person.line_manager_id:
        _ensure_current(details.line_manager)
        _ensure_no_loop(person, details.line_manager)
    if actor is not None and actor.pk == person.pk:
        _ensure_not_locking_out_self(person, details, partnership_roles)
    elif email != person.email or details.is_active != person.is_active:
        _ensure_may_change_account(person, actor)
    if email != person.email:
        _ensure_email_is_theirs_to_change(person, actor)
    person.name = details.name.strip()
    person.email = email
    person.job_title = details.job_title.strip()
    person.agency = details.agency
    person.ladder_role = details.ladder_role.value if details.ladder_role else ""
    person.line_manager = details.line_manager
    leaving = person.is_active and not details.is_active
    person.is_active = details.is_active
    person.save(
        update_fields=[
            "name",
            "email",
            "job_title",
            "agency",
            "ladder_role",
            "line_manager",
            "is_active",
        ]
    )
    _sync_account(person)
    _replace_roles(person, partnership_roles, actor=actor)
    after = _person_data(person)
    changed = {key: after[key] for key in after if after[key] != before[key]}
    record(events.PERSON_UPDATED, actor=actor, data={"person": person.pk, "changed": changed})
    if leaving:  # made inactive here, with nobody named: their open work is flagged
        _leave(person, actor=actor, successor=None, now=timezone.now())
    return person


@transaction.atomic
def grant_roles_to_someone_elsewhere(
    *,
    actor: Person | None,
    email: str,
    partnership: Partnership,
    roles: Collection[PartnershipRole],
) -> Person:
    """Give partnership roles to someone already in another partnership's directory (a
    designated lead or health professional who works across two): each role is granted and
    recorded on its own, and their own partnership's entry is left as it is."""
    if not roles:
        raise DirectoryRefused("Choose at least one role.", field="partnership_roles")
    person = _account_holder(email)
    held = set(
        PartnershipRoleAssignment.objects.filter(
            person=person, partnership=partnership
        ).values_list("role", flat=True)
    )
    wanted = held | {role.value for role in roles}
    _replace_roles(person, {partnership: [PartnershipRole(role) for role in wanted]}, actor=actor)
    return person


@transaction.atomic
def add_place_for_someone_elsewhere(
    *, actor: Person | None, email: str, place: PersonDetails
) -> Person:
    """Give someone already in another partnership's directory a place in one of ours (an
    agency and rung): a new entry that this partnership keeps, sharing their account, so
    they sign in once and choose where they work (decision 20)."""
    assert place.agency is not None, "a place is in an agency"
    partnership = place.agency.partnership
    if actor is not None and actor.user is not None:
        administered = administered_partnerships(actor.user, actor).filter(pk=partnership.pk)
        if not administered.exists():
            raise DirectoryRefused(
                f"Only {partnership}'s administrators can give a place in its agencies.",
                field="agency",
            )
    found = _account_holder(email)
    if _places_of(found).filter(agency__partnership=partnership, is_active=True).exists():
        raise DirectoryRefused(
            f"{found} already has a place in {partnership}'s directory: change that entry.",
            field="email",
        )
    if place.line_manager is not None:
        _ensure_current(place.line_manager)
    person = Person.objects.create(
        user=found.user,
        name=found.name,
        email=found.email,
        job_title=place.job_title.strip(),
        agency=place.agency,
        ladder_role=place.ladder_role.value if place.ladder_role else "",
        line_manager=place.line_manager,
    )
    record(events.PERSON_CREATED, actor=actor, partnership=partnership, data=_person_data(person))
    return person


def _account_holder(email: str) -> Person:
    """The active entry with a sign-in account that ``email`` names, for giving its holder
    a role or a place here."""
    key = _normalise_email(email)
    people = Person.objects.annotate(key=Lower("email")).filter(key=key).select_related("user")
    person = people.filter(is_active=True).order_by("pk").first()
    if person is None:
        if people.exists():
            raise DirectoryRefused(f"{people.first()} is no longer active.", field="email")
        raise DirectoryRefused(
            "No one in Escalate has this email address. Add them as a new person instead.",
            field="email",
        )
    if person.user is None:
        ensure_account(person)
    return person


def _places_of(person: Person) -> Any:
    """Every entry of ``person``'s account (just ``person`` for an entry without one)."""
    if person.user_id is None:
        return Person.objects.filter(pk=person.pk)
    return Person.objects.filter(user_id=person.user_id)


def _ensure_email_is_theirs_to_change(person: Person, actor: Person | None) -> None:
    """The email is the sign-in of every place of the account, so only someone who keeps
    all of those places' entries (or a superuser, or the system) may change it; it then
    changes in every place."""
    others = _places_of(person).exclude(pk=person.pk).select_related("agency__partnership")
    if actor is None or actor.user is None or actor.user.is_superuser:
        return
    administered = set(administered_partnerships(actor.user, actor).values_list("pk", flat=True))
    for other in others:
        if other.agency is not None and other.agency.partnership_id not in administered:
            raise DirectoryRefused(
                f"{person} also works in {other.agency.partnership}, and signs in there with "
                "the same email address: ask its administrator, or a superuser, to change it.",
                field="email",
            )


def _ensure_details_are_theirs_to_change(
    person: Person, actor: Person | None, details: PersonDetails, administered: Collection[int]
) -> None:
    """Someone from another partnership's directory keeps their own entry: an administrator
    who gave them a role here changes only the roles held here."""
    if person.agency is None or person.agency.partnership_id in administered:
        return
    unchanged = (
        details.name.strip() == person.name
        and _normalise_email(details.email) == person.email
        and details.job_title.strip() == person.job_title
        and details.agency == person.agency
        and (details.ladder_role.value if details.ladder_role else "") == person.ladder_role
        and details.line_manager == person.line_manager
        and details.is_active == person.is_active
    )
    if not unchanged:
        raise DirectoryRefused(
            f"{person} is in {person.agency.partnership}'s directory: only its administrators "
            "change their details. You can change the roles they hold in your partnership."
        )


# Leavers -------------------------------------------------------------------------------------


def successor_refusal(person: Person, successor: Person | None) -> str:
    """Why ``successor`` may not take over ``person``'s open work; empty if they may (or if
    nobody is named, when the work is flagged to the partnership's business managers)."""
    if successor is None:
        return ""
    if successor.pk == person.pk:
        return "Choose someone other than the person who is leaving."
    if not successor.is_active:
        return f"{successor} is no longer active. Choose someone who is."
    if person.agency_id is not None:
        if successor.agency_id != person.agency_id:
            return (
                f"Choose someone in {person.agency}: the escalations {person} is named on are "
                "between agencies, so their place stays with their agency."
            )
        return ""
    theirs = PartnershipRoleAssignment.objects.filter(person=person).values("partnership_id")
    if not PartnershipRoleAssignment.objects.filter(
        person=successor, partnership_id__in=theirs
    ).exists():
        return f"Choose someone who holds a role in {person}'s partnership."
    return ""


@transaction.atomic
def deactivate_person(
    *, person: Person, actor: Person | None, successor: Person | None, now: datetime | None = None
) -> Person:
    """Make ``person`` a leaver: their sessions end and their account and API tokens stop
    working at once, and their open work goes to ``successor`` (or, with nobody named, is
    flagged to the partnership's business managers)."""
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    if not person.is_active:
        raise DirectoryRefused(f"{person} is already inactive.", field="is_active")
    if actor is not None and actor.pk == person.pk:
        raise DirectoryRefused(
            "You cannot make yourself inactive; ask another administrator.", field="is_active"
        )
    _ensure_may_change_account(person, actor)
    refusal = successor_refusal(person, successor)
    if refusal:
        raise DirectoryRefused(refusal, field="successor")
    person.is_active = False
    person.save(update_fields=["is_active"])
    _sync_account(person)
    _leave(person, actor=actor, successor=successor, now=now or timezone.now())
    return person


def _leave(
    person: Person, *, actor: Person | None, successor: Person | None, now: datetime
) -> None:
    person.sessions_revoked_at = now
    person.save(update_fields=["sessions_revoked_at"])
    record(
        events.PERSON_DEACTIVATED,
        actor=actor,
        data={"person": person.pk, "successor": successor.pk if successor else None},
    )
    person_leaving.send(Person, person=person, successor=successor, actor=actor)


def _ensure_named(details: PersonDetails) -> None:
    if not details.name.strip():
        raise DirectoryRefused("Enter the person's full name.", field="name")


def _normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not email:
        raise DirectoryRefused("Enter the person's email address.", field="email")
    return email


def _ensure_email_free(email: str, *, excluding: Person | None = None) -> None:
    people = Person.objects.annotate(key=Lower("email")).filter(key=email)
    accounts = get_user_model().objects.annotate(key=Lower("username")).filter(key=email)
    if excluding is not None:
        people = people.exclude(pk__in=_places_of(excluding).values("pk"))
        if excluding.user_id is not None:
            accounts = accounts.exclude(pk=excluding.user_id)
    if people.exists() or accounts.exists():
        raise DirectoryRefused(f"{email} is already in the directory.", field="email")


def _ensure_belongs(*, agency: Agency | None, holds_role: bool) -> None:
    if agency is None and not holds_role:
        raise DirectoryRefused(
            "Choose the person's agency, or a partnership role for someone who works for "
            "the partnership itself.",
            field="agency",
        )


def _ensure_current(line_manager: Person) -> None:
    if not line_manager.is_active:
        raise DirectoryRefused(
            f"{line_manager} has left (is inactive); choose a current line manager.",
            field="line_manager",
        )


def _ensure_no_loop(person: Person, line_manager: Person) -> None:
    if line_manager.pk == person.pk:
        raise DirectoryRefused("A person cannot be their own line manager.", field="line_manager")
    seen = {person.pk}
    current: int | None = line_manager.pk
    while current is not None:
        if current in seen:
            raise DirectoryRefused(
                f"{line_manager} cannot be {person}'s line manager: "
                "that would make a loop of line managers.",
                field="line_manager",
            )
        seen.add(current)
        current = Person.objects.filter(pk=current).values_list("line_manager_id", flat=True)[0]


def _ensure_may_change_account(person: Person, actor: Person | None) -> None:
    """Only a superuser may change the sign-in email or active status of a staff account:
    otherwise an administrator could redirect a more powerful account to their own mailbox."""
    user = person.user
    if user is None or not (user.is_staff or user.is_superuser):
        return
    if actor is None or (actor.user is not None and actor.user.is_superuser):
        return
    raise DirectoryRefused(
        f"{person} has a staff account: only a superuser can change its email address "
        "or make it inactive.",
        field="email",
    )


def _ensure_not_locking_out_self(
    person: Person,
    details: PersonDetails,
    partnership_roles: Mapping[Partnership, Collection[PartnershipRole]],
) -> None:
    if not details.is_active:
        raise DirectoryRefused(
            "You cannot make yourself inactive; ask another administrator.", field="is_active"
        )
    administrator = PartnershipRole.ADMINISTRATOR
    held = set(
        PartnershipRoleAssignment.objects.filter(
            person=person, role=administrator.value, partnership__in=list(partnership_roles)
        ).values_list("partnership_id", flat=True)
    )
    kept = {
        partnership.pk for partnership, roles in partnership_roles.items() if administrator in roles
    }
    if held - kept:
        raise DirectoryRefused(
            "You cannot remove your own administrator role; ask another administrator.",
            field="partnership_roles",
        )


def ensure_account(person: Person) -> Any:
    """The person's sign-in account, made (with no password) if they have none."""
    _sync_account(person)
    return person.user


def _sync_account(person: Person) -> None:
    """Keep the sign-in account's username and email, and every place's email, equal to the
    person's email, and let it sign in while any of its places is active."""
    user = person.user
    if user is None:
        user = get_user_model().objects.create_user(
            username=person.email, email=person.email, password=None
        )
        person.user = user
        person.save(update_fields=["user"])
    places = Person.objects.filter(user=user)
    # One account, one email: every place shows the address the account signs in with.
    places.exclude(pk=person.pk).exclude(email=person.email).update(email=person.email)
    active = places.filter(is_active=True).exists()  # a leaver here may still work elsewhere
    wanted = (person.email, person.email, active)
    if (user.get_username(), user.email, user.is_active) != wanted:
        user.username = person.email
        user.email = person.email
        user.is_active = active
        user.save(update_fields=["username", "email", "is_active"])


def _replace_roles(
    person: Person,
    partnership_roles: Mapping[Partnership, Collection[PartnershipRole]],
    *,
    actor: Person | None,
) -> None:
    """Each role granted or revoked separately, each recorded on its partnership's history."""
    for partnership, roles in partnership_roles.items():
        wanted = {role.value for role in roles}
        current = PartnershipRoleAssignment.objects.filter(person=person, partnership=partnership)
        have = set(current.values_list("role", flat=True))
        current.exclude(role__in=wanted).delete()
        PartnershipRoleAssignment.objects.bulk_create(
            PartnershipRoleAssignment(person=person, partnership=partnership, role=role)
            for role in sorted(wanted - have)
        )
        for event, changed in (
            (events.ROLE_REVOKED, have - wanted),
            (events.ROLE_GRANTED, wanted - have),
        ):
            for role in sorted(changed):
                record(
                    event,
                    actor=actor,
                    partnership=partnership,
                    data={"person": person.pk, "role": role},
                )


def _person_data(person: Person) -> dict[str, Any]:
    return {
        "person": person.pk,
        "name": person.name,
        "email": person.email,
        "job_title": person.job_title,
        "agency": person.agency_id,
        "ladder_role": person.ladder_role,
        "line_manager": person.line_manager_id,
        "is_active": person.is_active,
        "partnership_roles": sorted(
            f"{partnership_id}:{role}"
            for partnership_id, role in person.partnership_roles.values_list(
                "partnership_id", "role"
            )
        ),
    }


# Importing ----------------------------------------------------------------------------------


@transaction.atomic
def import_directory(
    *, partnership: Partnership, actor: Person | None, rows: Sequence[ImportRow]
) -> ImportResult:
    """Import rows that passed ``importing.check_text``: all of them, or none.

    The rows are checked again against the directory inside this transaction; if
    anything changed so that a row no longer passes, ``ImportRefused`` says which.
    """
    problems = check_rows(rows, directory=PartnershipDirectory(partnership))
    if problems:
        raise ImportRefused(problems)
    agencies = [row for row in rows if isinstance(row, AgencyRow)]
    people = [row for row in rows if isinstance(row, PersonRow)]
    try:
        with transaction.atomic():
            if agencies:
                result = _import_agencies(partnership, agencies)
            else:
                result = _import_people(partnership, people)
    except IntegrityError:
        raise ImportRefused(
            file_problem="The directory changed while importing, so nothing was imported. "
            "Upload the file again."
        ) from None
    record(
        events.DIRECTORY_IMPORTED,
        actor=actor,
        data={
            "partnership": partnership.pk,
            "kind": result.kind.value,
            "agencies_created": result.agencies_created,
            "people_created": result.people_created,
            "roles_assigned": result.roles_assigned,
        },
    )
    return result


def _import_agencies(partnership: Partnership, rows: Sequence[AgencyRow]) -> ImportResult:
    created = Agency.objects.bulk_create(
        [Agency(partnership=partnership, name=row.name, kind=row.kind.value) for row in rows],
        batch_size=_BATCH,
    )
    return ImportResult(kind=ImportKind.AGENCIES, agencies_created=len(created))


def _import_people(partnership: Partnership, rows: Sequence[PersonRow]) -> ImportResult:
    user_model = get_user_model()
    users = []
    for row in rows:
        user = user_model(username=row.email, email=row.email)
        user.set_unusable_password()
        users.append(user)
    user_model.objects.bulk_create(users, batch_size=_BATCH)
    agencies = {
        agency.name.casefold(): agency for agency in Agency.objects.filter(partnership=partnership)
    }
    people = Person.objects.bulk_create(
        [
            Person(
                user=user,
                name=row.name,
                email=row.email,
                job_title=row.job_title,
                agency=agencies[row.agency.casefold()] if row.agency else None,
                ladder_role=row.ladder_role.value if row.ladder_role else "",
            )
            for row, user in zip(rows, users, strict=True)
        ],
        batch_size=_BATCH,
    )
    by_email = {person.email: person for person in people}
    outside = {row.line_manager_email for row in rows if row.line_manager_email} - set(by_email)
    managers = {  # their places in this partnership (decision 20), as the checks found
        manager.key: manager
        for manager in people_in([partnership])
        .annotate(key=Lower("email"))
        .filter(key__in=outside, is_active=True)
    }
    managed = []
    for row, person in zip(rows, people, strict=True):
        if row.line_manager_email:
            email = row.line_manager_email
            person.line_manager = by_email.get(email) or managers[email]
            managed.append(person)
    Person.objects.bulk_update(managed, ["line_manager"], batch_size=_BATCH)
    roles = PartnershipRoleAssignment.objects.bulk_create(
        [
            PartnershipRoleAssignment(person=person, partnership=partnership, role=role.value)
            for row, person in zip(rows, people, strict=True)
            for role in row.partnership_roles
        ],
        batch_size=_BATCH,
    )
    return ImportResult(
        kind=ImportKind.PEOPLE, people_created=len(people), roles_assigned=len(roles)
    )
