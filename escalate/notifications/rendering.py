"""A notification row as the words a person reads: subject, plain text and HTML.

Templates receive display-ready values only, built here from the row's context,
which holds references, stage numbers and dates, never the subject's details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from escalate.domain.recipients import REASON_LABELS, Reason
from escalate.notifications.models import Notification

NOTIFICATIONS_PATH = "/notifications/"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def absolute(path: str) -> str:
    return f"{settings.NOTIFICATIONS_SITE_URL}{path}" if path else ""


def notifications_url() -> str:
    try:
        path = reverse("notifications:list")
    except NoReverseMatch:  # the app's URLs are not mounted yet
        path = NOTIFICATIONS_PATH
    return absolute(path)


def day_label(iso: str | None) -> str:
    return f"{date.fromisoformat(iso):%a %d %b %Y}" if iso else ""


def display_context(notification: Notification, *, recipient_name: str = "") -> dict[str, Any]:
    context = dict(notification.context)
    reasons = [REASON_LABELS[Reason(value)] for value in context.pop("reasons", [])]
    items = [
        {"subject": item["subject"], "url": absolute(item.get("path", ""))}
        for item in context.pop("items", [])
    ]
    return {
        **context,
        "kind": notification.kind,
        "recipient_name": recipient_name,
        "reasons": reasons,
        "items": items,
        "due_label": day_label(context.get("due_on")),
        "url": absolute(context.get("path", "")),
        "notifications_url": notifications_url(),
    }


def subject_line(notification: Notification) -> str:
    return _render_subject(notification.kind, display_context(notification))


def render(notification: Notification, *, recipient_name: str) -> Message:
    context = display_context(notification, recipient_name=recipient_name)
    subject = _render_subject(notification.kind, context)
    text = render_to_string(f"notifications/email/{notification.kind}.txt", context).strip()
    html = render_to_string("notifications/email/message.html", {"subject": subject, "text": text})
    return Message(subject=subject, text=text + "\n", html=html)


def _render_subject(kind: str, context: dict[str, Any]) -> str:
    subject = render_to_string(f"notifications/email/{kind}_subject.txt", context)
    return " ".join(subject.split())  # one line: a newline in a subject is refused by email
