"""Partnerships and their procedures (public documents), and the directory of agencies
and people: read by integrations, changed by administrators through the same services
as the directory pages.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from escalate.api import enums
from escalate.api import serializers as out
from escalate.api.conditional import content_etag, require_matching, with_etag
from escalate.api.fields import DayInCalendar, FilterText, short_text
from escalate.api.idempotency import idempotent
from escalate.api.pagination import NameCursor
from escalate.api.problems import ReferenceRefused
from escalate.api.selectors import (
    administered_by,
    agencies_for,
    directory_for,
    partnerships_with_versions,
)
from escalate.api.serializers import Serializer
from escalate.api.views.base import MAX_ID, ApiView, int_id, operation, parse, parse_query
from escalate.domain.calendar import OutsideCalendar
from escalate.domain.deadlines import TimelineRefused, timeline
from escalate.domain.policy import AgencyKind, LadderRole, PartnershipRole
from escalate.escalations.clock import calendar_for
from escalate.organisations import services as directory
from escalate.organisations.models import Agency, Person
from escalate.organisations.selectors import people_in
from escalate.policies.models import Partnership, Policy

SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The partnership, e.g. 'nel'."
)
VERSION = OpenApiParameter(
    "version", OpenApiTypes.INT, OpenApiParameter.PATH, description="The procedure's version."
)
AGENCY_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
PERSON_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


# --- Partnerships and procedures ---------------------------------------------------------


def _partnership(slug: str) -> Partnership:
    partnership = partnerships_with_versions().filter(slug=slug).first()
    if partnership is None:
        raise Http404("No such partnership.")
    return partnership


def _policy(slug: str, version: str) -> Policy:
    policy = (
        Policy.objects.select_related("partnership")
        .filter(partnership__slug=slug, version=int_id(version, "version"))
        .first()
    )
    if policy is None:
        raise Http404("No such version of this partnership's procedure.")
    return policy


class PartnershipListApi(ApiView):
    tags = ("partnerships",)

    @operation("List partnerships", response=out.PartnershipSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(out.PartnershipSerializer(partnerships_with_versions(), many=True).data)


class PartnershipDetailApi(ApiView):
    tags = ("partnerships",)

    @operation("Read a partnership", response=out.PartnershipSerializer, parameters=[SLUG])
    def get(self, request: Request, slug: str) -> Response:
        return Response(out.PartnershipSerializer(_partnership(slug)).data)


class PolicyListApi(ApiView):
    """Every version of the partnership's procedure, newest first."""

    tags = ("partnerships",)

    @operation(
        "List a partnership's procedure versions",
        response=out.PolicyVersionSerializer(many=True),
        parameters=[SLUG],
    )
    def get(self, request: Request, slug: str) -> Response:
        partnership = _partnership(slug)
        policies = partnership.policies.select_related("partnership").order_by("-version")
        return Response(out.PolicyVersionSerializer(policies, many=True).data)


class PolicyDetailApi(ApiView):
    tags = ("partnerships",)

    @operation(
        "Read a version of a partnership's procedure",
        response=out.PolicySerializer,
        parameters=[SLUG, VERSION],
    )
    def get(self, request: Request, slug: str, version: str) -> Response:
        return Response(out.PolicySerializer(_policy(slug, version)).data)


class PolicyTimelineApi(ApiView):
    """Each stage's due date for a disagreement raised on a given day.

    Assumes each stage is entered on the day the previous one falls due (docs/domain.md,
    decision 1), on the partnership's working-day calendar.
    """

    tags = ("partnerships",)
    problems = (409,)

    class FilterSerializer(Serializer):
        raised = DayInCalendar(help_text="The raise date, YYYY-MM-DD.")
        immediate_risk = serializers.BooleanField(required=False, default=False)
        start_at = serializers.IntegerField(min_value=1, max_value=99, required=False)

    @operation(
        "Work out a procedure's timeline",
        response=out.TimelineSerializer,
        parameters=[SLUG, VERSION, FilterSerializer],
    )
    def get(self, request: Request, slug: str, version: str) -> Response:
        policy = _policy(slug, version)
        query = parse_query(self.FilterSerializer, request)
        rules = policy.rules
        try:
            result = timeline(
                rules,
                raised_on=query["raised"],
                calendar=calendar_for(rules),
                immediate_risk=query["immediate_risk"],
                start_at=query.get("start_at"),
            )
        except OutsideCalendar as outside:  # counting past the calendar's last year
            raise TimelineRefused(str(outside)) from None
        return Response(out.TimelineSerializer(result).data)


# --- Agencies ---------------------------------------------------------------------------------


def _administered_or_refuse(person: Person, action: str) -> list[Partnership]:
    partnerships = administered_by(person)
    if not partnerships:
        raise PermissionDenied(f"Only a partnership's administrators can {action}.")
    return partnerships


