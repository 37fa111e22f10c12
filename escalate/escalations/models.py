from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import date

import uuid6
from django.core.files.storage import Storage, storages
from django.db import models
from django.urls import reverse
from django.utils import timezone

from escalate.domain import access, engine, moves
from escalate.domain.access import CaseAccessFacts
from escalate.domain.attachments import AttachmentKind
from escalate.domain.policy import SubjectKind
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership, Policy

NONE_DUE = date(9999, 12, 31)
"""Where a stage sets no due date, the lists sort it as due on this day: after every other."""


class Subject(models.Model):
    """The child or adult with care and support needs whom the disagreement is about."""

    class Kind(models.TextChoices):
        CHILD = SubjectKind.CHILD.value, "Child"
        ADULT = SubjectKind.ADULT.value, "Adult with care and support needs"

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="subjects")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    case_reference = models.CharField(
        max_length=60, blank=True, help_text="An agency's own file number or PID."
    )
    nhs_number = models.CharField(max_length=10, blank=True)

    def __str__(self) -> str:
        return f"Subject {self.pk}"  # never the name: this string can reach logs


def _due_key() -> models.Func:
    """The lists' due-date key as an index expression: the same SQL as
    ``selectors.due_key()`` (a test checks), written literally so SQLite can match it too."""
    return models.Func(
        models.F("stage_due_on"),
        template="COALESCE(%(expressions)s, '9999-12-31')",
        output_field=models.DateField(),
    )


def new_escalation_id() -> uuid.UUID:
    """A UUID that starts with the time it was made (version 7; decision 11).

    A random one (version 4) sends each new case's rows to a random page of every index
    that leads with the escalation: at a million cases those pages are seldom in memory, so
    raising read about 30 of them from disk. Made one after another, these ids share pages.
    """
    return uuid.UUID(int=uuid6.uuid7().int)


BOARD_FIGURE_COLUMNS = [
    "status",
    "stage_number",
    "raising_agency",
    "other_agency",
    "category",
    "subject_kind",
    "immediate_risk",
    "entry_route",
    "resolved_in_working_days",
]


