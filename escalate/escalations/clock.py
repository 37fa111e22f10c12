"""The one adapter that gives the domain today's date and a partnership's calendar."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from escalate.calendars import working_calendar
from escalate.domain.calendar import WorkingCalendar
from escalate.domain.policy import PolicyRules


def local_today() -> date:
    return timezone.localdate()


def calendar_for(rules: PolicyRules) -> WorkingCalendar:
    return working_calendar(rules.nation, rules.closure_days)
