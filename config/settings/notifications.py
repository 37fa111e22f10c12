"""Settings for notifications and background tasks (escalate/notifications).

Environment variables (all optional here; production sets the channel's own):

ESCALATE_SITE_URL                    where links in messages point (no trailing slash)
ESCALATE_NOTIFICATIONS_CHANNEL       "email" (Django's EMAIL_BACKEND) or "govuk_notify"
ESCALATE_NOTIFICATIONS_FROM          the From address of emails
GOVUK_NOTIFY_API_KEY                 a GOV.UK Notify API key (channel govuk_notify)
GOVUK_NOTIFY_TEMPLATE_ID             a Notify email template whose subject is ((subject))
                                     and whose body is ((body))
ESCALATE_REMINDER_WORKING_DAYS       reminders this many working days before a due date (1)
ESCALATE_DIGEST_HOUR                 the local hour daily digests go out from (8), and only within
                                     the partnership's working hours (decision 19)
EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS
                                     the SMTP relay, when EMAIL_BACKEND is SMTP (production)
"""

from .base import env, env_flag

__all__ = [
    "EMAIL_HOST",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_HOST_USER",
    "EMAIL_PORT",
    "EMAIL_TIMEOUT",
    "EMAIL_USE_TLS",
    "GOVUK_NOTIFY_API_KEY",
    "GOVUK_NOTIFY_TEMPLATE_ID",
    "NOTIFICATIONS_CHANNEL",
    "NOTIFICATIONS_CLAIM_SECONDS",
    "NOTIFICATIONS_DIGEST_HOUR",
    "NOTIFICATIONS_FROM_EMAIL",
    "NOTIFICATIONS_HOUSEKEEPING_SECONDS",
    "NOTIFICATIONS_MAX_ATTEMPTS",
    "NOTIFICATIONS_REMINDER_WORKING_DAYS",
    "NOTIFICATIONS_RETRY_BASE_SECONDS",
    "NOTIFICATIONS_RETRY_MAX_SECONDS",
    "NOTIFICATIONS_SITE_URL",
    "TASKS",
    "TASK_QUEUES",
]

# Every queue a task uses must be listed, or enqueueing it is refused.
TASK_QUEUES = ["default", "notifications", "housekeeping"]
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": TASK_QUEUES,
    }
}

NOTIFICATIONS_SITE_URL = (env("ESCALATE_SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
NOTIFICATIONS_CHANNEL = env("ESCALATE_NOTIFICATIONS_CHANNEL") or "email"
NOTIFICATIONS_FROM_EMAIL = env("ESCALATE_NOTIFICATIONS_FROM") or "Escalate <escalate@localhost>"
GOVUK_NOTIFY_API_KEY = env("GOVUK_NOTIFY_API_KEY") or ""
GOVUK_NOTIFY_TEMPLATE_ID = env("GOVUK_NOTIFY_TEMPLATE_ID") or ""

NOTIFICATIONS_REMINDER_WORKING_DAYS = int(env("ESCALATE_REMINDER_WORKING_DAYS") or "1")
NOTIFICATIONS_DIGEST_HOUR = int(env("ESCALATE_DIGEST_HOUR") or "8")

# Delivery: a failed send is retried after 1, 2, 4 ... minutes (at most 6 hours apart);
# after the last attempt it is marked failed and shown to administrators.
NOTIFICATIONS_MAX_ATTEMPTS = 8
NOTIFICATIONS_RETRY_BASE_SECONDS = 60
NOTIFICATIONS_RETRY_MAX_SECONDS = 6 * 60 * 60
# A worker that claimed a notification and died is presumed gone after this long, and
# the notification is sent again (GOV.UK Notify is asked first whether it already has it).
NOTIFICATIONS_CLAIM_SECONDS = int(env("ESCALATE_NOTIFICATION_CLAIM_SECONDS") or "300")
# How often the notifications worker sweeps deadlines, sends due digests and re-queues
# notifications a dead worker left behind.
NOTIFICATIONS_HOUSEKEEPING_SECONDS = int(env("ESCALATE_HOUSEKEEPING_SECONDS") or "300")

EMAIL_HOST = env("EMAIL_HOST") or "localhost"
EMAIL_PORT = int(env("EMAIL_PORT") or "25")
EMAIL_HOST_USER = env("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 30
