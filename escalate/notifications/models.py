"""The outbox: one row per person per thing they must hear, written with the change itself.

A row is never about the subject: its context holds the escalation's reference,
stage and dates, never the child's or adult's name or any identifier, and no free
text typed by a practitioner (which might name them).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse

from escalate.escalations.models import AgreedAction, Escalation
from escalate.organisations.models import Person


class Notification(models.Model):
    class Kind(models.TextChoices):
        RAISED = "raised", "Escalation raised"
        STAGE_ENTERED = "stage_entered", "Escalated to a new stage"
        REOPENED = "reopened", "Reopened after a failed check-back"
        RESOLUTION_PROPOSED = "resolution_proposed", "Resolution waiting for confirmation"
        APPOINTED = "appointed", "Appointed to the final stage"
        HANDED_OVER = "handed_over", "Handed over to you by a leaver"
        LEAVER_WORK = "leaver_work", "A leaver's work needs someone"
        OUTCOME = "outcome", "Outcome"
        DUE_SOON = "due_soon", "Stage due soon"
        DUE_TODAY = "due_today", "Stage due today"
        OVERDUE = "overdue", "Stage overdue"
        ACTION_DUE_SOON = "action_due_soon", "Agreed action due soon"
        ACTION_DUE_TODAY = "action_due_today", "Agreed action due today"
        CHECK_BACK = "check_back", "Check back an agreed action"
        DIGEST = "digest", "Daily digest"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        GOVUK_NOTIFY = "govuk_notify", "GOV.UK Notify"

    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    escalation = models.ForeignKey(
        Escalation,
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    agreed_action = models.ForeignKey(
        AgreedAction,
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    stage_number = models.PositiveSmallIntegerField(null=True, blank=True)
    due_on = models.DateField(
        null=True, blank=True, help_text="For reminders: the due date they are about."
    )
    context = models.JSONField(
        default=dict, help_text="What the message says: references and dates, never the subject."
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    is_urgent = models.BooleanField(default=False, help_text="Never held back for a digest.")
    awaits_digest = models.BooleanField(
        default=False, help_text="Held for the recipient's daily digest instead of sent alone."
    )
    digest = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        help_text="The daily digest that carried this notification.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending it until then."
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["next_attempt_at"],
                name="notification_pending",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["escalation", "kind", "stage_number", "due_on"],
                name="notification_stage_reminder",
            ),
            models.Index(fields=["agreed_action", "kind", "due_on"], name="notification_action"),
            models.Index(fields=["status", "-created_at"], name="notification_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for person {self.recipient_id}"

    def get_absolute_url(self) -> str:
        if self.escalation_id:
            return reverse("escalations:detail", kwargs={"pk": self.escalation_id})
        return ""


class DeliveryAttempt(models.Model):
    """One try at sending a notification, kept for the administrators' failure screen."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    attempted_at = models.DateTimeField(auto_now_add=True)
    succeeded = models.BooleanField()
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        outcome = "sent" if self.succeeded else "failed"
        return f"Attempt on notification {self.notification_id}: {outcome}"


class NotificationPreference(models.Model):
    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="notification_preference"
    )
    daily_digest = models.BooleanField(
        default=False,
        help_text="Gather non-urgent notifications into one email a day.",
    )

    def __str__(self) -> str:
        return f"Notification preferences of person {self.person_id}"


class WorkerHeartbeat(models.Model):
    """A notifications worker's latest sign of life, for the readiness probe (decision 27).

    A row in the database, not a value in memory, so a web process on any machine can tell
    whether some worker, anywhere, is still running.
    """

    worker_id = models.CharField(max_length=100, unique=True)
    process = models.CharField(max_length=200, help_text="host:pid of the worker's process.")
    last_seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Worker {self.worker_id}, last seen {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
