from __future__ import annotations

from functools import lru_cache

from django.db import models
from django.urls import reverse

from escalate.domain.policy import PolicyRules
from escalate.domain.policy_loading import load_policy_text

# Two to eight capitals or digits, so "NEL-2026-000123" fits Escalation.reference's 20.
PARTNERSHIP_CODE_PATTERN = r"^[A-Z0-9]{2,8}$"
# References issued before each partnership had a code start with this; no code may.
LEGACY_REFERENCE_PREFIX = "ESC"


class Partnership(models.Model):
    """A safeguarding children partnership or adults board."""

    slug = models.SlugField(unique=True, help_text="The policy's short name, e.g. 'nel'.")
    name = models.CharField(max_length=200)
    code = models.CharField(
        max_length=8,
        unique=True,
        help_text="Starts each of its escalations' references, e.g. 'NEL' in NEL-2026-000123. "
        "Fixed once a reference has been issued.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=PARTNERSHIP_CODE_PATTERN),
                name="partnership_code_is_short_capitals",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def current_policy(self) -> Policy:
        """The newest version, held per process once read (see ``versions``)."""
        from escalate.policies.versions import newest_version

        return newest_version(self)  # type: ignore[return-value]


class ReferenceCounter(models.Model):
    """The last escalation number a partnership issued in a year.

    One row per partnership and year, so two partnerships never wait on each other's
    numbering. Taken only through ``escalations/references.py``.
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "year"], name="one_reference_counter_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partnership_id} {self.year}: {self.last_number}"


class RetentionRule(models.Model):
    """How long a partnership keeps a kind of finished record before anonymising it."""

    class RecordType(models.TextChoices):
        CLOSED_ESCALATION = "closed_escalation", "Closed escalations"
        WITHDRAWN_ESCALATION = "withdrawn_escalation", "Withdrawn escalations"

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="retention_rules"
    )
    record_type = models.CharField(max_length=32, choices=RecordType.choices)
    keep_for_days = models.PositiveIntegerField(help_text="Days after closing before anonymising.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "record_type"], name="one_retention_rule_per_record_type"
            )
        ]

    def __str__(self) -> str:
        kind = self.get_record_type_display()
        return f"{self.partnership.slug}: {kind} for {self.keep_for_days} days"


class Policy(models.Model):
    """One version of a partnership's procedure, stored as the text it was loaded from.

    Rows are never edited: a changed procedure is a new version, and an escalation
    keeps the version it started under.
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="policies")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    source = models.CharField(max_length=200)
    text = models.TextField(help_text="The policy file, exactly as loaded.")
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partnership__name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "version"], name="one_row_per_policy_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partnership.slug} version {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("policies:detail", kwargs={"slug": self.partnership.slug})

    @property
    def rules(self) -> PolicyRules:
        """The parsed procedure, once per process: a stored version never changes."""
        return _rules_from_text(self.sha256, self.text)

    def to_rules(self) -> PolicyRules:
        return self.rules


@lru_cache(maxsize=256)
def _rules_from_text(sha256: str, text: str) -> PolicyRules:
    result = load_policy_text(text)
    if result.rules is None:  # stored text was checked on load; this means tampering
        raise ValueError(f"A stored policy no longer loads: {result.errors[0].line('')}")
    return result.rules
