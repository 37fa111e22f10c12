from __future__ import annotations

from django.db import models

from escalate.escalations.models import Escalation
from escalate.organisations.models import Agency, Person


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
