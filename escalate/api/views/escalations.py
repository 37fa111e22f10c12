"""Escalations: one class per operation, calling the same services as the browser.

Every escalation is fetched through ``escalations.access`` (404 when the person may not
see it, 403 when they may see but not act). Changes take ``If-Match`` and pass its
revision to the service, which refuses a stale one (412).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
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
from escalate.api.conditional import required_revision, revision_etag, with_etag
from escalate.api.idempotency import idempotent
from escalate.api.pagination import Cursor, OldestFirstCursor
from escalate.api.problems import PreconditionFailed
from escalate.api.serializers import Serializer
from escalate.api.views.base import (
    MAX_ID,
    ApiView,
    escalation_for,
    escalation_response,
    etag_response,
    int_id,
    operation,
    parse,
    parse_query,
    record_api_read,
)
from escalate.audit.models import AuditEvent
from escalate.domain.access import Action
from escalate.domain.policy import ChecklistItem, FinalStageKind, SubjectKind
from escalate.escalations import selectors, services
from escalate.escalations.access import escalations_visible_to
from escalate.escalations.clock import local_today
from escalate.escalations.forms import MAX_AGREED_ACTIONS
from escalate.escalations.identifiers import nhs_number_problem, normalise_nhs_number
from escalate.escalations.models import AgreedAction, Contact, Escalation
from escalate.organisations.models import Agency, Person
from escalate.reporting.services import record_practice_issue

TAG = ("escalations",)
ESCALATION_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The escalation's id."
)
ACTION_ID = OpenApiParameter(
    "action_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The agreed action's id."
)
CHECKLIST_ITEM = OpenApiParameter(
    "item",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=enums.CHECKLIST_ITEMS,
    description="A checklist item of the stage the escalation was resolved at.",
)


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=10_000, trim_whitespace=True, **kwargs)


def _optional_text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, default="", **kwargs
    )


class _NotInFuture(serializers.DateField):
    def to_internal_value(self, value: Any) -> Any:
        day = super().to_internal_value(value)
        if day > local_today():
            raise serializers.ValidationError("The date must be today or in the past.")
        return day


class _PersonIn(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    default_error_messages = {
        "does_not_exist": "Choose someone from the partnership's directory.",
        "incorrect_type": "Give the person's id, a whole number.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Person.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet[Person]:
        escalation: Escalation | None = self.context.get("escalation")
        if escalation is None:
            return Person.objects.none()
        return selectors.directory_people(escalation.partnership)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data.isascii() and data.isdigit():
            data = int(data)
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


# --- Listing and reading ------------------------------------------------------------------


class EscalationListApi(ApiView):
    """The escalations the person may see, newest first, with the browser's access rule."""

    tags = TAG
    pagination_class = Cursor

    class FilterSerializer(Serializer):
        status = serializers.ChoiceField(choices=Escalation.Status.choices, required=False)
        stage = serializers.IntegerField(min_value=1, max_value=99, required=False)
        agency = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, required=False, help_text="Either party's agency."
        )
        partnership = serializers.SlugField(max_length=50, required=False)
        category = serializers.CharField(max_length=60, required=False)
        deadline = serializers.ChoiceField(
            choices=[
                ("overdue", "Open and past its stage's due date"),
                ("due", "Open and due today or overdue"),
            ],
            required=False,
        )
        raised_from = serializers.DateField(required=False)
        raised_to = serializers.DateField(required=False)
        reference = serializers.CharField(max_length=20, required=False)

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            start, end = data.get("raised_from"), data.get("raised_to")
            if start and end and start > end:
                raise serializers.ValidationError(
                    {"raised_to": ["Must not be before raised_from."]}
                )
            return data

    @operation(
        "List escalations",
        response=out.EscalationSummarySerializer(many=True),
        parameters=[FilterSerializer],
    )
    def get(self, request: Request) -> Response:
        filters = parse_query(self.FilterSerializer, request)
        today = local_today()
        escalations = _filtered(escalations_visible_to(self.person), filters, today=today)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            escalations.select_related("partnership", "raising_agency", "other_agency"),
            request,
            view=self,
        )
        context = {
            "rules": selectors.policy_rules_by_id(e.policy_id for e in page),
            "today": today,
        }
        data = out.EscalationSummarySerializer(page, many=True, context=context).data
        return paginator.get_paginated_response(data)


