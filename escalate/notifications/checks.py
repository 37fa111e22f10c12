"""System checks: a mistyped channel or a half-configured GOV.UK Notify stops start-up,
rather than every change failing (rows are written with the change that causes them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from escalate.notifications.models import Notification


@register(Tags.compatibility)
def check_notification_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    channel = getattr(settings, "NOTIFICATIONS_CHANNEL", "")
    if channel not in Notification.Channel.values:
        return [
            Error(
                f"NOTIFICATIONS_CHANNEL is {channel!r}.",
                hint=f"Use one of: {', '.join(Notification.Channel.values)}.",
                id="notifications.E001",
            )
        ]
    if channel == Notification.Channel.GOVUK_NOTIFY and not (
        settings.GOVUK_NOTIFY_API_KEY and settings.GOVUK_NOTIFY_TEMPLATE_ID
    ):
        return [
            Error(
                "GOV.UK Notify is the notification channel but is not configured.",
                hint="Set GOVUK_NOTIFY_API_KEY and GOVUK_NOTIFY_TEMPLATE_ID.",
                id="notifications.E002",
            )
        ]
    return []
