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
    # Decision 22. All nullable: adding them is an ALTER TABLE on both databases, which the
    # append-only triggers allow, and events written before keep their shape.
    key_id = models.CharField(  # noqa: DJ001 - NULL is "unkeyed"; a default rebuilds SQLite's table
        max_length=16,
        null=True,
        help_text="Which audit key signed the link; empty for the unkeyed links written before.",
    )
    wrote = models.JSONField(
        null=True,
        help_text="Keyed digests of the rows the change wrote: {'app.model:pk': {field: digest}}.",
    )
    text_digests = models.JSONField(
        null=True, help_text="Keyed digests of the personal text kept in EventText, by name."
    )

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["partnership", "id"], name="audit_event_chain_idx")]

    def __str__(self) -> str:
        return f"{self.event} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        return LABELS.get(self.event, self.event)


class EventText(models.Model):
    """Personal text an event records (a reason), kept beside the append-only row so that
    retention can blank it. The event's hash covers the text's digest, so a change shows in
    verification unless it is an anonymisation the chain itself records (decision 22)."""

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="texts")
    name = models.CharField(max_length=40)
    text = models.TextField()
    anonymised_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="audit_event_text_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} of event {self.event_id}"


class Checkpoint(models.Model):
    """A signed note of a chain's head: how many events it had and the last one's hash.

    Append-only like the history. Removing events from the end of a chain leaves every link
    intact; comparing with the latest checkpoint finds them missing. ``escalate audit
    checkpoint`` writes one per chain and prints them, to be published outside the database.
    """

    partnership = models.ForeignKey(
        "policies.Partnership", on_delete=models.PROTECT, related_name="+", null=True
    )
    taken_at = models.DateTimeField()
    events = models.PositiveIntegerField(help_text="Events on the chain when it was taken.")
    last_event_id = models.BigIntegerField(null=True)
    last_hash = models.CharField(max_length=64)
    seals_unkeyed = models.BooleanField(
        default=False, help_text="Vouches for the unkeyed events written before decision 22."
    )
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Checkpoint of {self.events} events at {self.taken_at:%Y-%m-%d %H:%M}"


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
