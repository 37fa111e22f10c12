"""Output serializers shared by several operations: what the API says about each thing.

Each operation class declares its own input serializer; the representations of an
escalation, a person or a policy are the same wherever they appear, so they live here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from escalate.api import enums
from escalate.api.records import CaseView
from escalate.domain import engine
from escalate.domain.policy import CHECKLIST_LABELS, PolicyRules
from escalate.escalations.clock import calendar_for
from escalate.escalations.models import (
    AgreedAction,
    Contact,
    Escalation,
    FinalDecision,
    StageEntry,
    corrections_of,
)
from escalate.escalations.selectors import EscalationRecord
from escalate.organisations.models import Person
from escalate.reporting.models import BoardAction
from escalate.reporting.selectors import BoardActionRow

if TYPE_CHECKING:
    Serializer = serializers.Serializer[Any]
else:
    Serializer = serializers.Serializer


# --- References ----------------------------------------------------------------------------


class PersonRefSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AgencyRefSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- Partnerships and procedures -------------------------------------------------------------


class PartnershipSerializer(Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    current_policy_version = serializers.IntegerField(allow_null=True)


class DeadlineSerializer(Serializer):
    kind = serializers.ChoiceField(choices=enums.DEADLINE_KINDS)
    days = serializers.IntegerField(allow_null=True)
    description = serializers.CharField(source="describe")


class LabelledSerializer(Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class JobTitlesSerializer(Serializer):
    agency_kind = serializers.ChoiceField(choices=enums.AGENCY_KINDS)
    titles = serializers.ListField(child=serializers.CharField())


class PanelRuleSerializer(Serializer):
    min_agencies = serializers.IntegerField()
    include_disputing_agencies = serializers.BooleanField()


class FinalStageRuleSerializer(Serializer):
    decided_by = serializers.ListField(child=serializers.ChoiceField(enums.FINAL_STAGE_KINDS))
    panel = PanelRuleSerializer(allow_null=True)
    reports_to = serializers.CharField()
    recommendation_working_days = serializers.IntegerField(allow_null=True)
    written_representations = serializers.BooleanField()


class StageRuleSerializer(Serializer):
    number = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    summary = serializers.CharField()
    ladder_role = serializers.ChoiceField(choices=enums.LADDER_ROLES, allow_null=True)
    deadline = DeadlineSerializer()
    on_entry = serializers.ListField(child=serializers.ChoiceField(enums.STAGE_ACTIONS))
    on_outcome = serializers.ListField(child=serializers.ChoiceField(enums.STAGE_ACTIONS))
    checklist = serializers.SerializerMethodField()
    job_titles = serializers.SerializerMethodField()
    final = FinalStageRuleSerializer(allow_null=True)

    @extend_schema_field(LabelledSerializer(many=True))
    def get_checklist(self, stage: Any) -> list[dict[str, str]]:
        return [{"key": item.value, "label": CHECKLIST_LABELS[item]} for item in stage.checklist]

    @extend_schema_field(JobTitlesSerializer(many=True))
    def get_job_titles(self, stage: Any) -> list[dict[str, Any]]:
        return [
            {"agency_kind": kind.value, "titles": list(titles)} for kind, titles in stage.job_titles
        ]


class ImmediateRiskSerializer(Serializer):
    may_start_at = serializers.ListField(child=serializers.IntegerField())
    guidance = serializers.CharField()
    first_action_same_day = serializers.BooleanField()


class EntryRouteSerializer(Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    enters_at = serializers.IntegerField()
    description = serializers.CharField()


class PolicyContactSerializer(Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    kind = serializers.ChoiceField(choices=enums.POLICY_CONTACT_KINDS)
    organisation = serializers.CharField()
    covers = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(enums.SUBJECT_KINDS)))
    def get_covers(self, contact: Any) -> list[str]:
        return sorted(kind.value for kind in contact.covers)


class PolicyVersionSerializer(Serializer):
    """One version of a partnership's procedure, briefly."""

    partnership = serializers.CharField(source="partnership.slug")
    version = serializers.IntegerField()
    title = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    sha256 = serializers.CharField()
    loaded_at = serializers.DateTimeField()