class AgencyListApi(ApiView):
    """The agencies of the person's partnerships."""

    tags = ("directory",)
    pagination_class = NameCursor

    class FilterSerializer(Serializer):
        partnership = serializers.SlugField(max_length=50, required=False)

    @operation(
        "List agencies",
        response=out.AgencySerializer(many=True),
        parameters=[FilterSerializer],
    )
    def get(self, request: Request) -> Response:
        query = parse_query(self.FilterSerializer, request)
        agencies = agencies_for(self.person).distinct()
        if "partnership" in query:
            agencies = agencies.filter(partnership__slug=query["partnership"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(agencies, request, view=self)
        return paginator.get_paginated_response(out.AgencySerializer(page, many=True).data)


def _agency(person: Person, pk: str) -> Agency:
    agency = agencies_for(person).filter(pk=int_id(pk, "agency")).first()
    if agency is None:
        raise Http404("No such agency.")
    return agency


class AgencyDetailApi(ApiView):
    tags = ("directory",)
    sends_etag = True

    @operation("Read an agency", response=out.AgencySerializer, parameters=[AGENCY_ID])
    def get(self, request: Request, pk: str) -> Response:
        data = out.AgencySerializer(_agency(self.person, pk)).data
        return with_etag(Response(data), content_etag(data))


class AgencyCreateApi(ApiView):
    """Add an agency to a partnership the person administers."""

    tags = ("directory",)
    problems = (409,)
    sends_location = True

    class InputSerializer(Serializer):
        partnership = serializers.SlugField(max_length=50)
        name = short_text()
        kind = serializers.ChoiceField(choices=enums.AGENCY_KINDS)

    @operation("Add an agency", request=InputSerializer, response=out.AgencySerializer, status=201)
    def post(self, request: Request) -> Response:
        administered = _administered_or_refuse(self.person, "add agencies")

        def create() -> Response:
            data = parse(self.InputSerializer, request.data)
            partnership = next((p for p in administered if p.slug == data["partnership"]), None)
            if partnership is None:
                raise PermissionDenied("You can add agencies only to a partnership you administer.")
            agency = directory.create_agency(
                actor=self.person,
                partnership=partnership,
                name=data["name"],
                kind=AgencyKind(data["kind"]),
            )
            location = request.build_absolute_uri(reverse("api:agency", kwargs={"pk": agency.pk}))
            return Response(
                out.AgencySerializer(agency).data, status=201, headers={"Location": location}
            )

        return idempotent(request, create)


class AgencyUpdateApi(ApiView):
    """Rename an agency or change its kind; If-Match takes the agency's ETag."""

    tags = ("directory",)
    problems = (409,)
    requires_if_match = True
    sends_etag = True

    class InputSerializer(Serializer):
        name = short_text()
        kind = serializers.ChoiceField(choices=enums.AGENCY_KINDS)

    @operation(
        "Change an agency",
        request=InputSerializer,
        response=out.AgencySerializer,
        parameters=[AGENCY_ID],
    )
    def put(self, request: Request, pk: str) -> Response:
        agency = _agency(self.person, pk)
        if agency.partnership not in _administered_or_refuse(self.person, "change agencies"):
            raise PermissionDenied(
                "Only this partnership's administrators can change its agencies."
            )
        data = parse(self.InputSerializer, request.data)
        require_matching(request, current_etag=content_etag(out.AgencySerializer(agency).data))
        agency = directory.update_agency(
            agency=agency, actor=self.person, name=data["name"], kind=AgencyKind(data["kind"])
        )
        result = out.AgencySerializer(agency).data
        return with_etag(Response(result), content_etag(result))


# --- People ----------------------------------------------------------------------------------


class PersonListApi(ApiView):
    """Active people in the person's partnerships (and, for administrators, leavers too)."""

    tags = ("directory",)
    pagination_class = NameCursor

    class FilterSerializer(Serializer):
        agency = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        email = FilterText(max_length=254)
        q = FilterText(max_length=100, help_text="Name or job title.")

    @operation(
        "List people", response=out.PersonSerializer(many=True), parameters=[FilterSerializer]
    )
    def get(self, request: Request) -> Response:
        query = parse_query(self.FilterSerializer, request)
        people = directory_for(self.person)
        if "agency" in query:
            people = people.filter(agency_id=query["agency"])
        if query.get("email"):  # a blank filter filters nothing
            people = people.filter(email__iexact=query["email"].strip())
        if query.get("q"):
            people = people.filter(
                Q(name__icontains=query["q"]) | Q(job_title__icontains=query["q"])
            )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(people, request, view=self)
        return paginator.get_paginated_response(out.PersonSerializer(page, many=True).data)


def _person(viewer: Person, pk: str) -> Person:
    person = directory_for(viewer).filter(pk=int_id(pk, "person")).first()
    if person is None:
        raise Http404("No such person.")
    return person


class PersonMeApi(ApiView):
    """The person the token belongs to."""

    tags = ("directory",)

    @operation("Read yourself", response=out.PersonSerializer)
    def get(self, request: Request) -> Response:
        me = directory_for(self.person).filter(pk=self.person.pk).first() or self.person
        return Response(out.PersonSerializer(me).data)


class PersonDetailApi(ApiView):
    tags = ("directory",)
    sends_etag = True

    @operation("Read a person", response=out.PersonSerializer, parameters=[PERSON_ID])
    def get(self, request: Request, pk: str) -> Response:
        data = out.PersonSerializer(_person(self.person, pk)).data
        return with_etag(Response(data), content_etag(data))


class RolesInSerializer(Serializer):
    partnership = serializers.SlugField(max_length=50)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=enums.PARTNERSHIP_ROLES),
        max_length=len(PartnershipRole),
    )


