"""The register, the practice issues log, board actions and good practice, for the
partnership's business managers and chairs only: everyone else gets 404, as in the browser.
Rows carry no subject or narrative.

Board actions are made and completed through ``reporting.services``, which decide who may
(``board_action_refusal``) and what is valid: its refusals are a 409 with the sentence the
browser shows as a form error. Recognising good practice is a change to an escalation, so it
lives with the other escalation changes (``GoodPracticeRecordApi``).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from escalate.api import serializers as out
from escalate.api.fields import FilterText, long_text, optional_long_text
from escalate.api.idempotency import idempotent
from escalate.api.pagination import KeysetCursor, NewestUpdateFirstCursor
from escalate.api.serializers import Serializer
from escalate.api.views.base import MAX_ID, ApiView, int_id, operation, parse, parse_query
from escalate.audit.models import ReadEvent
from escalate.audit.reads import record_read
from escalate.escalations.clock import local_today
from escalate.escalations.selectors import InvalidCursor, ListStatus
from escalate.organisations.models import Person
from escalate.policies.models import Partnership
from escalate.reporting.models import BoardAction, PracticeIssue
from escalate.reporting.selectors import (
    BoardActionShow,
    PracticeIssueFilters,
    RegisterFilters,
    board_action_page,
    board_action_rows,
    board_actions,
    good_practice_page,
    overseen_partnership_ids,
    practice_issues,
    register,
)
from escalate.reporting.services import complete_board_action, create_board_action

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
        category = FilterText(max_length=60)
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


# --- Board actions ---------------------------------------------------------------------------

PRACTICE_ISSUE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The practice issue's id."
)
BOARD_ACTION_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The board action's id."
)


def _board_action_data(action: BoardAction) -> dict[str, object]:
    [row] = board_action_rows([action], today=local_today())
    return dict(out.BoardActionSerializer(row).data)


class BoardActionListApi(ApiView):
    """The board actions of the partnerships the person oversees, newest first: open ones
    (the default), done ones or all, as on the board actions page."""

    tags = TAG
    pagination_class = KeysetCursor

    class FilterSerializer(Serializer):
        show = serializers.ChoiceField(
            choices=[(show.value, show.value) for show in BoardActionShow],
            required=False,
            default=BoardActionShow.OPEN.value,
            help_text="open (the default), done or all.",
        )

    @operation(
        "List board actions",
        response=out.BoardActionSerializer(many=True),
        parameters=[FilterSerializer],
    )
    def get(self, request: Request) -> Response:
        partnership_ids = _overseen(self.person)
        query = parse_query(self.FilterSerializer, request)
        show = BoardActionShow(query["show"])
        paginator = self.pagination_class()
        cursor, size = paginator.page_request(request)
        try:
            page = board_action_page(partnership_ids, show=show, cursor=cursor, size=size)
        except InvalidCursor:
            raise paginator.invalid_cursor() from None
        rows = board_action_rows(page.items, today=local_today())
        return paginator.paginated_response(page, out.BoardActionSerializer(rows, many=True).data)


def _practice_issue_for(person: Person, pk: str) -> PracticeIssue:
    """A practice issue of the log the person reads (the browser's scope): 404 otherwise."""
    issue = practice_issues(person, filters=PracticeIssueFilters()).filter(
        pk=int_id(pk, "practice issue")
    )
    found = issue.first()
    if found is None:
        raise Http404("No such practice issue.")
    return found


def _board_action_for(person: Person, pk: str) -> BoardAction:
    """A board action of a partnership the person oversees (the list's scope): 404 otherwise."""
    actions = board_actions(overseen_partnership_ids(person), show=BoardActionShow.ALL)
    found = actions.filter(pk=int_id(pk, "board action")).first()
    if found is None:
        raise Http404("No such board action.")
    return found


def _owner(pk: int) -> Person | None:
    """The owner as given, or None for an id that names nobody: the service refuses both
    that and anyone outside the partnership with one sentence (``moves.NOT_IN_PARTNERSHIP``)."""
    return Person.objects.select_related("agency").filter(pk=pk).first()


class BoardActionCreateApi(ApiView):
    """Make a board action on a practice issue of the log, owned by someone active in its
    partnership and due today or later."""

    tags = TAG
    problems = (409,)

    class InputSerializer(Serializer):
        description = long_text(help_text="What the board will do.")
        owner = serializers.IntegerField(
            min_value=1,
            max_value=MAX_ID,
            help_text="The person who owns it: someone active in the partnership.",
        )
        due_on = serializers.DateField(help_text="Today or later.")

    @operation(
        "Make a board action from a practice issue",
        request=InputSerializer,
        response=out.BoardActionSerializer,
        status=201,
        parameters=[PRACTICE_ISSUE_ID],
        description="Only the partnership's business manager and chair may: anyone else gets "
        "404, as for the log itself. The service's refusals (an owner outside the partnership, "
        "a due date in the past, unusable text) are 409 with its sentence.",
    )
    def post(self, request: Request, pk: str) -> Response:
        issue = _practice_issue_for(self.person, pk)

        def perform() -> Response:
            data = parse(self.InputSerializer, request.data)
            action = create_board_action(
                practice_issue=issue,
                actor=self.person,
                description=data["description"],
                owner=_owner(data["owner"]),
                due_on=data["due_on"],
                today=local_today(),
            )
            return Response(_board_action_data(action), status=201)

        return idempotent(request, perform)


class BoardActionCompleteApi(ApiView):
    """Mark an open board action done, with its outcome and a note."""

    tags = TAG
    problems = (409,)

    class InputSerializer(Serializer):
        outcome = out.BoardActionOutcomeField()
        note = optional_long_text(
            help_text="What changed, or why nothing needed to. Do not include anyone's name."
        )

    @operation(
        "Mark a board action done",
        request=InputSerializer,
        response=out.BoardActionSerializer,
        parameters=[BOARD_ACTION_ID],
        description="A done action is not reopened (409): make a new one instead.",
    )
    def post(self, request: Request, pk: str) -> Response:
        action = _board_action_for(self.person, pk)

        def perform() -> Response:
            data = parse(self.InputSerializer, request.data)
            done = complete_board_action(
                board_action=action, actor=self.person, outcome=data["outcome"], note=data["note"]
            )
            return Response(_board_action_data(done))

        return idempotent(request, perform)


# --- Good practice -----------------------------------------------------------------------------


class GoodPracticeListApi(ApiView):
    """The good practice recognised in the escalations of the partnerships the person
    oversees, newest first."""

    tags = TAG
    pagination_class = KeysetCursor

    @operation("List good practice", response=out.GoodPracticeSerializer(many=True))
    def get(self, request: Request) -> Response:
        partnership_ids = _overseen(self.person)
        paginator = self.pagination_class()
        cursor, size = paginator.page_request(request)
        try:
            page = good_practice_page(partnership_ids, cursor=cursor, size=size)
        except InvalidCursor:
            raise paginator.invalid_cursor() from None
        data = out.GoodPracticeSerializer(page.items, many=True).data
        return paginator.paginated_response(page, data)
