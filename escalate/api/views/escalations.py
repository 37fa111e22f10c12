"""Escalations: one class per operation, calling the same services as the browser.

Every escalation is fetched through ``escalations.access`` (404 when the person may not
see it). Who may make which move, and every other rule, is the service's answer: its
refusal is a 409 whose ``detail`` is the sentence the browser shows. Input serializers
only shape input (types, required fields, lengths); ids of people and agencies are
looked up as given and passed to the service, which refuses anyone outside the
escalation's partnership with the same sentence as an id that names nobody. Changes
take ``If-Match`` and pass its revision to the service, which refuses a stale one (412).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
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
from escalate.api.fields import (
    ApiNhsNumber,
    FilterText,
    ProcedureKey,
    long_text,
    optional_long_text,
    short_text,
)
from escalate.api.idempotency import idempotent
from escalate.api.pagination import Cursor, OldestFirstCursor, Window, reading_cursor
from escalate.api.problems import PreconditionFailed
from escalate.api.records import case_view
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
    visible_record_for,
)
from escalate.audit.models import AuditEvent
from escalate.domain import moves
from escalate.domain.engine import TransitionRefused
from escalate.domain.policy import ChecklistItem, FinalStageKind, SubjectKind
from escalate.escalations import selectors, services
from escalate.escalations.access import escalations_visible_to, involvement_only_holds
from escalate.escalations.clock import local_today
from escalate.escalations.forms import MAX_AGREED_ACTIONS
from escalate.escalations.models import (
    AgreedAction,
    Appointment,
    Contact,
    Correction,
    Escalation,
    Involvement,
    Party,
)
from escalate.escalations.selectors import involved_ids, latest_decision
from escalate.organisations.models import Agency, Person
from escalate.reporting.services import record_good_practice, record_practice_issue

TAG = ("escalations",)
ESCALATION_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The escalation's id."
)
PERSON_ID = OpenApiParameter(
    "person_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The person's id."
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


def _person(pk: int | None) -> Person | None:
    """A person's id, looked up as given: ``Person``, or None when it names nobody.

    Never narrowed to a partnership here: the service refuses a person outside the
    escalation's partnership with the same sentence as an id that names nobody.
    """
    if pk is None:
        return None
    return Person.objects.select_related("agency").filter(pk=pk).first()


def _agency(pk: int) -> Agency | None:
    """The agency as given; the service refuses one outside the partnership (409)."""
    return Agency.objects.filter(pk=pk).first()


def _named_person(pk: int | None) -> Person | None:
    """An optional person (a counterpart, a party's practitioner) named by id.

    None in the services means "nobody named", so an id that names nobody cannot be
    passed as None: it is refused here with the services' own sentence for a person
    outside the partnership (``moves.NOT_IN_PARTNERSHIP``), the answer another
    partnership's person gets from the service.
    """
    person = _person(pk)
    if pk is not None and person is None:
        raise TransitionRefused(moves.NOT_IN_PARTNERSHIP)
    return person


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- Listing and reading ------------------------------------------------------------------


class EscalationListApi(ApiView):
    """The escalations the person may see, newest recorded first, with the browser's access
    rule. The cursor's order is served by the ``escalation_created`` index for
    partnership-wide viewers, and by the involvement rows' ``created_at`` for everyone else
    (``_involved_candidates``; decision 8)."""

    tags = TAG
    pagination_class = Cursor

    class FilterSerializer(Serializer):
        status = serializers.ChoiceField(choices=Escalation.Status.choices, required=False)
        stage = serializers.IntegerField(min_value=1, max_value=99, required=False)
        agency = serializers.IntegerField(
            min_value=1,
            max_value=MAX_ID,
            required=False,
            help_text="Any agency in the disagreement, on either side.",
        )
        partnership = serializers.SlugField(max_length=50, required=False)
        category = FilterText(max_length=60)
        deadline = serializers.ChoiceField(
            choices=[
                ("overdue", "Open and past its stage's due date"),
                ("due", "Open and due today or overdue"),
            ],
            required=False,
        )
        overdue = serializers.BooleanField(
            required=False, default=False, help_text="Only open ones past their stage's due date."
        )
        raised_from = serializers.DateField(required=False)
        raised_to = serializers.DateField(
            required=False, help_text="Inclusive; a range that ends before it starts holds none."
        )
        reference = FilterText(max_length=20)

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
        candidates = _involved_candidates(self.person, filters, paginator.window(request), today)
        if candidates is not None:
            escalations = escalations.filter(pk__in=candidates)
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


def _involved_candidates(
    person: Person, filters: dict[str, Any], window: Window, today: Any
) -> list[UUID] | None:
    """For someone who sees only their involvements, the ids among which the page lies,
    read from their involvement rows in the cursor's order (``Involvement.created_at``):
    the database never walks other people's escalations looking for theirs. None for
    partnership-wide viewers, whose lists the partnership indexes serve."""
    holds = involvement_only_holds(person)
    if holds is None:
        return None
    key = window.order_field

    def narrow(rows: QuerySet[Involvement]) -> QuerySet[Involvement]:
        rows = _filtered(rows, filters, today=today, through="escalation")
        if window.after is None:
            return rows
        return rows.filter(**{f"{key}__{'lt' if window.descending else 'gt'}": window.after})

    with reading_cursor():  # a forged position fails on its first use
        return involved_ids(holds, narrow, key=key, descending=window.descending, first=window.rows)


def _filtered(
    escalations: QuerySet[Any], filters: dict[str, Any], *, today: Any, through: str = ""
) -> QuerySet[Any]:
    """``escalations`` narrowed by the list's filters; ``through`` names the escalation
    where the rows are another model's (``Involvement.escalation``)."""
    prefix = f"{through}__" if through else ""
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
        **{
            prefix + lookup: filters[name]
            for name, lookup in simple.items()
            if filters.get(name) not in (None, "")  # a blank filter filters nothing
        }
    )
    if "agency" in filters:
        outer = OuterRef(f"{through}_id" if through else "pk")
        parties = Party.objects.filter(escalation=outer, agency_id=filters["agency"])
        escalations = escalations.filter(Exists(parties))
    deadline = filters.get("deadline") or ("overdue" if filters.get("overdue") else None)
    if deadline:
        lookup = "stage_due_on__lt" if deadline == "overdue" else "stage_due_on__lte"
        escalations = escalations.filter(
            **{f"{prefix}status": Escalation.Status.OPEN, prefix + lookup: today}
        )
    return escalations