class PersonInSerializer(Serializer):
    """A person's directory entry, as an administrator gives it."""

    name = short_text()
    email = serializers.EmailField(max_length=254)
    job_title = short_text(required=False, allow_blank=True, default="")
    agency = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None
    )
    ladder_role = serializers.ChoiceField(
        choices=enums.LADDER_ROLES, required=False, allow_null=True, default=None
    )
    line_manager = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None
    )
    is_active = serializers.BooleanField(default=True)
    partnership_roles = RolesInSerializer(many=True, required=False, default=list)


def directory_entry(data: dict[str, Any], administered: list[Partnership]) -> dict[str, Any]:
    """The parsed entry with its ids looked up in the administered partnerships: 409 for an
    id that names nothing there, 403 for roles in a partnership the caller does not keep."""
    errors: dict[str, list[str]] = {}
    agency = None
    if data["agency"] is not None:
        agency = Agency.objects.filter(pk=data["agency"], partnership__in=administered).first()
        if agency is None:
            errors["agency"] = ["Choose an agency of a partnership you administer."]
    line_manager = None
    if data["line_manager"] is not None:
        # The browser's form offers the administered partnerships' people only, with
        # one answer for anyone else, whether they exist elsewhere or not at all.
        line_manager = people_in(administered).filter(pk=data["line_manager"]).first()
        if line_manager is None:
            errors["line_manager"] = ["No one in your partnership's directory has this id."]
    by_slug = {partnership.slug: partnership for partnership in administered}
    roles: dict[Partnership, set[PartnershipRole]] = {p: set() for p in administered}
    for entry in data["partnership_roles"]:
        partnership = by_slug.get(entry["partnership"])
        if partnership is None:
            raise PermissionDenied("You can give roles only in partnerships you administer.")
        roles[partnership].update(PartnershipRole(role) for role in entry["roles"])
    if errors:
        raise ReferenceRefused(errors)
    return {
        "details": directory.PersonDetails(
            name=data["name"],
            email=data["email"],
            job_title=data["job_title"],
            agency=agency,
            ladder_role=LadderRole(data["ladder_role"]) if data["ladder_role"] else None,
            line_manager=line_manager,
            is_active=data["is_active"],
        ),
        "partnership_roles": roles,
    }


def _fresh(viewer: Person, person: Person) -> Person:
    """The person re-read with their roles, as ``viewer`` sees them."""
    return directory_for(viewer).filter(pk=person.pk).first() or person


class PersonCreateApi(ApiView):
    """Add someone to the directory, with a sign-in account that has no password yet."""

    tags = ("directory",)
    problems = (409,)
    sends_location = True

    InputSerializer = PersonInSerializer

    @operation("Add a person", request=InputSerializer, response=out.PersonSerializer, status=201)
    def post(self, request: Request) -> Response:
        administered = _administered_or_refuse(self.person, "add people")

        def create() -> Response:
            data = directory_entry(parse(self.InputSerializer, request.data), administered)
            person = directory.create_person(actor=self.person, **data)
            location = request.build_absolute_uri(reverse("api:person", kwargs={"pk": person.pk}))
            return Response(
                out.PersonSerializer(_fresh(self.person, person)).data,
                status=201,
                headers={"Location": location},
            )

        return idempotent(request, create)


class PersonUpdateApi(ApiView):
    """Replace someone's directory entry; their roles in your partnerships become those given."""

    tags = ("directory",)
    problems = (409,)
    requires_if_match = True
    sends_etag = True

    InputSerializer = PersonInSerializer

    @operation(
        "Change a person",
        request=InputSerializer,
        response=out.PersonSerializer,
        parameters=[PERSON_ID],
    )
    def put(self, request: Request, pk: str) -> Response:
        person = _person(self.person, pk)
        administered = _administered_or_refuse(self.person, "change people")
        if not _in(person, administered):
            raise PermissionDenied("Only this person's administrators can change their entry.")
        data = directory_entry(parse(self.InputSerializer, request.data), administered)
        require_matching(request, current_etag=content_etag(out.PersonSerializer(person).data))
        person = directory.update_person(person=person, actor=self.person, **data)
        result = out.PersonSerializer(_fresh(self.person, person)).data
        return with_etag(Response(result), content_etag(result))


def _in(person: Person, partnerships: Collection[Partnership]) -> bool:
    return people_in(partnerships).filter(pk=person.pk).exists()
