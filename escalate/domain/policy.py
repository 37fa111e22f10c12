"""A partnership's escalation procedure, as immutable facts the engine reads.

Built from a policy file by ``policy_loading``; nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from escalate.domain.working_hours import DEFAULT_WORKING_HOURS, WorkingHours


class Nation(StrEnum):
    """The UK nation whose bank holidays a partnership observes."""

    ENGLAND_AND_WALES = "england-and-wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"


class SubjectKind(StrEnum):
    CHILD = "child"
    ADULT = "adult"


class AgencyKind(StrEnum):
    EDUCATION = "education"
    EARLY_YEARS = "early_years"
    HEALTH = "health"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    ADULT_SOCIAL_CARE = "adult_social_care"
    POLICE = "police"
    VOLUNTARY = "voluntary"
    OTHER = "other"


class LadderRole(StrEnum):
    """A rung of an agency's line of escalation, lowest first."""

    PRACTITIONER = "practitioner"
    LINE_MANAGER = "line_manager"
    SAFEGUARDING_LEAD = "safeguarding_lead"
    HEAD_OF_SERVICE = "head_of_service"
    ASSISTANT_DIRECTOR = "assistant_director"


LADDER_ORDER: tuple[LadderRole, ...] = tuple(LadderRole)


class PartnershipRole(StrEnum):
    BUSINESS_MANAGER = "business_manager"
    CHAIR = "chair"
    EXECUTIVE_MEMBER = "executive_member"
    PANEL_MEMBER = "panel_member"
    INDEPENDENT_SCRUTINEER = "independent_scrutineer"
    ADMINISTRATOR = "administrator"
    DATA_PROTECTION_OFFICER = "data_protection_officer"


class DeadlineKind(StrEnum):
    BY_WORKING_DAY = "by_working_day"
    """Due on working day N of the procedure, counted from the raise date."""
    WITHIN_WORKING_DAYS = "within_working_days"
    """Due N working days after the day the stage was entered."""
    NONE = "none"
    """No timescale: "as soon as possible"."""


@dataclass(frozen=True)
class DeadlineRule:
    kind: DeadlineKind
    days: int | None = None

    def describe(self) -> str:
        if self.kind is DeadlineKind.BY_WORKING_DAY:
            return f"by working day {self.days} of the procedure"
        if self.kind is DeadlineKind.WITHIN_WORKING_DAYS:
            unit = "working day" if self.days == 1 else "working days"
            return f"within {self.days} {unit} of entering the stage"
        return "as soon as possible (no fixed timescale)"


NO_DEADLINE = DeadlineRule(DeadlineKind.NONE)


class StageAction(StrEnum):
    """Something the procedure says must happen when a stage starts or ends."""

    NOTIFY_BUSINESS_MANAGER = "notify_business_manager"
    INFORM_BUSINESS_MANAGER_OF_OUTCOME = "inform_business_manager_of_outcome"
    SEND_NOTIFICATION_FORM = "send_notification_form"
    UPDATE_NOTIFICATION_FORM = "update_notification_form"
    NOTIFY_CHAIR = "notify_chair"
    NOTIFY_EXECUTIVE = "notify_executive"
    NOTIFY_INDEPENDENT_SCRUTINEER = "notify_independent_scrutineer"
    NOTIFY_BOARD_MEMBERS = "notify_board_members"
    FEEDBACK_TO_ALL_PARTIES = "feedback_to_all_parties"
    REPORT_TO_BOARD_SUBGROUP = "report_to_board_subgroup"
    REPORT_POLICY_GAPS_TO_CHAIR = "report_policy_gaps_to_chair"


STAGE_ACTION_LABELS: dict[StageAction, str] = {
    StageAction.NOTIFY_BUSINESS_MANAGER: "Notify the partnership's business manager",
    StageAction.INFORM_BUSINESS_MANAGER_OF_OUTCOME: "Tell the business manager the outcome",
    StageAction.SEND_NOTIFICATION_FORM: "Send the Escalation Notification Form to the partnership",
    StageAction.UPDATE_NOTIFICATION_FORM: "Update the Escalation Notification Form",
    StageAction.NOTIFY_CHAIR: "Notify the partnership's chair",
    StageAction.NOTIFY_EXECUTIVE: "Notify the partnership's executive",
    StageAction.NOTIFY_INDEPENDENT_SCRUTINEER: "Notify the independent scrutineer",
    StageAction.NOTIFY_BOARD_MEMBERS: "Inform the board members for each agency",
    StageAction.FEEDBACK_TO_ALL_PARTIES: "Give feedback to all parties",
    StageAction.REPORT_TO_BOARD_SUBGROUP: "Report the issues to the board's scrutiny subgroup",
    StageAction.REPORT_POLICY_GAPS_TO_CHAIR: "Bring any gaps in policy to the chair",
}


