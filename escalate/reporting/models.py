from __future__ import annotations

from datetime import date

from django.db import models

from escalate.escalations.models import Escalation
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership


class PracticeIssue(models.Model):
    """One entry of an escalation's Escalation Notification Form (source 003).

    From stage 3 the lead agency tells the partnership of the policy or practice issues
    an escalation reveals, resolved or not, and updates it at each later stage. Each
    update is a new row, so the history is kept; rows are never edited.
    """

    escalation = models.ForeignKey(
        Escalation, on_delete=models.PROTECT, related_name="practice_issues"
    )
    stage_number = models.PositiveSmallIntegerField()
    issue = models.TextField(help_text="The policy or practice issue, or what remains of it.")
    is_resolved = models.BooleanField()
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["escalation", "-updated_at"])]

    def __str__(self) -> str:
        return f"Practice issue on {self.escalation} at stage {self.stage_number}"


class BoardAction(models.Model):
    """What the partnership's board decides to do about a practice issue, tracked to done.

    Created and completed only through ``reporting.services`` (each audited), by the
    partnership's business manager or chair.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    class Outcome(models.TextChoices):
        PROCEDURE_CHANGED = "procedure_changed", "Procedure changed"
        TRAINING = "training", "Training"
        GUIDANCE = "guidance", "Guidance"
        NO_CHANGE = "no_change", "No change"

    practice_issue = models.ForeignKey(
        PracticeIssue, on_delete=models.PROTECT, related_name="board_actions"
    )
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.PROTECT,
        related_name="board_actions",
        db_index=False,  # the (partnership, ...) indexes below serve it
    )
    description = models.TextField()
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="board_actions")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    completed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # the list, newest first (keyset on created_at, id), and its open/done filter
            models.Index(fields=["partnership", "-created_at"], name="board_action_list"),
            models.Index(fields=["partnership", "status", "due_on"], name="board_action_open"),
            # the figures: done in a period
            models.Index(fields=["partnership", "completed_at"], name="board_action_done"),
        ]

    def __str__(self) -> str:
        return f"Board action on {self.practice_issue.escalation}"

    def is_overdue(self, *, today: date) -> bool:
        return self.status == self.Status.OPEN and self.due_on < today


class GoodPractice(models.Model):
    """Good multi-agency practice someone involved saw in an escalation ("recognise good
    practice"); counted on the partnership's dashboard. Rows are never edited."""

    escalation = models.ForeignKey(
        Escalation, on_delete=models.PROTECT, related_name="good_practice"
    )
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    description = models.TextField()
    recorded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["partnership", "-recorded_at"], name="good_practice_list")]

    def __str__(self) -> str:
        return f"Good practice in {self.escalation}"