class PolicySerializer(PolicyVersionSerializer):
    """The whole procedure: stages, deadlines, categories, contacts."""

    covers = serializers.SerializerMethodField()
    nation = serializers.ChoiceField(choices=enums.NATIONS, source="rules.nation")
    target = DeadlineSerializer(source="rules.target")
    stages = StageRuleSerializer(many=True, source="rules.stages")
    categories = LabelledSerializer(many=True, source="rules.categories")
    immediate_risk = ImmediateRiskSerializer(source="rules.immediate_risk")
    entry_routes = EntryRouteSerializer(many=True, source="rules.entry_routes")
    contacts = PolicyContactSerializer(many=True, source="rules.contacts")
    notes = serializers.ListField(child=serializers.CharField(), source="rules.notes")

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(enums.SUBJECT_KINDS)))
    def get_covers(self, policy: Any) -> list[str]:
        return sorted(kind.value for kind in policy.rules.covers)


class TimelineStageSerializer(Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    entered_on = serializers.DateField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)


class TimelineSerializer(Serializer):
    raised_on = serializers.DateField()
    target_due_on = serializers.DateField(allow_null=True)
    stages = TimelineStageSerializer(many=True)


# --- The directory -----------------------------------------------------------------------------


class AgencySerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=enums.AGENCY_KINDS)
    partnership = serializers.CharField(source="partnership.slug")


class PartnershipRoleSerializer(Serializer):
    partnership = serializers.CharField(source="partnership.slug")
    role = serializers.ChoiceField(choices=enums.PARTNERSHIP_ROLES)


class PersonSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    job_title = serializers.CharField()
    agency = AgencyRefSerializer(allow_null=True)
    ladder_role = serializers.SerializerMethodField()
    line_manager = PersonRefSerializer(allow_null=True)
    is_active = serializers.BooleanField()
    partnership_roles = PartnershipRoleSerializer(many=True, source="partnership_roles.all")

    @extend_schema_field(serializers.ChoiceField(choices=enums.LADDER_ROLES, allow_null=True))
    def get_ladder_role(self, person: Person) -> str | None:
        return person.ladder_role or None


# --- Escalations ------------------------------------------------------------------------------


DEADLINE_STATES = enums.DEADLINE_STATES


def _deadline_state(escalation: Escalation, rules: PolicyRules, today: date) -> str:
    due = escalation.stage_due_on if escalation.status == Escalation.Status.OPEN else None
    return engine.deadline_state(due, today=today, calendar=calendar_for(rules)).value


def _stage_name(rules: PolicyRules, number: int) -> str:
    try:
        return rules.stage(number).name
    except KeyError:
        return ""


class EscalationSummarySerializer(Serializer):
    """An escalation in a list: no subject, no narrative.

    Context: ``rules`` (policy id to ``PolicyRules``) and ``today``.
    """

    id = serializers.UUIDField()
    reference = serializers.CharField()
    partnership = serializers.CharField(source="partnership.slug")
    status = serializers.ChoiceField(choices=Escalation.Status.choices)
    stage_number = serializers.IntegerField()
    stage_name = serializers.SerializerMethodField()
    stage_due_on = serializers.DateField(allow_null=True)
    deadline_state = serializers.SerializerMethodField()
    category = serializers.CharField()
    immediate_risk = serializers.BooleanField()
    raised_on = serializers.DateField()
    raising_agency = AgencyRefSerializer()
    other_agency = AgencyRefSerializer()
    closed_at = serializers.DateTimeField(allow_null=True)
    waiting_on = serializers.ChoiceField(choices=enums.WAITING_ON)
    revision = serializers.IntegerField()

    def _rules(self, escalation: Escalation) -> PolicyRules:
        rules: dict[int, PolicyRules] = self.context["rules"]
        return rules[escalation.policy_id]

    def get_stage_name(self, escalation: Escalation) -> str:
        return _stage_name(self._rules(escalation), escalation.stage_number)

    @extend_schema_field(serializers.ChoiceField(choices=DEADLINE_STATES))
    def get_deadline_state(self, escalation: Escalation) -> str:
        return _deadline_state(escalation, self._rules(escalation), self.context["today"])