class ChecklistItem(StrEnum):
    """A step the procedure requires once a stage ends in agreement."""

    RECORD_OUTCOME = "record_outcome"
    CHECK_BACK_UNDERSTANDING = "check_back_understanding"
    CONFIRM_IN_WRITING = "confirm_in_writing"
    SET_REVIEW_DATE = "set_review_date"
    FEEDBACK_TO_OPERATIONAL_STAFF = "feedback_to_operational_staff"
    FEEDBACK_TO_ALL_PARTIES = "feedback_to_all_parties"
    RECORD_ON_SUBJECT_FILE = "record_on_subject_file"
    LOG_PER_AGENCY_PROCEDURE = "log_per_agency_procedure"
    REVIEW_PLAN = "review_plan"
    DECIDE_WHERE_RECORD_IS_HELD = "decide_where_record_is_held"
    CONSIDER_POLICY_REVIEW = "consider_policy_review"
    CHECK_BACK_IMPLEMENTED = "check_back_implemented"
    DEBRIEF = "debrief"


CHECKLIST_LABELS: dict[ChecklistItem, str] = {
    ChecklistItem.RECORD_OUTCOME: "Agreed outcome recorded",
    ChecklistItem.CHECK_BACK_UNDERSTANDING: "Checked back that both sides share an understanding "
    "of the agreed actions",
    ChecklistItem.CONFIRM_IN_WRITING: "Agreed outcome confirmed in writing between the agencies",
    ChecklistItem.SET_REVIEW_DATE: "Review date set for the agreed actions",
    ChecklistItem.FEEDBACK_TO_OPERATIONAL_STAFF: "Agreed actions fed back to operational staff",
    ChecklistItem.FEEDBACK_TO_ALL_PARTIES: "Outcome fed back to all parties, the raiser included",
    ChecklistItem.RECORD_ON_SUBJECT_FILE: "Agreed actions recorded on the subject's file "
    "in each agency",
    ChecklistItem.LOG_PER_AGENCY_PROCEDURE: "Logged under each agency's own procedure",
    ChecklistItem.REVIEW_PLAN: "Review of the child's or adult's plan started, if needed",
    ChecklistItem.DECIDE_WHERE_RECORD_IS_HELD: "Agreed where the record of the meeting is held",
    ChecklistItem.CONSIDER_POLICY_REVIEW: "Senior managers considered policy, procedure, "
    "compliance or competence issues",
    ChecklistItem.CHECK_BACK_IMPLEMENTED: "Checked back that agreed actions were completed in time",
    ChecklistItem.DEBRIEF: "Debrief offered to those involved",
}


SYSTEM_KNOWN_ITEMS: frozenset[ChecklistItem] = frozenset(
    {
        ChecklistItem.RECORD_OUTCOME,
        ChecklistItem.CHECK_BACK_UNDERSTANDING,
        ChecklistItem.CHECK_BACK_IMPLEMENTED,
        ChecklistItem.CONFIRM_IN_WRITING,
        ChecklistItem.FEEDBACK_TO_ALL_PARTIES,
    }
)
"""Items the record itself answers: the agreed outcome, the agreed actions' check-backs, and
the written confirmation of the outcome that Escalate sends to every party."""

PER_AGENCY_ITEMS: frozenset[ChecklistItem] = frozenset(
    {
        ChecklistItem.RECORD_ON_SUBJECT_FILE,
        ChecklistItem.LOG_PER_AGENCY_PROCEDURE,
        ChecklistItem.FEEDBACK_TO_OPERATIONAL_STAFF,
    }
)
"""Items each party agency attests for its own files and staff; one agency cannot for another."""


class FinalStageKind(StrEnum):
    """How the last stage of a procedure reaches a decision."""

    CHAIR_DECISION = "chair_decision"
    RESOLUTION_PANEL = "resolution_panel"
    INDEPENDENTLY_CHAIRED_MEETING = "independently_chaired_meeting"
    UNINVOLVED_BOARD_MEMBER_MEETING = "uninvolved_board_member_meeting"
    EXECUTIVE_DECISION = "executive_decision"


