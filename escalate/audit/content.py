"""Which columns of the record the history vouches for (decision 22).

When a service writes one of these rows it passes the row to ``audit.record(wrote=...)``;
the event then carries a keyed digest of each column named here, as stored, and
``escalate audit verify`` reads the row again and reports any column that no longer matches.
Only columns that never change after the change that writes them belong here: a column a
later step may legitimately change (an agreed action's owner at a hand-over) would read as
tampered. Retention's blanking is told apart by ``ANONYMISED_VALUES``, and only counts on an
escalation whose anonymisation the chain itself records.

Models are named by label, so the audit app imports nothing from the apps that call it.
Add columns, never take one away: events written before still carry its digest.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

RECORDED_FIELDS: dict[str, tuple[str, ...]] = {
    "escalations.escalation": (
        "category",
        "decision_disputed",
        "evidence",
        "desired_outcome",
        "subject_views",
    ),
    "escalations.subject": ("kind", "name", "date_of_birth", "case_reference", "nhs_number"),
    "escalations.contact": (
        "kind",
        "between",
        "summary",
        "outcome",
        "decision_makers",
        "happened_on",
    ),
    "escalations.stageentry": ("number", "outcome", "outcome_reason", "ended_on"),
    "escalations.resolutionproposal": ("agreed_outcome", "actions"),
    "escalations.agreedaction": ("description", "due_on"),
    "escalations.finaldecision": ("decided_by_kind", "decision", "decided_on"),
    "escalations.representation": ("text",),
    "escalations.correction": ("version", "reason"),
}

# What retention leaves in a column it blanks (escalations/retention.py; a test holds them
# equal). On an escalation the chain records as anonymised, these read as anonymised.
REMOVED_TEXT = "[removed at the end of the retention period]"
ANONYMISED_VALUES: tuple[Any, ...] = (REMOVED_TEXT, "", None, [])


def label_of(row: Model) -> str:
    return str(row._meta.label_lower)


def place_of(label: str, pk: Any, field: str) -> str:
    return f"{label}:{pk}.{field}"


def text_place(name: str) -> str:
    return f"text.{name}"