def _filtered(
    escalations: QuerySet[Escalation], filters: dict[str, Any], *, today: Any
) -> QuerySet[Escalation]:
    simple = {
        "status": "status",
        "stage": "stage_number",
        "partnership": "partnership__slug",
        "category": "category",
        "raised_from": "raised_on__gte",
        "raised_to": "raised_on__lte",
        "reference": "reference",
    }
    escalations = escalations.filter(
        **{lookup: filters[name] for name, lookup in simple.items() if name in filters}
    )
    if "agency" in filters:
        agency = filters["agency"]
        escalations = escalations.filter(Q(raising_agency_id=agency) | Q(other_agency_id=agency))
    deadline = filters.get("deadline")
    if deadline:
        lookup = "stage_due_on__lt" if deadline == "overdue" else "stage_due_on__lte"
        escalations = escalations.filter(status=Escalation.Status.OPEN, **{lookup: today})
    return escalations


class EscalationDetailApi(ApiView):
    """The whole record, as on the escalation's page; its ETag is the revision."""

    tags = TAG
    sends_etag = True

    @operation("Read an escalation", response=out.EscalationSerializer, parameters=[ESCALATION_ID])
    def get(self, request: Request, pk: str) -> Response:
        return escalation_response(request, escalation_for(self.person, pk))


# --- Raising ----------------------------------------------------------------------------------


class SubjectInSerializer(Serializer):
    kind = serializers.ChoiceField(choices=enums.SUBJECT_KINDS)
    name = serializers.CharField(max_length=200)
    date_of_birth = _NotInFuture(required=False, allow_null=True, default=None)
    case_reference = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    nhs_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")

    def validate_nhs_number(self, value: str) -> str:
        if not value.strip():
            return ""
        problem = nhs_number_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return normalise_nhs_number(value)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("case_reference") and not data.get("nhs_number"):
            raise serializers.ValidationError(
                {"case_reference": ["Give a case reference, PID or NHS number."]}
            )
        return data


class EscalationRaiseApi(ApiView):
    """Raise an escalation from the person's agency against another agency of the partnership."""

    tags = TAG
    sends_etag = True
    sends_location = True
    problems = (409,)

    class InputSerializer(Serializer):
        subject = SubjectInSerializer()
        other_agency = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        counterpart = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None
        )
        category = serializers.CharField(max_length=60)
        decision_disputed = _text()
        evidence = _text()
        desired_outcome = _text()
        subject_views = _optional_text()
        immediate_risk = serializers.BooleanField(default=False)
        same_day_route_taken = serializers.BooleanField(default=False)
        start_at = serializers.IntegerField(
            min_value=1, max_value=99, required=False, allow_null=True, default=None
        )
        entry_route = serializers.CharField(
            max_length=60, required=False, allow_blank=True, default=""
        )

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            raiser: Person = self.context["raiser"]
            agencies = selectors.agencies_to_disagree_with(raiser)
            other = agencies.filter(pk=data["other_agency"]).first()
            if other is None:
                raise serializers.ValidationError(
                    {"other_agency": ["Choose another agency of your partnership."]}
                )
            data["other_agency"] = other
            if data.get("counterpart") is not None:
                counterpart = selectors.practitioners_elsewhere(raiser).filter(
                    pk=data["counterpart"], agency=other
                )
                data["counterpart"] = counterpart.first()
                if data["counterpart"] is None:
                    raise serializers.ValidationError(
                        {"counterpart": [f"Choose someone who works in {other.name}, or null."]}
                    )
            return data

    @operation(
        "Raise an escalation",
        request=InputSerializer,
        response=out.EscalationSerializer,
        status=201,
        description="The person must work in an agency; the procedure is their partnership's "
        "current one. Refusals by the procedure (a stage it does not allow, a subject it does "
        "not cover) are 409.",
    )
    def post(self, request: Request) -> Response:
        person = self.person
        if person.agency is None:
            raise PermissionDenied(
                "Only someone working in one of the partnership's agencies can raise an escalation."
            )
        policy = person.agency.partnership.current_policy()
        if policy is None:
            raise PermissionDenied("Your partnership has no escalation procedure loaded yet.")

        def raise_it() -> Response:
            data = parse(self.InputSerializer, request.data, raiser=person)
            subject = data.pop("subject")
            escalation = services.raise_escalation(
                raised_by=person,
                policy=policy,
                subject=services.SubjectDetails(
                    kind=SubjectKind(subject["kind"]),
                    name=subject["name"],
                    date_of_birth=subject["date_of_birth"],
                    case_reference=subject["case_reference"],
                    nhs_number=subject["nhs_number"],
                ),
                **data,
            )
            location = request.build_absolute_uri(
                reverse("api:escalation", kwargs={"pk": escalation.pk})
            )
            return escalation_response(request, escalation, status=201, location=location)

        return idempotent(request, raise_it)


