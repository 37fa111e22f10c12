from __future__ import annotations

from django.db import models

from escalate.audit.events import LABELS


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained history.

    Each partnership has its own chain; events about no one partnership are on the
    national chain (``partnership`` empty). The database refuses UPDATE and DELETE on
    this table (see the migration's triggers).
    """

    occurred_at = models.DateTimeField()
    event = models.CharField(max_length=60)
    actor = models.ForeignKey(
        "organisations.Person", on_delete=models.PROTECT, related_name="+", null=True
    )
    escalation = models.ForeignKey(
        "escalations.Escalation", on_delete=models.PROTECT, related_name="history", null=True
    )
    partnership = models.ForeignKey(
        "policies.Partnership",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        db_index=False,  # the (partnership, id) index below serves it
        help_text="Whose chain the event is on; empty for the national chain.",
    )
    stage_number = models.PositiveSmallIntegerField(null=True)
    data = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["partnership", "id"], name="audit_event_chain_idx")]

    def __str__(self) -> str:
        return f"{self.event} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        return LABELS.get(self.event, self.event)


class ReadEvent(models.Model):
    """Someone saw case material: who, when, what (escalation, document, export), from where."""

    class What(models.TextChoices):
        ESCALATION = "escalation", "Escalation"
        DOCUMENT = "document", "Document"
        EXPORT = "export", "Export"
        SUBJECT_ACCESS_EXPORT = "subject_access_export", "Subject access export"

    occurred_at = models.DateTimeField(auto_now_add=True)
    reader = models.ForeignKey("organisations.Person", on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=32, choices=What.choices)
    detail = models.CharField(max_length=120, blank=True, help_text="e.g. 'record.pdf'")
    # Served by the index below, which leads with it: every page view writes a row here.
    escalation = models.ForeignKey(
        "escalations.Escalation",
        on_delete=models.PROTECT,
        related_name="reads",
        null=True,
        db_index=False,
    )
    ip_address = models.GenericIPAddressField(null=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        # The whole ordering, tie-breaker included: without the id PostgreSQL sorted every
        # read of a case (3,288 on one bench case: 8 ms) to show the newest 50.
        indexes = [
            models.Index(fields=["escalation", "-occurred_at", "-id"], name="reads_of_escalation")
        ]

    def __str__(self) -> str:
        return f"{self.get_what_display()} read at {self.occurred_at:%Y-%m-%d %H:%M}"