class SubjectSerializer(Serializer):
    kind = serializers.ChoiceField(choices=enums.SUBJECT_KINDS)
    name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    case_reference = serializers.CharField()
    nhs_number = serializers.CharField()


class StageEntrySerializer(Serializer):
    number = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    entered_on = serializers.DateField()
    due_on = serializers.DateField(allow_null=True)
    outcome = serializers.SerializerMethodField()
    outcome_reason = serializers.CharField()
    ended_on = serializers.DateField(allow_null=True)

    def get_name(self, entry: StageEntry) -> str:
        return _stage_name(entry.escalation.policy.rules, entry.number)

    @extend_schema_field(
        serializers.ChoiceField(choices=StageEntry.Outcome.choices, allow_null=True)
    )
    def get_outcome(self, entry: StageEntry) -> str | None:
        return entry.outcome or None


class ContactAnswersSerializer(Serializer):
    """One version of a contact's answers (``models.ContactVersion``)."""

    kind = serializers.ChoiceField(choices=Contact.Kind.choices)
    between = serializers.CharField()
    summary = serializers.CharField()
    outcome = serializers.CharField()
    decision_makers = serializers.CharField()
    happened_on = serializers.DateField()


class CorrectionSerializer(Serializer):
    """A correction (decision 0025): who, when, why; the answers as they left them are the
    entry's current ones, or, for an earlier correction, superseded by a later one."""

    id = serializers.IntegerField()
    corrected_by = PersonRefSerializer()
    corrected_at = serializers.DateTimeField()
    reason = serializers.CharField()


def _corrections(entry: Contact | FinalDecision) -> list[dict[str, Any]]:
    return list(CorrectionSerializer(corrections_of(entry), many=True).data)


class ContactSerializer(Serializer):
    """A contact as it now reads; ``as_recorded`` and ``corrections`` say how it came to."""

    id = serializers.IntegerField()
    stage_number = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Contact.Kind.choices, source="current.kind")
    between = serializers.CharField(source="current.between")
    summary = serializers.CharField(source="current.summary")
    outcome = serializers.CharField(source="current.outcome")
    decision_makers = serializers.CharField(source="current.decision_makers")
    happened_on = serializers.DateField(source="current.happened_on")
    recorded_by = PersonRefSerializer()
    recorded_at = serializers.DateTimeField()
    as_recorded = ContactAnswersSerializer(help_text="The answers as first recorded.")
    corrections = serializers.SerializerMethodField(help_text="Oldest first; empty if never.")

    @extend_schema_field(CorrectionSerializer(many=True))
    def get_corrections(self, contact: Contact) -> list[dict[str, Any]]:
        return _corrections(contact)


class AgreedActionSerializer(Serializer):
    id = serializers.IntegerField()
    stage_number = serializers.IntegerField()
    description = serializers.CharField()
    owner = PersonRefSerializer()
    due_on = serializers.DateField()
    understanding_confirmed_at = serializers.DateTimeField(allow_null=True)
    understanding_confirmed_by = PersonRefSerializer(allow_null=True)
    implementation = serializers.ChoiceField(choices=AgreedAction.Implementation.choices)
    checked_at = serializers.DateTimeField(allow_null=True)
    checked_by = PersonRefSerializer(allow_null=True)
    check_note = serializers.CharField()
    superseded_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Set when the escalation was reopened after a failed check-back: a new "
        "resolution agrees new actions, and this one stays on the record.",
    )


CHECKLIST_STATES = enums.CHECKLIST_STATES


class ChecklistEntrySerializer(Serializer):
    """One answer the checklist of the stage needs (``records.ChecklistEntry``)."""

    item = serializers.ChoiceField(choices=enums.CHECKLIST_ITEMS)
    label = serializers.CharField()  # type: ignore[assignment]
    agency = AgencyRefSerializer(
        allow_null=True, help_text="The agency answering, for items each agency answers."
    )
    answered_by = serializers.ChoiceField(
        choices=enums.CHECKLIST_ANSWERED_BY,
        help_text="`record`: Escalate answers it from the record; nobody ticks it.",
    )
    state = serializers.ChoiceField(choices=CHECKLIST_STATES)
    not_done_reason = serializers.CharField()
    review_on = serializers.DateField(allow_null=True)
    recorded_by = PersonRefSerializer(allow_null=True)
    recorded_at = serializers.DateTimeField(allow_null=True)


