from __future__ import annotations

from django.db import models

from escalate.audit.events import LABELS


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained history.

    The database refuses UPDATE and DELETE on this table (see the migration's triggers).
    """

    occurred_at = models.DateTimeField()
    event = models.CharField(max_length=60)
    actor = models.ForeignKey(
        "organisations.Person", on_delete=models.PROTECT, related_name="+", null=True
    )
    escalation = models.ForeignKey(
        "escalations.Escalation", on_delete=models.PROTECT, related_name="history", null=True
    )
    stage_number = models.PositiveSmallIntegerField(null=True)
    data = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.event} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        return LABELS.get(self.event, self.event)
