"""Pages every public service publishes: the accessibility statement and the privacy notice.

Both answer anyone, signed in or not, and show no case material. Where a fact belongs to a
partnership (its contact details, its data protection officer) the page says so and leaves
a marked gap; where Escalate itself decides (how long a session lasts, how long each
partnership keeps finished escalations) the page reads the setting or the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from escalate.policies.models import Partnership, RetentionRule

NOT_SET = "Not set yet: nothing is anonymised"


@dataclass(frozen=True)
class RetentionPeriod:
    """One partnership's retention periods, as the privacy notice shows them."""

    partnership: str
    closed: str
    withdrawn: str


def _period_text(days: int | None) -> str:
    if days is None:
        return NOT_SET
    if days % 365 == 0:
        years = days // 365
        return f"{days:,} days ({years} year{'s' if years != 1 else ''}) after it ends"
    return f"{days:,} days after it ends"


def retention_periods() -> list[RetentionPeriod]:
    """Each partnership's retention rules (``RetentionRule``), which ``apply_retention``
    anonymises by; a partnership with no rule for a kind of record keeps it until it sets one."""
    periods = []
    for partnership in Partnership.objects.prefetch_related("retention_rules").order_by("name"):
        days = {rule.record_type: rule.keep_for_days for rule in partnership.retention_rules.all()}
        periods.append(
            RetentionPeriod(
                partnership=partnership.name,
                closed=_period_text(days.get(RetentionRule.RecordType.CLOSED_ESCALATION)),
                withdrawn=_period_text(days.get(RetentionRule.RecordType.WITHDRAWN_ESCALATION)),
            )
        )
    return periods


@require_safe
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/accessibility_statement.html",
        {
            "idle_minutes": settings.ESCALATE_SESSION_IDLE_SECONDS // 60,
            "absolute_hours": settings.ESCALATE_SESSION_ABSOLUTE_SECONDS // 3600,
        },
    )


@require_safe
def privacy_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "public/privacy_notice.html", {"retention": retention_periods()})