class RepresentationSerializer(Serializer):
    id = serializers.IntegerField()
    agency = AgencyRefSerializer()
    author = PersonRefSerializer()
    text = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class FinalDecisionSerializer(Serializer):
    id = serializers.IntegerField()
    decided_by_kind = serializers.ChoiceField(choices=enums.FINAL_STAGE_KINDS)
    decision = serializers.CharField(source="current_decision", help_text="As it now reads.")
    as_recorded = serializers.CharField(source="decision", help_text="As first recorded.")
    corrections = serializers.SerializerMethodField(help_text="Oldest first; empty if never.")

    @extend_schema_field(CorrectionSerializer(many=True))
    def get_corrections(self, decision: FinalDecision) -> list[dict[str, Any]]:
        return _corrections(decision)

    decided_by = PersonRefSerializer()
    chaired_by_agency = AgencyRefSerializer(allow_null=True)
    decided_on = serializers.DateField()


class PanelSerializer(Serializer):
    members = PersonRefSerializer(many=True)
    chair = PersonRefSerializer(allow_null=True, help_text="The meeting's appointed chair.")
    reason = serializers.CharField(
        help_text="Why the agencies in the disagreement are not all on the panel, if recorded."
    )
    missing = serializers.CharField(help_text="Why the panel cannot decide yet; empty if it can.")


class PartySerializer(Serializer):
    agency = AgencyRefSerializer()
    side = serializers.ChoiceField(choices=enums.SIDES)
    is_lead = serializers.BooleanField(
        help_text="Completes the Escalation Notification Form, where the procedure has one."
    )
    practitioner = PersonRefSerializer(allow_null=True)
    joined_on = serializers.DateField()


class ProposedActionSerializer(Serializer):
    description = serializers.CharField()
    owner = PersonRefSerializer(allow_null=True)
    due_on = serializers.DateField()


class ConfirmationSerializer(Serializer):
    agency = AgencyRefSerializer()
    confirmed_by = PersonRefSerializer()
    confirmed_at = serializers.DateTimeField()


class ProposalSerializer(Serializer):
    """A resolution one agency recorded, waiting for every other party agency to confirm it."""

    stage_number = serializers.IntegerField(source="proposal.stage_number")
    agency = AgencyRefSerializer(source="proposal.agency")
    proposed_by = PersonRefSerializer(source="proposal.proposed_by")
    proposed_at = serializers.DateTimeField(source="proposal.proposed_at")
    agreed_outcome = serializers.CharField(source="proposal.agreed_outcome")
    actions = ProposedActionSerializer(many=True)
    confirmations = ConfirmationSerializer(many=True)


class AppointmentSerializer(Serializer):
    person = PersonRefSerializer()
    agency = AgencyRefSerializer(allow_null=True, source="person.agency")
    role = serializers.ChoiceField(choices=enums.APPOINTEE_ROLES)
    appointed_by = PersonRefSerializer()
    appointed_at = serializers.DateTimeField()


class MoveSerializer(Serializer):
    """A move and whether the person asking may make it now, from the stage machine."""

    move = serializers.ChoiceField(choices=enums.MOVES)
    allowed = serializers.BooleanField()
    refusal = serializers.CharField(
        help_text="Why the person may not make this move now; empty when they may. The same "
        "sentence a refused attempt answers with (409)."
    )