class Escalation(models.Model):
    class Status(models.TextChoices):
        OPEN = engine.Status.OPEN.value, "Open"
        RESOLVED = engine.Status.RESOLVED.value, "Resolved"
        WITHDRAWN = engine.Status.WITHDRAWN.value, "Withdrawn"
        CLOSED = engine.Status.CLOSED.value, "Closed"

    id = models.UUIDField(primary_key=True, default=new_escalation_id, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="escalations"
    )
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="escalations")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="escalations")
    raised_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="escalations_raised"
    )
    raising_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="escalations_raised"
    )
    other_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="escalations_received"
    )
    counterpart = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="escalations_received", null=True, blank=True
    )
    category = models.CharField(max_length=60)
    decision_disputed = models.TextField()
    evidence = models.TextField(blank=True)
    desired_outcome = models.TextField()
    subject_views = models.TextField(
        blank=True, help_text="The views and wishes of the child or adult, where known."
    )
    immediate_risk = models.BooleanField(default=False)
    same_day_route_taken = models.BooleanField(default=False)
    entry_route = models.CharField(max_length=60, blank=True)
    subject_kind = models.CharField(
        max_length=8,
        choices=Subject.Kind.choices,
        help_text="The subject's kind, a child or an adult, copied at the raise so the board's "
        "figures count it from this table's own index (board/figures.py).",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    stage_number = models.PositiveSmallIntegerField()
    final_stage_number = models.PositiveSmallIntegerField(
        help_text="The last stage of the policy version this escalation runs under."
    )
    stage_due_on = models.DateField(null=True, blank=True)
    raised_on = models.DateField()
    resolved_in_working_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Working days from the raise to the resolution, on the procedure's calendar; "
        "set by the services when a stage ends resolved, cleared if it is reopened.",
    )
    revision = models.PositiveIntegerField(
        default=1, help_text="Bumped on every change, to detect lost updates."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    legal_hold = models.BooleanField(
        default=False, help_text="Held for legal reasons: never anonymised while set."
    )
    legal_hold_reason = models.TextField(blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    participants = models.ManyToManyField(
        Person, related_name="escalations_involved_in", blank=True
    )
    panel_members = models.ManyToManyField(
        Person,
        related_name="escalations_on_panel",
        blank=True,
        help_text="Everyone appointed to the final stage (panel members and the meeting's "
        "chair): they see the case until it ends. Kept by the appointment services.",
    )
    panel_reason = models.TextField(
        blank=True,
        help_text="Why the agencies in the disagreement are not all on the panel, if not.",
    )
    waiting_on = models.CharField(
        max_length=16,
        choices=[(state.value, state.value.replace("_", " ")) for state in moves.WaitingOn],
        default=moves.WaitingOn.PARTIES.value,
        help_text="Whose move it is now (domain/moves.py waiting_on), kept by the services.",
    )
    case_facts = models.JSONField(
        default=dict,
        help_text="The stage machine's facts from the case's other rows (parties, proposal, "
        "appointees, actions, checklist), kept by the services with waiting_on, so lists ask "
        "the stage machine about a row without reading those rows (authority.stored_case).",
    )

    class Meta:
        # Served by the "escalation_raised" index below (read backwards).
        ordering = ["-raised_on", "-id"]
        indexes = [
            models.Index(fields=["partnership", "status", "stage_due_on"]),
            models.Index(fields=["status", "stage_due_on"]),
            # The lists' sorts and their keyset pages (escalations/selectors.py "Lists"):
            # open ones by due date, none due last, then id; ended ones and "all" newest
            # first; the API newest recorded first.
            models.Index(
                models.F("status"),
                _due_key(),
                models.F("id"),
                name="escalation_open_due",
            ),
            models.Index(
                models.F("partnership"),
                models.F("status"),
                _due_key(),
                models.F("id"),
                name="escalation_partnership_due",
            ),
            # The register filtered by stage: that stage's open cases in due order, not
            # every open case of the partnership read and most thrown away.
            models.Index(
                models.F("partnership"),
                models.F("status"),
                models.F("stage_number"),
                _due_key(),
                models.F("id"),
                name="escalation_stage_due",
            ),
            models.Index(fields=["raised_on", "id"], name="escalation_raised"),
            # Also the board's figures: a partnership's cases raised in a period, every
            # column they count held in the index, so PostgreSQL counts them from it alone.
            models.Index(
                fields=["partnership", "raised_on", "id"],
                include=BOARD_FIGURE_COLUMNS,
                name="escalation_partnership_raised",
            ),
            models.Index(fields=["created_at", "id"], name="escalation_created"),
            # The register's rows behind a board figure (board/dimensions.py), newest first:
            # one agency's side, or the rare risk and route starts, read from their own
            # range, not filtered out of the partnership's every case.
            models.Index(
                fields=["partnership", "raising_agency", "raised_on", "id"],
                name="escalation_raising_raised",
            ),
            models.Index(
                fields=["partnership", "other_agency", "raised_on", "id"],
                name="escalation_other_raised",
            ),
            models.Index(
                fields=["partnership", "stage_number", "raised_on", "id"],
                name="escalation_stage_raised",
            ),
            models.Index(
                fields=["partnership", "raised_on", "id"],
                condition=models.Q(immediate_risk=True),
                name="escalation_risk_raised",
            ),
            models.Index(
                fields=["partnership", "entry_route", "raised_on", "id"],
                condition=~models.Q(entry_route=""),
                name="escalation_route_raised",
            ),
            # The board's oldest open case: open ones by the day they were raised.
            models.Index(
                fields=["partnership", "status", "raised_on", "id"],
                name="escalation_oldest_open",
            ),
            # The scrutineer's and the executive's view: a partnership's final-stage cases.
            models.Index(
                fields=["partnership", "status", "stage_due_on"],
                condition=models.Q(stage_number=models.F("final_stage_number")),
                name="escalation_at_final_stage",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("escalations:detail", kwargs={"pk": self.pk})

    def facts(self) -> engine.CaseFacts:
        return engine.CaseFacts(
            status=engine.Status(self.status),
            stage_number=self.stage_number,
            raised_on=self.raised_on,
            immediate_risk=self.immediate_risk,
        )

    @property
    def is_at_final_stage(self) -> bool:
        return self.stage_number == self.final_stage_number

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.CLOSED, self.Status.WITHDRAWN}

    def access_facts(self) -> CaseAccessFacts:
        return self._access_facts(
            told_agency_ids=set(
                self.parties.filter(is_told=True).values_list("agency_id", flat=True)
            ),
            participant_ids=set(self.participants.values_list("pk", flat=True)),
            panel_member_ids=set(self.panel_members.values_list("pk", flat=True)),
        )

    def access_facts_of_new(self, parties: list[Party]) -> CaseAccessFacts:
        """The facts of a case being raised, from its parties in memory: nothing to read."""
        told = {party.agency_id for party in parties if party.is_told}
        return self._access_facts(
            told_agency_ids=told, participant_ids=set(), panel_member_ids=set()
        )

    def _access_facts(
        self, *, told_agency_ids: set[int], participant_ids: set[int], panel_member_ids: set[int]
    ) -> CaseAccessFacts:
        named = {self.raised_by_id, *participant_ids}
        if self.counterpart_id and self.other_agency_id in told_agency_ids:
            named.add(self.counterpart_id)
        return CaseAccessFacts(
            partnership_id=self.partnership_id,
            party_agency_ids=frozenset({self.raising_agency_id, *told_agency_ids}),
            named_person_ids=frozenset(named),
            panel_member_ids=frozenset(panel_member_ids),
            at_final_stage=self.is_at_final_stage,
            is_finished=self.is_finished,
        )


class Party(models.Model):
    """An agency in the disagreement, on the raising or the challenged side.

    The raising agency and the first challenged agency are also kept on the escalation
    row (``raising_agency``, ``other_agency``) for the register; every agency, those two
    included, has a row here.
    """

    class Side(models.TextChoices):
        RAISING = moves.Side.RAISING.value, "Raising"
        CHALLENGED = moves.Side.CHALLENGED.value, "Challenged"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="parties")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=12, choices=Side.choices)
    is_lead = models.BooleanField(
        default=False, help_text="Completes the Escalation Notification Form (decision 11)."
    )
    practitioner = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    joined_on = models.DateField()
    is_told = models.BooleanField(
        default=True,
        help_text="Whether a stage has yet involved this agency's side. Until one does (a "
        "talk with one's own supervisor, docs/domain.md decision 13), its people neither hear of "
        "the escalation nor see it.",
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["escalation", "agency"], name="one_party_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.agency} on {self.escalation}"


class Involvement(models.Model):
    """Who is involved in an escalation, and so sees it: one row per person or agency.

    Kept by the services from ``domain.access.involvements`` whenever parties, people or
    status change, so that the visibility filter finds a viewer's escalations through an
    index rather than by testing every row.
    """

    class Why(models.TextChoices):
        NAMED = access.Why.NAMED.value, "Named on the escalation"
        APPOINTED = access.Why.APPOINTED.value, "Appointed to the final stage"
        PARTY = access.Why.PARTY.value, "An agency in the disagreement"

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="involvements"
    )
    why = models.CharField(max_length=12, choices=Why.choices)
    # No index of their own: ``involvement_by_person`` and ``involvement_by_agency`` lead with
    # them, and every index here is paid for on each write.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", null=True, blank=True, db_index=False
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", null=True, blank=True, db_index=False
    )
    # The escalation's own sort keys, copied so that a person's or an agency's list is read
    # in order from the indexes below, page by page, without touching escalations they may
    # not see or reading every one they may (``selectors.involved_page_ids``). Kept with
    # the rows by ``keep_involvement``.
    is_open = models.BooleanField(default=True)
    due_key = models.DateField(default=NONE_DUE)
    """The stage's due date while open, 31 Dec 9999 where none: ``selectors.due_key()``."""
    raised_on = models.DateField(null=True)
    created_at = models.DateTimeField(null=True)
    """When the escalation was recorded: the API list's order."""

    class Meta:
        indexes = [
            models.Index(fields=["person", "escalation"], name="involvement_by_person"),
            models.Index(fields=["agency", "escalation"], name="involvement_by_agency"),
            models.Index(
                fields=["person", "is_open", "due_key", "escalation"], name="involved_person_due"
            ),
            models.Index(
                fields=["agency", "is_open", "due_key", "escalation"], name="involved_agency_due"
            ),
            models.Index(
                fields=["person", "raised_on", "escalation"], name="involved_person_raised"
            ),
            models.Index(
                fields=["agency", "raised_on", "escalation"], name="involved_agency_raised"
            ),
            models.Index(
                fields=["person", "created_at", "escalation"], name="involved_person_created"
            ),
            models.Index(
                fields=["agency", "created_at", "escalation"], name="involved_agency_created"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, agency__isnull=True)
                | models.Q(person__isnull=True, agency__isnull=False),
                name="involvement_is_a_person_or_an_agency",
            ),
            models.UniqueConstraint(
                fields=["escalation", "why", "person"],
                condition=models.Q(person__isnull=False),
                name="one_involvement_per_person_and_why",
            ),
            models.UniqueConstraint(
                fields=["escalation", "why", "agency"],
                condition=models.Q(agency__isnull=False),
                name="one_involvement_per_agency_and_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_why_display()} on {self.escalation}"

    def as_fact(self) -> access.Involvement:
        return access.Involvement(
            access.Why(self.why), person_id=self.person_id, agency_id=self.agency_id
        )


class Appointment(models.Model):
    """Someone appointed to the final stage: a panel member or the meeting's chair."""

    class Role(models.TextChoices):
        PANEL_MEMBER = moves.AppointeeRole.PANEL_MEMBER.value, "Panel member"
        MEETING_CHAIR = moves.AppointeeRole.MEETING_CHAIR.value, "Chair of the meeting"

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="appointments"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments")
    role = models.CharField(max_length=16, choices=Role.choices)
    appointed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    appointed_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["appointed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} on {self.escalation}"


class ResolutionProposal(models.Model):
    """A resolution recorded by one agency, agreed once every other party agency confirms."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Waiting for confirmation"
        AGREED = "agreed", "Agreed"
        LAPSED = "lapsed", "Lapsed"

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="resolution_proposals"
    )
    stage_number = models.PositiveSmallIntegerField()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    agreed_outcome = models.TextField()
    actions = models.JSONField(
        default=list,
        help_text="The agreed actions proposed: description, owner id and due date each; "
        "they become agreed actions once everyone confirms.",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    proposed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposed_at", "pk"]

    def __str__(self) -> str:
        return f"Resolution proposed on {self.escalation}"


class ResolutionConfirmation(models.Model):
    proposal = models.ForeignKey(
        ResolutionProposal, on_delete=models.CASCADE, related_name="confirmations"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "agency"], name="one_confirmation_per_agency"
            )
        ]

    def __str__(self) -> str:
        return f"Confirmation of {self.proposal}"


class StageEntry(models.Model):
    class Outcome(models.TextChoices):
        RESOLVED = engine.StageOutcome.RESOLVED.value, "Resolved"
        ESCALATED = engine.StageOutcome.ESCALATED.value, "Escalated"
        WITHDRAWN = engine.StageOutcome.WITHDRAWN.value, "Withdrawn"

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="stage_entries"
    )
    number = models.PositiveSmallIntegerField()
    entered_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(blank=True)
    ended_on = models.DateField(null=True, blank=True)
    working_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Working days the stage took, on the procedure's calendar; set when it ends.",
    )
    # Copied from the escalation when the stage is entered, so the board's timeliness
    # figures read a partnership's period of stages from one index, not a join.
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    case_raised_on = models.DateField(help_text="The day its escalation was raised.")

    class Meta:
        # A stage is entered again when an escalation is reopened after a failed check-back.
        ordering = ["entered_on", "pk"]
        indexes = [
            models.Index(
                fields=["partnership", "case_raised_on"],
                include=["number", "working_days", "due_on", "ended_on"],
                name="stage_entry_board",
            )
        ]

    def __str__(self) -> str:
        return f"{self.escalation} stage {self.number}"


class Contact(models.Model):
    """A recorded discussion, as the NEL recording template lists it."""

    class Kind(models.TextChoices):
        TELEPHONE = "telephone", "Telephone"
        MEETING = "meeting", "Meeting"
        EMAIL = "email", "Email"
        OTHER = "other", "Other"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="contacts")
    stage_number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    between = models.TextField(help_text="Names, agency and status of those in contact.")
    summary = models.TextField()
    outcome = models.TextField(help_text="Outcome, actions and next steps agreed.")
    decision_makers = models.TextField(blank=True)
    happened_on = models.DateField()
    recorded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="contacts_recorded"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    latest_correction = models.ForeignKey(
        "Correction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version it now reads as; the columns above stay as first recorded.",
    )

    class Meta:
        ordering = ["stage_number", "happened_on", "recorded_at"]

    def __str__(self) -> str:
        return f"{self.escalation} contact at stage {self.stage_number}"

    @property
    def current(self) -> ContactVersion:
        """The contact as it now reads: its latest correction's version, else as recorded."""
        correction = self.latest_correction
        if correction is not None and correction.version:
            return ContactVersion.from_json(correction.version)
        return self.as_recorded

    @property
    def as_recorded(self) -> ContactVersion:
        return ContactVersion(
            kind=self.kind,
            between=self.between,
            summary=self.summary,
            outcome=self.outcome,
            decision_makers=self.decision_makers,
            happened_on=self.happened_on,
        )


CONTACT_ANSWERS = ("kind", "between", "summary", "outcome", "decision_makers", "happened_on")
"""The answers a contact records, each of which a correction may change."""


@dataclass(frozen=True)
class ContactVersion:
    """One version of a contact's answers: as first recorded, or as a correction left them."""

    kind: str
    between: str
    summary: str
    outcome: str
    decision_makers: str
    happened_on: date

    @property
    def kind_label(self) -> str:
        return str(Contact.Kind(self.kind).label) if self.kind in Contact.Kind.values else ""

    def as_json(self) -> dict[str, str]:
        return {**asdict(self), "happened_on": self.happened_on.isoformat()}

    @classmethod
    def from_json(cls, version: dict[str, str]) -> ContactVersion:
        return cls(
            kind=version["kind"],
            between=version["between"],
            summary=version["summary"],
            outcome=version["outcome"],
            decision_makers=version["decision_makers"],
            happened_on=date.fromisoformat(version["happened_on"]),
        )


class AgreedAction(models.Model):
    class Implementation(models.TextChoices):
        PENDING = "pending", "Not checked yet"
        IMPLEMENTED = "implemented", "Implemented"
        NOT_IMPLEMENTED = "not_implemented", "Not implemented"

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="agreed_actions"
    )
    stage_number = models.PositiveSmallIntegerField()
    description = models.TextField()
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="agreed_actions")
    due_on = models.DateField()
    understanding_confirmed_at = models.DateTimeField(null=True, blank=True)
    understanding_confirmed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    implementation = models.CharField(
        max_length=16, choices=Implementation.choices, default=Implementation.PENDING
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    check_note = models.TextField(blank=True)
    superseded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the escalation reopened after a failed check-back: a new "
        "resolution agrees new actions; these stay on the record.",
    )

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"Agreed action {self.pk} on {self.escalation}"