class EscalationDetailApi(ApiView):
    """The whole record, as on the escalation's page; its ETag is the revision."""

    tags = TAG
    sends_etag = True

    @operation("Read an escalation", response=out.EscalationSerializer, parameters=[ESCALATION_ID])
    def get(self, request: Request, pk: str) -> Response:
        record = visible_record_for(self.person, pk)
        return escalation_response(request, record.escalation, record=record)


# --- Raising ----------------------------------------------------------------------------------


class SubjectInSerializer(Serializer):
    """The child or adult. Give ``case_reference`` or ``nhs_number``, or both: the
    procedure's form needs one, and a raise with neither is refused (409)."""

    kind = serializers.ChoiceField(choices=enums.SUBJECT_KINDS)
    name = short_text()
    # One in the future is refused by the service, as the form refuses it (409).
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    case_reference = short_text(max_length=60, required=False, allow_blank=True, default="")
    nhs_number = ApiNhsNumber()


class EscalationRaiseApi(ApiView):
    """Raise an escalation from the person's agency against another agency of the partnership."""

    tags = TAG
    sends_etag = True
    sends_location = True
    problems = (409,)

    class InputSerializer(Serializer):
        subject = SubjectInSerializer()
        other_agency = _id()
        counterpart = _id(required=False, allow_null=True, default=None)
        # One of the procedure's categories, as given: anything else is refused (409).
        category = ProcedureKey()
        decision_disputed = long_text()
        evidence = long_text()
        desired_outcome = long_text()
        subject_views = optional_long_text()
        immediate_risk = serializers.BooleanField(default=False)
        same_day_route_taken = serializers.BooleanField(default=False)
        start_at = serializers.IntegerField(
            min_value=1, max_value=99, required=False, allow_null=True, default=None
        )
        entry_route = ProcedureKey(required=False, allow_blank=True, default="")

    @operation(
        "Raise an escalation",
        request=InputSerializer,
        response=out.EscalationSerializer,
        status=201,
        description="The person must work in an agency; the procedure is their partnership's "
        "current one. Refusals by the procedure (a stage it does not allow, a subject it does "
        "not cover, an agency or counterpart outside the partnership) are 409.",
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
            data = parse(self.InputSerializer, request.data)
            subject = data.pop("subject")
            data["other_agency"] = _agency(data["other_agency"])
            data["counterpart"] = _named_person(data["counterpart"])
            raised = services.raise_escalation(
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
            escalation = raised.escalation
            location = request.build_absolute_uri(
                reverse("api:escalation", kwargs={"pk": escalation.pk})
            )
            return escalation_response(
                request,
                escalation,
                status=201,
                location=location,
                record=selectors.new_escalation_record(raised),
            )

        return idempotent(request, raise_it)


# --- Changing an escalation ---------------------------------------------------------------------


class EscalationChangeApi(ApiView):
    """A change to one escalation: If-Match required, the new ETag returned."""

    tags = TAG
    requires_if_match = True
    sends_etag = True
    problems = (409,)

    def change(self, request: Request, pk: str, perform: Any) -> Response:
        """Fetch through access, then (unless replaying) check If-Match and ``perform``."""
        escalation = escalation_for(self.person, pk)

        def run() -> Response:
            revision = required_revision(request, current=escalation.revision)
            return perform(escalation, revision)  # type: ignore[no-any-return]

        return idempotent(request, run) if request.method == "POST" else run()


class ReasonSerializer(Serializer):
    reason = long_text()


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
    """The raising side withdraws an open escalation, with a reason every party hears."""

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
    description = long_text()
    owner = _id(help_text="Someone in the escalation's partnership.")
    due_on = serializers.DateField()


class EscalationResolveApi(EscalationChangeApi):
    """Record a resolution with its agreed actions, for the other agencies to confirm."""

    class InputSerializer(Serializer):
        agreed_outcome = long_text()
        actions = AgreedActionInSerializer(  # type: ignore[call-arg]  # ListSerializer's own
            many=True, min_length=1, max_length=MAX_AGREED_ACTIONS
        )

    @operation(
        "Resolve an escalation with agreed actions",
        request=InputSerializer,
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
        description="Where the stage involves both sides, this proposes the resolution: the "
        "escalation stays open (its `proposal` says so, `waiting_on` is `confirmation`) until "
        "the acting rung of every other party agency confirms it "
        "(`POST .../resolution/confirm/`). Where the stage involves one side only, it resolves "
        "at once.",
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            escalation = services.resolve_escalation(
                escalation=escalation,
                actor=self.person,
                agreed_outcome=data["agreed_outcome"],
                actions=[
                    services.AgreedActionDetails(
                        description=action["description"],
                        # An id that names nobody is None: the service refuses it with the
                        # sentence it gives for someone outside the partnership.
                        owner=_person(action["owner"]),
                        due_on=action["due_on"],
                    )
                    for action in data["actions"]
                ],
                revision=revision,
            )
            return escalation_response(request, escalation)

        return self.change(request, pk, perform)


class EscalationResolutionConfirmApi(EscalationChangeApi):
    """Another party agency's acting rung agrees the proposed resolution."""

    @operation(
        "Confirm a proposed resolution",
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
        description="Once every other party agency has confirmed, the stage ends resolved and "
        "the proposal's agreed actions begin.",
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            escalation = services.confirm_resolution(
                escalation=escalation, actor=self.person, revision=revision
            )
            return escalation_response(request, escalation)

        return self.change(request, pk, perform)


class EscalationReopenApi(EscalationChangeApi):
    """After a failed check-back, open the stage again or take it to the next one."""

    class InputSerializer(Serializer):
        reason = long_text()
        to_next_stage = serializers.BooleanField(
            default=False, help_text="Take it to the next stage instead of the same one."
        )

    @operation(
        "Reopen an escalation",
        request=InputSerializer,
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            escalation = services.reopen_escalation(
                escalation=escalation,
                actor=self.person,
                reason=data["reason"],
                to_next_stage=data["to_next_stage"],
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
        contacts = escalation.contacts.select_related(
            "recorded_by", "latest_correction"
        ).prefetch_related(
            Prefetch("corrections", queryset=Correction.objects.select_related("corrected_by"))
        )
        record_api_read(request, escalation, "contacts")
        data = out.ContactSerializer(contacts, many=True).data
        return with_etag(Response(data), revision_etag(escalation.revision))


class ContactRecordApi(EscalationChangeApi):
    """Record a discussion at the current stage, as the recording template asks."""

    class InputSerializer(Serializer):
        kind = serializers.ChoiceField(choices=Contact.Kind.choices)
        between = long_text()
        summary = long_text()
        outcome = long_text()
        decision_makers = optional_long_text()
        happened_on = serializers.DateField()

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


CONTACT_ID = OpenApiParameter(
    "contact_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The contact's id."
)


class ContactCorrectApi(EscalationChangeApi):
    """Correct a recorded contact, with why (decision 0025). Answers left out keep the
    text they read as now; the contact as first recorded stays in ``as_recorded``. Only
    its author, their line manager or a manager of their agency involved in the case may."""

    class InputSerializer(Serializer):
        kind = serializers.ChoiceField(choices=Contact.Kind.choices, required=False)
        between = long_text(required=False)
        summary = long_text(required=False)
        outcome = long_text(required=False)
        decision_makers = long_text(required=False, allow_blank=True)
        happened_on = serializers.DateField(required=False)
        reason = long_text(help_text="What was wrong; everyone who sees the case reads it.")

    @operation(
        "Correct a contact",
        request=InputSerializer,
        response=out.ContactSerializer,
        status=201,
        parameters=[ESCALATION_ID, CONTACT_ID],
    )
    def post(self, request: Request, pk: str, contact_id: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            contact = _contact(escalation, contact_id)
            data = parse(self.InputSerializer, request.data)
            reason = data.pop("reason")
            services.correct_contact(
                contact=contact,
                actor=self.person,
                version=replace(contact.current, **data),
                reason=reason,
                revision=revision,
            )
            contact = _contact(escalation, contact_id)
            return etag_response(out.ContactSerializer(contact).data, escalation, status=201)

        return self.change(request, pk, perform)


def _contact(escalation: Escalation, contact_id: str) -> Contact:
    contact = (
        Contact.objects.select_related("recorded_by", "latest_correction", "escalation")
        .prefetch_related(
            Prefetch("corrections", queryset=Correction.objects.select_related("corrected_by"))
        )
        .filter(pk=int_id(contact_id, "contact"), escalation=escalation)
        .first()
    )
    if contact is None:
        raise Http404("No such contact.")
    return contact


# --- The agencies in the disagreement ------------------------------------------------------


class PartyAddApi(EscalationChangeApi):
    """Another agency joins the disagreement, on the raising or the challenged side."""

    class InputSerializer(Serializer):
        agency = _id(help_text="An agency of the escalation's partnership.")
        side = serializers.ChoiceField(choices=enums.SIDES)
        practitioner = _id(
            required=False,
            allow_null=True,
            default=None,
            help_text="Someone who works in that agency, or null if not known.",
        )

    @operation(
        "Add an agency to the disagreement",
        request=InputSerializer,
        response=out.PartySerializer,
        status=201,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            party = services.add_party(
                escalation=escalation,
                actor=self.person,
                agency=_agency(data["agency"]),
                side=moves.Side(data["side"]),
                practitioner=_named_person(data["practitioner"]),
                revision=revision,
            )
            return etag_response(out.PartySerializer(party).data, escalation, status=201)

        return self.change(request, pk, perform)


class LeadAgencySetApi(EscalationChangeApi):
    """Record which party agency completes the Escalation Notification Form."""

    class InputSerializer(Serializer):
        agency = _id(help_text="One of the agencies in the disagreement.")

    @operation(
        "Choose the lead agency",
        request=InputSerializer,
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
    )
    def put(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            escalation = services.set_lead_agency(
                escalation=escalation,
                actor=self.person,
                agency=_agency(data["agency"]),
                revision=revision,
            )
            return escalation_response(request, escalation)

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
        note = optional_long_text(
            help_text="Needed when it was not done: why, and what happens next."
        )

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
        record_api_read(request, escalation, "checklist")
        entries = case_view(self.person, escalation).checklist
        data = out.ChecklistEntrySerializer(entries, many=True).data
        return with_etag(Response(data), revision_etag(escalation.revision))


class ChecklistItemRecordApi(EscalationChangeApi):
    """Record whether one checklist item was done, or why not: for the person's own agency
    where each agency answers the item for itself."""

    class InputSerializer(Serializer):
        is_done = serializers.BooleanField()
        not_done_reason = optional_long_text(help_text="Needed when it has not been done.")
        review_on = serializers.DateField(
            required=False,
            allow_null=True,
            default=None,
            help_text="Needed for the review-date item when it has been done.",
        )

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
                for entry in case_view(self.person, escalation).checklist
                if entry.item == checklist_item.value
                and (entry.agency.pk if entry.agency else None) == tick.agency_id
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
        text = long_text()

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
    escalation.refresh_from_db(fields=["panel_reason"])
    appointments = list(
        escalation.appointments.filter(ended_at=None).select_related("person").order_by("pk")
    )
    chair = next((a.person for a in appointments if a.role == Appointment.Role.MEETING_CHAIR), None)
    return out.PanelSerializer(
        {
            "members": [a.person for a in appointments if a.role == Appointment.Role.PANEL_MEMBER],
            "chair": chair,
            "reason": escalation.panel_reason,
            "missing": services.check_panel(escalation).missing,
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
    """Appoint someone holding the partnership's panel or board roles to the resolution panel."""

    tags = ("final stage",)

    class InputSerializer(Serializer):
        member = _id(help_text="The person's id; nobody can appoint themselves.")

    @operation(
        "Add a panel member",
        request=InputSerializer,
        response=out.PanelSerializer,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            escalation = services.add_panel_member(
                escalation=escalation,
                actor=self.person,
                member=_person(data["member"]),
                revision=revision,
            )
            return etag_response(_panel_data(escalation), escalation)

        return self.change(request, pk, perform)


class PanelMemberRemoveApi(EscalationChangeApi):
    """Take someone off the resolution panel; the record keeps that they were appointed."""

    tags = ("final stage",)

    @operation(
        "Remove a panel member",
        response=out.PanelSerializer,
        parameters=[ESCALATION_ID, PERSON_ID],
    )
    def delete(self, request: Request, pk: str, person_id: str) -> Response:
        member = _person(int_id(person_id, "person"))

        def perform(escalation: Escalation, revision: int) -> Response:
            escalation = services.remove_panel_member(
                escalation=escalation, actor=self.person, member=member, revision=revision
            )
            return etag_response(_panel_data(escalation), escalation)

        return self.change(request, pk, perform)


class MeetingChairAppointApi(EscalationChangeApi):
    """Appoint the final meeting's independent or uninvolved-agency chair."""

    tags = ("final stage",)

    class InputSerializer(Serializer):
        chair = _id(
            help_text="Someone holding the partnership's board or panel roles, from no agency "
            "in the disagreement; nobody can appoint themselves."
        )

    @operation(
        "Appoint the meeting's chair",
        request=InputSerializer,
        response=out.PanelSerializer,
        parameters=[ESCALATION_ID],
        description="Appointing another chair ends the previous chair's appointment.",
    )
    def put(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            escalation = services.appoint_meeting_chair(
                escalation=escalation,
                actor=self.person,
                chair=_person(data["chair"]),
                revision=revision,
            )
            return etag_response(_panel_data(escalation), escalation)

        return self.change(request, pk, perform)


class PanelReasonRecordApi(EscalationChangeApi):
    """Why the agencies in the disagreement are not all on the panel ("where possible")."""

    tags = ("final stage",)

    class InputSerializer(Serializer):
        reason = long_text()

    @operation(
        "Record why the panel is made up as it is",
        request=InputSerializer,
        response=out.PanelSerializer,
        parameters=[ESCALATION_ID],
    )
    def put(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            escalation = services.record_panel_reason(
                escalation=escalation, actor=self.person, reason=data["reason"], revision=revision
            )
            return etag_response(_panel_data(escalation), escalation)

        return self.change(request, pk, perform)


class FinalDecisionRecordApi(EscalationChangeApi):
    """The final stage's decision, by whoever the procedure says decides; it resolves the
    escalation. A meeting's chairing agency is the appointed chair's."""

    tags = ("final stage",)

    class InputSerializer(Serializer):
        decided_by_kind = serializers.ChoiceField(choices=enums.FINAL_STAGE_KINDS)
        decision = long_text()

    @operation(
        "Record the final decision",
        request=InputSerializer,
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            data = parse(self.InputSerializer, request.data)
            services.record_final_decision(
                escalation=escalation,
                actor=self.person,
                decided_by_kind=FinalStageKind(data["decided_by_kind"]),
                decision=data["decision"],
                revision=revision,
            )
            return escalation_response(request, escalation)

        return self.change(request, pk, perform)


class FinalDecisionCorrectApi(EscalationChangeApi):
    """Correct the wording of the final decision, with why (decision 0025): who decided,
    how and when stay as recorded. Only the person who recorded it, their line manager or a
    manager of their agency involved in the case may."""

    tags = ("final stage",)

    class InputSerializer(Serializer):
        decision = long_text(help_text="The decision as it should read.")
        reason = long_text(help_text="What was wrong; everyone who sees the case reads it.")

    @operation(
        "Correct the final decision",
        request=InputSerializer,
        response=out.EscalationSerializer,
        parameters=[ESCALATION_ID],
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            decision = latest_decision(escalation)
            if decision is None:
                raise Http404("This escalation has no final decision to correct.")
            data = parse(self.InputSerializer, request.data)
            services.correct_decision(
                decision=decision,
                actor=self.person,
                text=data["decision"],
                reason=data["reason"],
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
        issue = long_text()
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


class GoodPracticeRecordApi(EscalationChangeApi):
    """Recognise good multi-agency practice seen in an escalation, at any status."""

    tags = ("reporting",)

    class InputSerializer(Serializer):
        description = long_text(
            help_text="The good multi-agency practice you saw. "
            "Do not include the child's or adult's name."
        )

    @operation(
        "Recognise good practice",
        request=InputSerializer,
        response=out.GoodPracticeSerializer,
        status=201,
        parameters=[ESCALATION_ID],
        description="Anyone involved in the escalation, and the partnership's business manager "
        "and chair, may (decision 0013); others who may only read it get 409 with the sentence "
        "the browser shows.",
    )
    def post(self, request: Request, pk: str) -> Response:
        def perform(escalation: Escalation, revision: int) -> Response:
            # The service takes no revision: check it here (it does not change the revision).
            if revision != selectors.current_revision(escalation):
                raise PreconditionFailed(services.what_changed(escalation, since=revision))
            data = parse(self.InputSerializer, request.data)
            entry = record_good_practice(
                escalation=escalation, actor=self.person, description=data["description"]
            )
            return etag_response(out.GoodPracticeSerializer(entry).data, escalation, status=201)

        return self.change(request, pk, perform)