class HistoryEventSerializer(Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    event = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    actor = PersonRefSerializer(allow_null=True)
    stage_number = serializers.IntegerField(allow_null=True)
    data = serializers.DictField()  # type: ignore[assignment]


class EscalationSerializer(Serializer):
    """The whole record of one escalation, from ``selectors.escalation_record``.

    Context: ``today`` and ``case`` (``records.CaseView`` for the person asking).
    """

    id = serializers.UUIDField(source="escalation.id")
    reference = serializers.CharField(source="escalation.reference")
    partnership = serializers.CharField(source="escalation.partnership.slug")
    policy_version = serializers.IntegerField(source="escalation.policy.version")
    status = serializers.ChoiceField(choices=Escalation.Status.choices, source="escalation.status")
    stage_number = serializers.IntegerField(source="escalation.stage_number")
    stage_name = serializers.SerializerMethodField()
    final_stage_number = serializers.IntegerField(source="escalation.final_stage_number")
    stage_due_on = serializers.DateField(allow_null=True, source="escalation.stage_due_on")
    deadline_state = serializers.SerializerMethodField()
    raised_on = serializers.DateField(source="escalation.raised_on")
    created_at = serializers.DateTimeField(source="escalation.created_at")
    closed_at = serializers.DateTimeField(allow_null=True, source="escalation.closed_at")
    revision = serializers.IntegerField(source="escalation.revision")
    waiting_on = serializers.ChoiceField(
        choices=enums.WAITING_ON, source="escalation.waiting_on", help_text="Whose move it is now."
    )
    waiting_on_agencies = serializers.SerializerMethodField()
    subject = SubjectSerializer(source="escalation.subject")
    raised_by = PersonRefSerializer(source="escalation.raised_by")
    raising_agency = AgencyRefSerializer(source="escalation.raising_agency")
    other_agency = AgencyRefSerializer(source="escalation.other_agency")
    counterpart = PersonRefSerializer(allow_null=True, source="escalation.counterpart")
    category = serializers.CharField(source="escalation.category")
    decision_disputed = serializers.CharField(source="escalation.decision_disputed")
    evidence = serializers.CharField(source="escalation.evidence")
    desired_outcome = serializers.CharField(source="escalation.desired_outcome")
    subject_views = serializers.CharField(source="escalation.subject_views")
    immediate_risk = serializers.BooleanField(source="escalation.immediate_risk")
    same_day_route_taken = serializers.BooleanField(source="escalation.same_day_route_taken")
    entry_route = serializers.CharField(source="escalation.entry_route")
    stages = StageEntrySerializer(many=True, source="stage_entries")
    parties = serializers.SerializerMethodField()
    participants = PersonRefSerializer(many=True)
    contacts = ContactSerializer(many=True)
    agreed_actions = AgreedActionSerializer(many=True)
    checklist = serializers.SerializerMethodField()
    proposal = serializers.SerializerMethodField()
    representations = RepresentationSerializer(many=True)
    panel_members = PersonRefSerializer(many=True)
    appointments = serializers.SerializerMethodField()
    panel_reason = serializers.CharField(source="escalation.panel_reason")
    final_decision = FinalDecisionSerializer(
        allow_null=True,
        help_text="The latest, where a decision's check-back failed and it reopened.",
    )
    moves = serializers.SerializerMethodField()

    def _case(self) -> CaseView:
        case: CaseView = self.context["case"]
        return case

    @extend_schema_field(
        AgencyRefSerializer(
            many=True, help_text="The party agencies whose acting rung the escalation waits on."
        )
    )
    def get_waiting_on_agencies(self, record: EscalationRecord) -> Any:
        return AgencyRefSerializer(self._case().waiting_agencies, many=True).data

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, record: EscalationRecord) -> Any:
        return PartySerializer(self._case().rows.parties, many=True).data

    @extend_schema_field(ProposalSerializer(allow_null=True))
    def get_proposal(self, record: EscalationRecord) -> Any:
        proposal = self._case().proposal
        return ProposalSerializer(proposal).data if proposal is not None else None

    @extend_schema_field(AppointmentSerializer(many=True))
    def get_appointments(self, record: EscalationRecord) -> Any:
        return AppointmentSerializer(self._case().rows.appointments, many=True).data

    @extend_schema_field(MoveSerializer(many=True))
    def get_moves(self, record: EscalationRecord) -> Any:
        return MoveSerializer(self._case().moves.options, many=True).data

    def get_stage_name(self, record: EscalationRecord) -> str:
        escalation = record.escalation
        return _stage_name(escalation.policy.rules, escalation.stage_number)

    @extend_schema_field(serializers.ChoiceField(choices=DEADLINE_STATES))
    def get_deadline_state(self, record: EscalationRecord) -> str:
        escalation = record.escalation
        return _deadline_state(escalation, escalation.policy.rules, self.context["today"])

    @extend_schema_field(ChecklistEntrySerializer(many=True))
    def get_checklist(self, record: EscalationRecord) -> Any:
        return ChecklistEntrySerializer(self._case().checklist, many=True).data