FINAL_STAGE_LABELS: dict[FinalStageKind, str] = {
    FinalStageKind.CHAIR_DECISION: "The partnership's chair decides",
    FinalStageKind.RESOLUTION_PANEL: "A resolution panel hears representations and decides",
    FinalStageKind.INDEPENDENTLY_CHAIRED_MEETING: "An independently chaired resolution meeting",
    FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING: "A meeting chaired by a board member "
    "from an uninvolved agency",
    FinalStageKind.EXECUTIVE_DECISION: "The partnership's executive decides",
}


class ContactKind(StrEnum):
    EMERGENCY = "emergency"
    FRONT_DOOR = "front_door"
    ADVICE = "advice"
    PARTNERSHIP = "partnership"


class Sides(StrEnum):
    """Which agencies in the disagreement a stage rule is for."""

    RAISING = "raising"
    """The agency that raised the disagreement, and any that joined on its side."""
    CHALLENGED = "challenged"
    """The agency whose decision is challenged, and any that joined on its side."""
    BOTH = "both"

    def includes(self, side: str) -> bool:
        """Whether this covers ``side`` (a ``Sides`` value, or a case's own side)."""
        return self is Sides.BOTH or self.value == side


class Agreement(StrEnum):
    """What a resolution at a stage needs before the stage ends (docs/domain.md decision 8)."""

    EVERY_PARTY = "every_party"
    """One agency records it; the acting rung of every other party agency confirms it."""
    RECORDING_SIDE = "recording_side"
    """Recording it ends the stage: only one side is involved (a talk with one's own
    supervisor, docs/domain.md decision 13)."""


@dataclass(frozen=True)
class StageAuthority:
    """Who may move a stage, beyond its rung (``StageRule.ladder_role``)."""

    involves: Sides = Sides.BOTH
    """Whose people take part, and so hear, while the escalation is at this stage."""
    escalate: Sides = Sides.BOTH
    resolve: Sides = Sides.BOTH
    withdraw: Sides = Sides.RAISING
    """Always the raising side (docs/domain.md decision 9); the checker refuses anything else."""
    agreement: Agreement = Agreement.EVERY_PARTY


DEFAULT_AUTHORITY = StageAuthority()


class MeetingChair(StrEnum):
    """Who may chair the final stage's meeting, where the procedure has one."""

    NONE = "none"
    """No appointed chair: the partnership's own chair or executive decides."""
    INDEPENDENT = "independent"
    """Independent of the agencies in the disagreement."""
    UNINVOLVED_AGENCY = "uninvolved_agency"
    """A board member from an agency that is not a party."""


@dataclass(frozen=True)
class PanelRule:
    """Who may sit on a resolution panel."""

    min_agencies: int
    include_disputing_agencies: bool
    """The agencies in the disagreement sit on it unless a reason is recorded (decision 10)."""


DEFAULT_APPOINTERS: tuple[PartnershipRole, ...] = (
    PartnershipRole.BUSINESS_MANAGER,
    PartnershipRole.CHAIR,
)
DEFAULT_APPOINTEES: tuple[PartnershipRole, ...] = (
    PartnershipRole.PANEL_MEMBER,
    PartnershipRole.CHAIR,
    PartnershipRole.EXECUTIVE_MEMBER,
)


@dataclass(frozen=True)
class FinalStageRule:
    decided_by: tuple[FinalStageKind, ...]
    panel: PanelRule | None = None
    reports_to: str = ""
    recommendation_working_days: int | None = None
    written_representations: bool = True
    appointed_by: tuple[PartnershipRole, ...] = DEFAULT_APPOINTERS
    """Who appoints panel members and the meeting's chair (never themselves)."""
    appointees_from: tuple[PartnershipRole, ...] = DEFAULT_APPOINTEES
    """The partnership roles a panel member or chair must hold."""
    meeting_chair: MeetingChair = MeetingChair.NONE

    @property
    def has_panel(self) -> bool:
        return FinalStageKind.RESOLUTION_PANEL in self.decided_by

    @property
    def needs_appointed_chair(self) -> bool:
        return self.meeting_chair is not MeetingChair.NONE


