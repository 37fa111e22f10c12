"""How a rendered message leaves: Django's email backend, or GOV.UK Notify.

Each channel takes the notification's idempotency key and hands it to the
provider's own duplicate protection where there is one: a Message-ID derived
from the key for email (mail systems drop a repeated Message-ID), and the
``reference`` for GOV.UK Notify, which is looked up before any second attempt.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives

from escalate.notifications.models import Notification
from escalate.notifications.rendering import Message


class Channel(Protocol):
    def send(
        self, *, to: str, message: Message, key: str, may_have_been_sent: bool
    ) -> str:  # pragma: no cover - a protocol
        """Send the message; return the provider's reference for it."""
        ...


def message_id(key: str) -> str:
    domain = urlsplit(settings.NOTIFICATIONS_SITE_URL).hostname or "escalate.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


class EmailChannel:
    def send(self, *, to: str, message: Message, key: str, may_have_been_sent: bool) -> str:
        identifier = message_id(key)
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.NOTIFICATIONS_FROM_EMAIL,
            to=[to],
            headers={"Message-ID": identifier, "X-Escalate-Notification": key},
        )
        email.attach_alternative(message.html, "text/html")
        email.send(fail_silently=False)
        return identifier


class GovukNotifyChannel:
    """GOV.UK Notify through its official client, with one email template for every message."""

    def send(self, *, to: str, message: Message, key: str, may_have_been_sent: bool) -> str:
        client = self.client()
        if may_have_been_sent:
            earlier = client.get_all_notifications(template_type="email", reference=key)
            found = earlier.get("notifications") or []
            if found:  # a previous attempt reached Notify before its worker died
                return str(found[0]["id"])
        response = client.send_email_notification(
            email_address=to,
            template_id=settings.GOVUK_NOTIFY_TEMPLATE_ID,
            personalisation={"subject": message.subject, "body": message.text},
            reference=key,
        )
        return str(response["id"])

    def client(self) -> Any:
        from notifications_python_client.notifications import NotificationsAPIClient

        if not settings.GOVUK_NOTIFY_API_KEY or not settings.GOVUK_NOTIFY_TEMPLATE_ID:
            raise ImproperlyConfigured(
                "GOV.UK Notify needs GOVUK_NOTIFY_API_KEY and GOVUK_NOTIFY_TEMPLATE_ID."
            )
        return NotificationsAPIClient(settings.GOVUK_NOTIFY_API_KEY)  # type: ignore[no-untyped-call]


_CHANNELS: dict[str, type[Channel]] = {
    Notification.Channel.EMAIL: EmailChannel,
    Notification.Channel.GOVUK_NOTIFY: GovukNotifyChannel,
}


def configured_channel() -> str:
    channel = settings.NOTIFICATIONS_CHANNEL
    if channel not in _CHANNELS:
        raise ImproperlyConfigured(
            f"NOTIFICATIONS_CHANNEL must be one of {', '.join(_CHANNELS)}, not {channel!r}."
        )
    return str(channel)


def channel_for(name: str) -> Channel:
    return _CHANNELS[name]()