# --- Reporting --------------------------------------------------------------------------------


class RegisterRowSerializer(Serializer):
    reference = serializers.CharField()
    url = serializers.CharField(help_text="The escalation's page in the browser.")
    partnership = serializers.CharField()
    stage_number = serializers.IntegerField()
    stage_name = serializers.CharField()
    raising_agency = serializers.CharField()
    other_agency = serializers.CharField()
    category = serializers.CharField()
    raised_on = serializers.DateField()
    due_on = serializers.DateField(allow_null=True)
    working_days_open = serializers.IntegerField()
    deadline_state = serializers.ChoiceField(choices=DEADLINE_STATES)
    is_overdue = serializers.BooleanField()
    practice_issue_count = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Escalation.Status.choices)


class PracticeIssueSerializer(Serializer):
    id = serializers.IntegerField()
    escalation_id = serializers.UUIDField()
    escalation_reference = serializers.CharField(source="escalation.reference")
    partnership = serializers.CharField(source="escalation.partnership.name")
    stage_number = serializers.IntegerField()
    issue = serializers.CharField()
    is_resolved = serializers.BooleanField()
    lead_agency = AgencyRefSerializer()
    updated_by = PersonRefSerializer()
    updated_at = serializers.DateTimeField()


# --- The learning loop (decision 0013) ---------------------------------------------------------


@extend_schema_field(
    serializers.ChoiceField(choices=BoardAction.Outcome.choices),
    component_name="BoardActionOutcomeEnum",
)
class BoardActionOutcomeField(serializers.ChoiceField):
    """A board action's outcome, as sent and as read: one named choice set in the document
    (a field called ``outcome`` already names the stage's outcomes)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=BoardAction.Outcome.choices, **kwargs)


class BoardActionSerializer(Serializer):
    """A board action as the board actions page shows it (``selectors.BoardActionRow``)."""

    id = serializers.IntegerField(source="action.pk")
    practice_issue_id = serializers.IntegerField(source="action.practice_issue_id")
    escalation_id = serializers.UUIDField(source="action.practice_issue.escalation_id")
    escalation_reference = serializers.CharField(
        source="action.practice_issue.escalation.reference"
    )
    partnership = serializers.CharField(source="action.partnership.name")
    description = serializers.CharField(source="action.description")
    owner = PersonRefSerializer(source="action.owner")
    due_on = serializers.DateField(source="action.due_on")
    status = serializers.ChoiceField(choices=BoardAction.Status.choices, source="action.status")
    is_overdue = serializers.BooleanField(help_text="Open, and its due date has passed.")
    outcome = serializers.SerializerMethodField()
    note = serializers.CharField(source="action.note")
    created_at = serializers.DateTimeField(source="action.created_at")
    completed_at = serializers.DateTimeField(source="action.completed_at", allow_null=True)

    @extend_schema_field(BoardActionOutcomeField(allow_null=True))
    def get_outcome(self, row: BoardActionRow) -> str | None:
        """None while the action is open."""
        return row.action.outcome or None


class GoodPracticeSerializer(Serializer):
    """One "recognise good practice" entry: rows are never edited."""

    id = serializers.IntegerField()
    escalation_id = serializers.UUIDField()
    escalation_reference = serializers.CharField(source="escalation.reference")
    partnership = serializers.CharField(source="partnership.name")
    description = serializers.CharField()
    recorded_by = PersonRefSerializer()
    recorded_at = serializers.DateTimeField()
