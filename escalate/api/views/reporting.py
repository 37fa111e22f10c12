"""The register and the practice issues log, for the partnership's business managers and
chairs only: everyone else gets 404, as in the browser. Rows carry no subject or narrative.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from escalate.api import serializers as out
from escalate.api.pagination import KeysetCursor, NewestUpdateFirstCursor
from escalate.api.serializers import Serializer
from escalate.api.views.base import MAX_ID, ApiView, operation, parse_query
from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.escalations.clock import local_today
from escalate.escalations.selectors import InvalidCursor, ListStatus
from escalate.organisations.models import Person
from escalate.policies.models import Partnership
from escalate.reporting.selectors import (
    PracticeIssueFilters,
    RegisterFilters,
    overseen_partnership_ids,
    practice_issues,
    register,
)

TAG = ("reporting",)


def _overseen(person: Person) -> list[int]:
    partnership_ids = overseen_partnership_ids(person)
    if not partnership_ids:
        raise Http404("No such resource.")
    return partnership_ids


def _partnership_id(slug: str | None) -> int | None:
    if not slug:
        return None
    found = Partnership.objects.filter(slug=slug).values_list("pk", flat=True).first()
    return found if found is not None else 0  # an unknown partnership matches nothing


class RegisterApi(ApiView):
    """The escalations of the partnerships the person oversees: open ones (the default)
    nearest their due date first, ended ones and all newest first, a page at a time."""

    tags = TAG
    pagination_class = KeysetCursor

    class FilterSerializer(Serializer):
        status = serializers.ChoiceField(
            choices=[(status.value, status.value) for status in ListStatus],
            required=False,
            default=ListStatus.OPEN.value,
            help_text="open (the default); closed: resolved, withdrawn or closed; or all.",
        )
        partnership = serializers.SlugField(max_length=50, required=False)
        stage = serializers.IntegerField(min_value=1, max_value=99, required=False)
        agency = serializers.IntegerField(
            min_value=1,
            max_value=MAX_ID,
            required=False,
            help_text="Any agency in the disagreement, on either side.",
        )
        category = serializers.CharField(max_length=60, required=False)
        overdue = serializers.BooleanField(required=False, default=False)
        raised_from = serializers.DateField(required=False)
        raised_to = serializers.DateField(required=False)

    @operation(
        "Read the register",
        response=out.RegisterRowSerializer(many=True),
        parameters=[FilterSerializer],
    )
    def get(self, request: Request) -> Response:
        _overseen(self.person)
        query = parse_query(self.FilterSerializer, request)
        filters = RegisterFilters(
            status=ListStatus(query["status"]),
            partnership_id=_partnership_id(query.get("partnership")),
            stage_number=query.get("stage"),
            agency_id=query.get("agency"),
            category=query.get("category", ""),
            overdue_only=query["overdue"],
            raised_from=query.get("raised_from"),
            raised_to=query.get("raised_to"),
        )
        paginator = self.pagination_class()
        cursor, size = paginator.page_request(request)
        try:
            page = register(
                self.person, filters=filters, today=local_today(), cursor=cursor, size=size
            )
        except InvalidCursor:
            raise paginator.invalid_cursor() from None
        record_read(
            request,
            what=ReadEvent.What.EXPORT,
            detail=f"API: register ({len(page.items)} rows, status={filters.status})",
        )
        data = out.RegisterRowSerializer(page.items, many=True).data
        return paginator.paginated_response(page, data)


class PracticeIssueLogApi(ApiView):
    """The practice issues log, newest update first."""

    tags = TAG
    pagination_class = NewestUpdateFirstCursor

    class FilterSerializer(Serializer):
        partnership = serializers.SlugField(max_length=50, required=False)
        lead_agency = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        is_resolved = serializers.BooleanField(required=False, allow_null=True, default=None)
        latest_only = serializers.BooleanField(required=False, default=False)
        recorded_from = serializers.DateField(required=False)
        recorded_to = serializers.DateField(required=False)

    @operation(
        "Read the practice issues log",
        response=out.PracticeIssueSerializer(many=True),
        parameters=[FilterSerializer],
    )
    def get(self, request: Request) -> Response:
        _overseen(self.person)
        query = parse_query(self.FilterSerializer, request)
        issues = practice_issues(
            self.person,
            filters=PracticeIssueFilters(
                partnership_id=_partnership_id(query.get("partnership")),
                lead_agency_id=query.get("lead_agency"),
                is_resolved=query["is_resolved"],
                latest_only=query["latest_only"],
                recorded_from=query.get("recorded_from"),
                recorded_to=query.get("recorded_to"),
            ),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(issues, request, view=self)
        return paginator.get_paginated_response(out.PracticeIssueSerializer(page, many=True).data)
