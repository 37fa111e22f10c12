from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.db import models

from escalate.domain.access import Viewer
from escalate.domain.policy import AgencyKind, LadderRole, PartnershipRole
from escalate.policies.models import Partnership


def _choices(values: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ").capitalize()) for member in values]


AGENCY_KIND_CHOICES = _choices(AgencyKind)
LADDER_ROLE_CHOICES = _choices(LadderRole)
PARTNERSHIP_ROLE_CHOICES = _choices(PartnershipRole)


class Agency(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=AGENCY_KIND_CHOICES)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "name"], name="agency_name_unique_in_partnership"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Someone's place in a partnership's directory (an agency and rung, or partnership
    roles only), linked to their sign-in account.

    Most people have one place. Someone who works in agencies of two partnerships (a
    designated nurse for two areas) has one entry in each, sharing one account and email:
    each partnership keeps its own entry, and the person works in one place at a time
    (decision 20).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="people",
        null=True,
        blank=True,
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(db_index=True)
    job_title = models.CharField(max_length=200, blank=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="people", null=True, blank=True
    )
    ladder_role = models.CharField(max_length=32, choices=LADDER_ROLE_CHOICES, blank=True)
    line_manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    is_active = models.BooleanField(
        default=True, help_text="Leavers are made inactive, never deleted."
    )
    sessions_revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Sessions that began before this moment are ended."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="one_place_per_agency")
        ]

    def __str__(self) -> str:
        return self.name

    request_roles: frozenset[tuple[int, PartnershipRole]] | None = None
    """The partnership roles read with this person for the current request, set only by
    ``CurrentPersonMiddleware`` and by API token sign-in (``api.tokens.authenticate_token``):
    a new request reads them again, so a lost role is lost."""

    request_partnership_names: dict[int, str] | None = None
    """The names of the partnerships of ``request_roles``, read in the same query."""

    request_other_places: list[OtherPlace] | None = None
    """The account's other active places, which the person can switch to, set with
    ``request_roles``."""

    request_needs_second_factor: bool | None = None
    """Whether any of the account's active places needs a second factor, set with
    ``request_roles``: asked of the account, so switching places never skips one."""

    request_sessions_revoked_at: datetime | None = None
    """The latest ``sessions_revoked_at`` of the account's places, set with ``request_roles``:
    sessions belong to the account, so ending them from one place ends them in all."""

    def other_places(self) -> list[OtherPlace]:
        return self.request_other_places or []

    def sessions_ended_at(self) -> datetime | None:
        """Sessions of this account that began before this moment are over."""
        if self.request_sessions_revoked_at is not None:
            return self.request_sessions_revoked_at
        return self.sessions_revoked_at

    def work_places(self) -> list[str]:
        """Where this person works, one line per partnership, for the page's header: their
        agency's partnership, and each other partnership they hold a role in."""
        names = self.request_partnership_names or {}
        roles = self.request_roles or frozenset()
        places: list[str] = []
        home = self.agency.partnership if self.agency is not None else None
        if home is not None:
            places.append(f"{home.name} ({self.agency})")
        by_partnership: dict[int, list[str]] = {}
        for partnership_id, role in sorted(roles, key=lambda pair: (pair[0], pair[1].value)):
            label = dict(PARTNERSHIP_ROLE_CHOICES).get(role.value, role.value)
            by_partnership.setdefault(partnership_id, []).append(label.lower())
        for partnership_id, labels in by_partnership.items():
            if home is not None and partnership_id == home.pk:
                places[0] = f"{home.name} ({self.agency}; {', '.join(labels)})"
            else:
                places.append(f"{names.get(partnership_id, 'A partnership')} ({', '.join(labels)})")
        return places

    def viewer(self) -> Viewer:
        """This person's facts for the access predicates: the roles read for this request
        where the middleware loaded this person, otherwise read fresh from the database."""
        roles = self.request_roles
        if roles is None:
            roles = frozenset(
                (partnership_id, PartnershipRole(role))
                for partnership_id, role in account_roles(self).values_list(
                    "partnership_id", "role"
                )
            )
        return Viewer(
            person_id=self.pk,
            is_active=self.is_active and (self.user is None or self.user.is_active),
            agency_id=self.agency_id,
            ladder_role=LadderRole(self.ladder_role) if self.ladder_role else None,
            partnership_roles=roles,
        )

    def place(self) -> str:
        """This entry as the person knows their place: the partnership and the agency."""
        if self.agency is None:
            return "your partnership roles"
        return f"{self.agency.partnership.name} ({self.agency})"

    @property
    def status(self) -> str:
        """Name, role and agency, as the recording template lists those in contact."""
        parts = [self.job_title or self.get_ladder_role_display()]
        if self.agency_id:
            parts.append(str(self.agency))
        return ", ".join(part for part in parts if part)


@dataclass(frozen=True)
class OtherPlace:
    """Another place of the signed-in account, as the switch in the page's header shows it."""

    person_id: int
    label: str


def account_roles(person: Person) -> models.QuerySet[PartnershipRoleAssignment]:
    """The partnership roles ``person`` acts with: those held by any active place of their
    account, as each role names its own partnership (an entry without an account has only
    its own)."""
    if person.user_id is None:
        return PartnershipRoleAssignment.objects.filter(person=person)
    return PartnershipRoleAssignment.objects.filter(
        person__user_id=person.user_id, person__is_active=True
    )


class PartnershipRoleAssignment(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="partnership_roles")
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=32, choices=PARTNERSHIP_ROLE_CHOICES)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "partnership", "role"], name="one_assignment_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} - {self.get_role_display()} ({self.partnership.slug})"