class ChecklistTick(models.Model):
    """One item of the policy's checklist for the stage that ended in agreement."""

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="checklist_ticks"
    )
    stage_number = models.PositiveSmallIntegerField()
    item = models.CharField(max_length=60)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The agency attesting, for items each agency answers for itself.",
    )
    is_done = models.BooleanField(default=False)
    not_done_reason = models.TextField(blank=True)
    review_on = models.DateField(null=True, blank=True)
    ticked_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    ticked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "stage_number", "item", "agency"],
                name="one_tick_per_item_and_agency",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} on {self.escalation}"


class Representation(models.Model):
    """A party's written representation to the final stage."""

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="representations"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    submitted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Representation on {self.escalation}"


class FinalDecision(models.Model):
    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="final_decisions"
    )
    decided_by_kind = models.CharField(max_length=40)
    decision = models.TextField()
    decided_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    chaired_by_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_on = models.DateField()
    latest_correction = models.ForeignKey(
        "Correction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version it now reads as; the decision above stays as first recorded.",
    )

    class Meta:
        ordering = ["pk"]  # more than one only when a decision's check-back failed and it reopened

    def __str__(self) -> str:
        return f"Decision on {self.escalation}"

    @property
    def current_decision(self) -> str:
        """The decision as it now reads: its latest correction's, else as recorded."""
        correction = self.latest_correction
        if correction is not None and correction.version:
            return str(correction.version["decision"])
        return self.decision