# --- Changing an escalation ---------------------------------------------------------------------


class EscalationChangeApi(ApiView):
    """A change to one escalation: If-Match required, the new ETag returned."""

    tags = TAG
    requires_if_match = True
    sends_etag = True
    problems = (409,)
    action = Action.ACT

    def change(self, request: Request, pk: str, perform: Any) -> Response:
        """Fetch through access, then (unless replaying) check If-Match and ``perform``."""
        escalation = escalation_for(self.person, pk, self.action)

        def run() -> Response:
            revision = required_revision(request, current=escalation.revision)
            return perform(escalation, revision)  # type: ignore[no-any-return]

        return idempotent(request, run) if request.method == "POST" else run()


class ReasonSerializer(Serializer):
    reason = _text()


class EscalationEscalateApi(EscalationChangeApi):
    """Move an open escalation to the next stage of its procedure, entered today."""

    InputSerializer = ReasonSerializer

    @operation(
        "Escalate to the next stage",
        request=InputSerializer,
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            escalation = services.escalate_stage(
                escalation=escalation, actor=self.person, reason=data["reason"], revision=revision
            )
            return escalation_response(request, escalation)

        return self.change(request, pk, perform)


class EscalationWithdrawApi(EscalationChangeApi):
    """Withdraw an open escalation; it cannot be reopened."""

    InputSerializer = ReasonSerializer

    @operation(
        "Withdraw an escalation",
        request=InputSerializer,
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            escalation = services.withdraw_escalation(
                escalation=escalation, actor=self.person, reason=data["reason"], revision=revision
            )
            return escalation_response(request, escalation)

        return self.change(request, pk, perform)


class AgreedActionInSerializer(Serializer):
    description = _text()
    owner = _PersonIn()
    due_on = serializers.DateField()

    def validate_due_on(self, value: Any) -> Any:
        if value < local_today():
            raise serializers.ValidationError("The due date must be today or later.")
        return value


class EscalationResolveApi(EscalationChangeApi):
    """Resolve an open escalation with the agreed outcome and the actions agreed."""

    class InputSerializer(Serializer):
        agreed_outcome = _text()
        actions = AgreedActionInSerializer(  # type: ignore[call-arg]  # ListSerializer's own
            many=True, min_length=1, max_length=MAX_AGREED_ACTIONS
        )

    @operation(
        "Resolve an escalation with agreed actions",
        request=InputSerializer,
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data, escalation=escalation)
            escalation = services.resolve_escalation(
                escalation=escalation,
                actor=self.person,
                agreed_outcome=data["agreed_outcome"],
                actions=[services.AgreedActionDetails(**action) for action in data["actions"]],
                revision=revision,
            )
            return escalation_response(request, escalation)

        return self.change(request, pk, perform)


class EscalationCloseApi(EscalationChangeApi):
    """Close a resolved escalation once every checklist item is done or explained."""

    @operation("Close an escalation", response=out.EscalationSerializer, parameters=[ESCALATION_ID])
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            escalation = services.close_escalation(
                escalation=escalation, actor=self.person, revision=revision
            )
            return escalation_response(request, escalation)

        return self.change(request, pk, perform)


# --- Contacts -----------------------------------------------------------------------------------


class ContactListApi(ApiView):
    """Every recorded discussion, oldest stage first."""

    tags = TAG
    sends_etag = True

    @operation(
        "List an escalation's contacts",
        response=out.ContactSerializer(many=True),
        parameters=[ESCALATION_ID],
    )
    def get(self, request: Request, pk: str) -> Response:
        escalation = escalation_for(self.person, pk)
        contacts = escalation.contacts.select_related("recorded_by")
        record_api_read(request, escalation, "contacts")
        data = out.ContactSerializer(contacts, many=True).data
        return with_etag(Response(data), revision_etag(escalation.revision))


class ContactRecordApi(EscalationChangeApi):
    """Record a discussion at the current stage, as the recording template asks."""

    class InputSerializer(Serializer):
        kind = serializers.ChoiceField(choices=Contact.Kind.choices)
        between = _text()
        summary = _text()
        outcome = _text()
        decision_makers = _optional_text()
        happened_on = _NotInFuture()

    @operation(
        "Record a contact",
        request=InputSerializer,
        response=out.ContactSerializer,
        status=201,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            contact = services.record_contact(
                escalation=escalation, actor=self.person, revision=revision, **data
            )
            return etag_response(out.ContactSerializer(contact).data, escalation, status=201)

        return self.change(request, pk, perform)


# --- Agreed actions and the checklist -----------------------------------------------------------


def _agreed_action(escalation: Escalation, action_id: str) -> AgreedAction:
    action = (
        AgreedAction.objects.select_related(
            "owner", "understanding_confirmed_by", "checked_by", "escalation"
        )
        .filter(pk=int_id(action_id, "agreed action"), escalation=escalation)
        .first()
    )
    if action is None:
        raise Http404("No such agreed action.")
    return action


class AgreedActionListApi(ApiView):
    tags = ("agreed actions",)
    sends_etag = True

    @operation(
        "List an escalation's agreed actions",
        response=out.AgreedActionSerializer(many=True),
        parameters=[ESCALATION_ID],
    )
    def get(self, request: Request, pk: str) -> Response:
        escalation = escalation_for(self.person, pk)
        actions = escalation.agreed_actions.select_related(
            "owner", "understanding_confirmed_by", "checked_by"
        )
        record_api_read(request, escalation, "agreed actions")
        data = out.AgreedActionSerializer(actions, many=True).data
        return with_etag(Response(data), revision_etag(escalation.revision))


class AgreedActionConfirmApi(EscalationChangeApi):
    """Confirm that both sides share an understanding of an agreed action."""

    tags = ("agreed actions",)

    @operation(
        "Confirm shared understanding of an agreed action",
        response=out.AgreedActionSerializer,
        parameters=[ESCALATION_ID, ACTION_ID],
    )
    def post(self, request: Request, pk: str, action_id: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            action = services.confirm_understanding(
                action=_agreed_action(escalation, action_id), actor=self.person, revision=revision
            )
            return etag_response(out.AgreedActionSerializer(action).data, escalation)

        return self.change(request, pk, perform)


class AgreedActionCheckBackApi(EscalationChangeApi):
    """Check back whether an agreed action was done."""

    tags = ("agreed actions",)

    class InputSerializer(Serializer):
        implemented = serializers.BooleanField()
        note = _optional_text()

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if data["implemented"] is False and not data.get("note"):
                raise serializers.ValidationError(
                    {"note": ["Say why the action was not done and what happens next."]}
                )
            return data

    @operation(
        "Check back an agreed action",
        request=InputSerializer,
        response=out.AgreedActionSerializer,
        parameters=[ESCALATION_ID, ACTION_ID],
    )
    def post(self, request: Request, pk: str, action_id: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            action = _agreed_action(escalation, action_id)
            data = parse(self.InputSerializer, request.data)
            action = services.check_back_action(
                action=action, actor=self.person, revision=revision, **data
            )
            return etag_response(out.AgreedActionSerializer(action).data, escalation)

        return self.change(request, pk, perform)


class ChecklistApi(ApiView):
    """The checklist of the stage the escalation is at, with each answer given."""

    tags = TAG
    sends_etag = True

    @operation(
        "Read an escalation's checklist",
        response=out.ChecklistEntrySerializer(many=True),
        parameters=[ESCALATION_ID],
    )
    def get(self, request: Request, pk: str) -> Response:
        escalation = escalation_for(self.person, pk)
        ticks = list(escalation.checklist_ticks.select_related("ticked_by"))
        record_api_read(request, escalation, "checklist")
        data = out.ChecklistEntrySerializer(
            out.checklist_entries(escalation, ticks), many=True
        ).data
        return with_etag(Response(data), revision_etag(escalation.revision))


class ChecklistItemRecordApi(EscalationChangeApi):
    """Record whether one checklist item was done, or why not."""

    class InputSerializer(Serializer):
        is_done = serializers.BooleanField()
        not_done_reason = _optional_text()
        review_on = serializers.DateField(required=False, allow_null=True, default=None)

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if data["is_done"] is False and not data.get("not_done_reason"):
                raise serializers.ValidationError(
                    {"not_done_reason": ["Say why this has not been done."]}
                )
            return data

    @operation(
        "Record a checklist item",
        request=InputSerializer,
        response=out.ChecklistEntrySerializer,
        parameters=[ESCALATION_ID, CHECKLIST_ITEM],
    )
    def put(self, request: Request, pk: str, item: str) -> Response:
        try:
            checklist_item = ChecklistItem(item)
        except ValueError:
            raise Http404("No such checklist item.") from None

        def perform(escalation: Escalation, revision: int) -> Response:
            if checklist_item not in services.checklist_for(escalation):
                raise Http404("That item is not on this stage's checklist.")
            data = parse(self.InputSerializer, request.data)
            tick = services.tick_checklist_item(
                escalation=escalation,
                actor=self.person,
                item=checklist_item,
                is_done=data["is_done"],
                not_done_reason="" if data["is_done"] else data["not_done_reason"],
                review_on=data["review_on"],
                revision=revision,
            )
            entry = next(
                entry
                for entry in out.checklist_entries(escalation, [tick])
                if entry.item == checklist_item.value
            )
            return etag_response(out.ChecklistEntrySerializer(entry).data, escalation)

        return self.change(request, pk, perform)


# --- The final stage -----------------------------------------------------------------------------


class RepresentationListApi(ApiView):
    tags = ("final stage",)
    sends_etag = True

    @operation(
        "List written representations",
        response=out.RepresentationSerializer(many=True),
        parameters=[ESCALATION_ID],
    )
    def get(self, request: Request, pk: str) -> Response:
        escalation = escalation_for(self.person, pk)
        representations = escalation.representations.select_related("agency", "author").order_by(
            "submitted_at", "pk"
        )
        record_api_read(request, escalation, "representations")
        data = out.RepresentationSerializer(representations, many=True).data
        return with_etag(Response(data), revision_etag(escalation.revision))


class RepresentationSubmitApi(EscalationChangeApi):
    """A party agency's written representation to the open final stage."""

    tags = ("final stage",)

    class InputSerializer(Serializer):
        text = _text()

    @operation(
        "Submit a written representation",
        request=InputSerializer,
        response=out.RepresentationSerializer,
        status=201,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            representation = services.submit_representation(
                escalation=escalation, actor=self.person, text=data["text"], revision=revision
            )
            data = out.RepresentationSerializer(representation).data
            return etag_response(data, escalation, status=201)

        return self.change(request, pk, perform)


def _panel_data(escalation: Escalation) -> Any:
    check = services.check_panel(escalation)
    return out.PanelSerializer(
        {
            "members": list(selectors.panel_members(escalation)),
            "missing": check.missing,
            "advice": check.advice,
        }
    ).data


class PanelApi(ApiView):
    """The resolution panel: its members, and whether it may decide yet."""

    tags = ("final stage",)
    sends_etag = True

    @operation(
        "Read the resolution panel", response=out.PanelSerializer, parameters=[ESCALATION_ID]
    )
    def get(self, request: Request, pk: str) -> Response:
        escalation = escalation_for(self.person, pk)
        record_api_read(request, escalation, "panel")
        return with_etag(Response(_panel_data(escalation)), revision_etag(escalation.revision))


class PanelMemberAddApi(EscalationChangeApi):
    """Add someone from the partnership's directory to the resolution panel."""

    tags = ("final stage",)

    class InputSerializer(Serializer):
        member = _PersonIn()

    @operation(
        "Add a panel member",
        request=InputSerializer,
        response=out.PanelSerializer,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data, escalation=escalation)
            escalation = services.add_panel_member(
                escalation=escalation, actor=self.person, member=data["member"], revision=revision
            )
            return etag_response(_panel_data(escalation), escalation)

        return self.change(request, pk, perform)


class FinalDecisionRecordApi(EscalationChangeApi):
    """The final stage's decision, by the chair or a panel member; it resolves the escalation."""

    tags = ("final stage",)
    action = Action.DECIDE

    class InputSerializer(Serializer):
        decided_by_kind = serializers.ChoiceField(choices=enums.FINAL_STAGE_KINDS)
        decision = _text()
        chaired_by_agency = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None
        )

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            agency_id = data.get("chaired_by_agency")
            if agency_id is not None:
                escalation: Escalation = self.context["escalation"]
                agency = Agency.objects.filter(
                    pk=agency_id, partnership_id=escalation.partnership_id
                ).first()
                if agency is None:
                    raise serializers.ValidationError(
                        {"chaired_by_agency": ["Choose an agency of the partnership."]}
                    )
                data["chaired_by_agency"] = agency
            return data

    @operation(
        "Record the final decision",
        request=InputSerializer,
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data, escalation=escalation)
            services.record_final_decision(
                escalation=escalation,
                actor=self.person,
                decided_by_kind=FinalStageKind(data["decided_by_kind"]),
                decision=data["decision"],
                chaired_by_agency=data["chaired_by_agency"],
                revision=revision,
            )
            return escalation_response(request, escalation)

        return self.change(request, pk, perform)


# --- History and practice issues -------------------------------------------------------------


class EscalationHistoryApi(ApiView):
    """The escalation's audit trail, oldest first."""

    tags = TAG
    pagination_class = OldestFirstCursor

    @operation(
        "Read an escalation's history",
        response=out.HistoryEventSerializer(many=True),
        parameters=[ESCALATION_ID],
    )
    def get(self, request: Request, pk: str) -> Response:
        escalation = escalation_for(self.person, pk)
        events = AuditEvent.objects.filter(escalation=escalation).select_related("actor")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(events, request, view=self)
        record_api_read(request, escalation, "history")
        return paginator.get_paginated_response(out.HistoryEventSerializer(page, many=True).data)


class PracticeIssueRecordApi(EscalationChangeApi):
    """The lead agency's latest word on the policy or practice issues an escalation reveals."""

    tags = ("reporting",)

    class InputSerializer(Serializer):
        issue = _text()
        is_resolved = serializers.BooleanField()

    @operation(
        "Record a policy or practice issue",
        request=InputSerializer,
        response=out.PracticeIssueSerializer,
        status=201,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            # The service takes no revision: check it here (it does not change the revision).
            if revision != selectors.current_revision(escalation):
                raise PreconditionFailed(services.what_changed(escalation, since=revision))
            data = parse(self.InputSerializer, request.data)
            issue = record_practice_issue(
                escalation=escalation,
                actor=self.person,
                issue=data["issue"],
                is_resolved=data["is_resolved"],
            )
            return etag_response(out.PracticeIssueSerializer(issue).data, escalation, status=201)

        return self.change(request, pk, perform)
