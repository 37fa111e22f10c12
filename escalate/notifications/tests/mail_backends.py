"""Email backends for tests: one that always fails, one that is slow and leaves a trail.

``SlowFileBackend`` is what the worker fault tests run under: before each message it
writes a "sending" marker (so a test knows a send is in progress and can kill the
worker then), sleeps, then writes the message to its own file, named by the
notification's idempotency key and a counter, so duplicates would show as two files.
"""

from __future__ import annotations

import os
import smtplib
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed (test relay)")


class SlowFileBackend(BaseEmailBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = Path(os.environ["ESCALATE_TEST_MAIL_DIR"])
        self.delay = float(os.environ.get("ESCALATE_TEST_MAIL_DELAY", "0.3"))

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            key = str(message.extra_headers["X-Escalate-Notification"]).replace(":", "_")
            (self.directory / f"sending-{key}-{uuid.uuid4().hex}").touch()
            time.sleep(self.delay)
            sent = self.directory / f"sent-{key}-{uuid.uuid4().hex}.eml"
            sent.write_bytes(message.message().as_bytes())
        return len(email_messages)