class Correction(models.Model):
    """A corrected version of a contact or a final decision, with why (decision 0025).

    The entry itself is never rewritten: its columns stay as first recorded, which the
    history vouches for, and ``latest_correction`` points to the version it now reads as.
    ``version`` holds every correctable answer, so the latest alone says the current text."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="corrections")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="corrections"
    )
    final_decision = models.ForeignKey(
        FinalDecision,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="corrections",
    )
    version = models.JSONField(
        null=True, help_text="The answers as corrected; null once retention has removed them."
    )
    reason = models.TextField()
    corrected_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    corrected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False, final_decision__isnull=True)
                | models.Q(contact__isnull=True, final_decision__isnull=False),
                name="correction_of_one_entry",
            )
        ]

    def __str__(self) -> str:
        return f"Correction on {self.escalation}"


def corrections_of(entry: Contact | FinalDecision) -> list[Correction]:
    """An entry's corrections, oldest first: none read for an entry never corrected, and a
    corrected one's from the prefetch its reader made (``selectors``, the API's lists)."""
    if entry.latest_correction_id is None:
        return []
    return list(entry.corrections.all())


def attachment_storage() -> Storage:
    """The ``attachments`` store of ``STORAGES`` (config/settings/attachments.py)."""
    return storages["attachments"]


ATTACHMENTS_FOLDER = "attachments"


def attachment_key(instance: Attachment, filename: str) -> str:
    """Where a file is kept: a random key, never its own name or anything about the subject."""
    return f"{ATTACHMENTS_FOLDER}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    """A file (minutes, a letter, a note) attached to an escalation, perhaps to one contact.

    ``name`` is the name it was uploaded with, cleaned, and is shown only to those who see
    the escalation; the store knows the file by a random key (``attachment_key``)."""

    class Kind(models.TextChoices):
        MINUTES = AttachmentKind.MINUTES.value, "Minutes"
        LETTER = AttachmentKind.LETTER.value, "Letter"
        NOTE = AttachmentKind.NOTE.value, "Note"
        OTHER = AttachmentKind.OTHER.value, "Other"

    escalation = models.ForeignKey(
        Escalation,
        on_delete=models.CASCADE,
        related_name="attachments",
        db_index=False,  # the (escalation, uploaded_at, id) index below serves it
    )
    stage_number = models.PositiveSmallIntegerField(help_text="The stage it was attached at.")
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="attachments", null=True, blank=True
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=100, help_text="As its content says, not its name.")
    size = models.PositiveIntegerField(help_text="In bytes.")
    sha256 = models.CharField(max_length=64)
    file = models.FileField(storage=attachment_storage, upload_to=attachment_key, max_length=200)
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        indexes = [
            models.Index(
                fields=["escalation", "uploaded_at", "id"], name="attachments_of_escalation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id} attachment {self.pk}"  # never the name: it may name someone

    def get_absolute_url(self) -> str:
        return reverse(
            "escalations:attachment",
            kwargs={"pk": self.escalation_id, "attachment_id": self.pk},
        )
