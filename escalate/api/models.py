from __future__ import annotations

from datetime import datetime

from django.db import models

from escalate.organisations.models import Person


class ApiToken(models.Model):
    """A person's key to the API. Only a hash of the secret is kept: it is shown once."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'Case system'.")
    prefix = models.CharField(
        max_length=16, unique=True, help_text="The token's public start, to recognise it by."
    )
    secret_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the whole token.")
    scope = models.CharField(max_length=8, choices=Scope.choices)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"API token {self.prefix}"

    def is_expired(self, *, now: datetime) -> bool:
        return self.expires_at <= now

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def allows_writes(self) -> bool:
        return self.scope == self.Scope.WRITE


class IdempotencyRecord(models.Model):
    """The first successful response to a POST carrying an ``Idempotency-Key``.

    A retry with the same key and body gets this response again instead of a second
    change; rows older than ``ESCALATE_API_IDEMPOTENCY_HOURS`` are forgotten.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], name="one_response_per_key")
        ]

    def __str__(self) -> str:
        return f"Idempotency record {self.pk}"