@dataclass(frozen=True)
class StageRule:
    number: int
    key: str
    name: str
    summary: str
    ladder_role: LadderRole | None
    """The rung that acts at this stage in each agency; None where the partnership acts."""
    job_titles: tuple[tuple[AgencyKind, tuple[str, ...]], ...]
    deadline: DeadlineRule = NO_DEADLINE
    on_entry: tuple[StageAction, ...] = ()
    on_outcome: tuple[StageAction, ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()
    final: FinalStageRule | None = None
    authority: StageAuthority = DEFAULT_AUTHORITY

    def titles_for(self, agency_kind: AgencyKind) -> tuple[str, ...]:
        return dict(self.job_titles).get(agency_kind, ())


@dataclass(frozen=True)
class Category:
    key: str
    label: str


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    kind: ContactKind
    covers: frozenset[SubjectKind]
    organisation: str = ""


@dataclass(frozen=True)
class ImmediateRiskRule:
    may_start_at: tuple[int, ...]
    guidance: str
    first_action_same_day: bool = True


@dataclass(frozen=True)
class EntryRoute:
    """A special way into the ladder, such as a refused child protection conference."""

    key: str
    name: str
    enters_at: int
    description: str


@dataclass(frozen=True)
class PolicyRules:
    short_name: str
    version: int
    partnership: str
    title: str
    source: str
    covers: frozenset[SubjectKind]
    nation: Nation
    closure_days: tuple[date, ...]
    agency_kinds: tuple[AgencyKind, ...]
    categories: tuple[Category, ...]
    stages: tuple[StageRule, ...]
    immediate_risk: ImmediateRiskRule
    target: DeadlineRule = NO_DEADLINE
    entry_routes: tuple[EntryRoute, ...] = ()
    contacts: tuple[Contact, ...] = ()
    notes: tuple[str, ...] = field(default=())
    working_hours: WorkingHours = DEFAULT_WORKING_HOURS
    """When reminders may go out, on this procedure's working days (decision record 0019)."""

    @property
    def first_stage(self) -> StageRule:
        return self.stages[0]

    @property
    def final_stage(self) -> StageRule:
        return self.stages[-1]

    def stage(self, number: int) -> StageRule:
        for stage in self.stages:
            if stage.number == number:
                return stage
        raise KeyError(f"This procedure has no stage {number}.")

    def next_after(self, number: int) -> StageRule | None:
        return next((stage for stage in self.stages if stage.number == number + 1), None)

    def acting_rung(self, number: int) -> LadderRole:
        """The rung that acts for each agency at stage ``number``.

        A stage that names no rung (the partnership's final stage) falls back to the
        rung of the stage before it (docs/domain.md decision 7).
        """
        for stage in reversed(self.stages):
            if stage.number <= number and stage.ladder_role is not None:
                return stage.ladder_role
        return LadderRole.PRACTITIONER

    @property
    def first_practice_issue_stage(self) -> int:
        """The stage from which the lead agency reports policy and practice issues: the one
        that sends the Escalation Notification Form, or stage 3 where none does (source 003:
        "from stage 3, whether resolved or not")."""
        for stage in self.stages:
            if StageAction.SEND_NOTIFICATION_FORM in (*stage.on_entry, *stage.on_outcome):
                return stage.number
        return 3

    @property
    def has_lead_agency(self) -> bool:
        """Whether the procedure gives one agency the Escalation Notification Form (decision 11)."""
        return any(
            StageAction.SEND_NOTIFICATION_FORM in stage.on_entry
            or StageAction.UPDATE_NOTIFICATION_FORM in stage.on_entry
            for stage in self.stages
        )

    def entry_route(self, key: str) -> EntryRoute:
        for route in self.entry_routes:
            if route.key == key:
                return route
        raise KeyError(f"This procedure has no entry route {key!r}.")

    def contacts_for(self, subject_kind: SubjectKind) -> tuple[Contact, ...]:
        return tuple(contact for contact in self.contacts if subject_kind in contact.covers)


def stage_list(numbers: tuple[int, ...]) -> str:
    """'stage 1', 'stages 1 and 2', 'stages 1, 2 and 3': for sentences people read."""
    words = [str(number) for number in numbers]
    if len(words) == 1:
        return f"stage {words[0]}"
    return f"stages {', '.join(words[:-1])} and {words[-1]}"
