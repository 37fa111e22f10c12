"""Settings for worker processes started by the fault tests (test_worker.py).

The test settings, with the real database-backed queue instead of running tasks at
once, the slow file email backend, a short claim and frequent housekeeping, so a
killed worker's notification is recovered within seconds. DATABASE_URL (read in
base.py) points the worker at the test's database.
"""

from config.settings.test import *  # noqa: F403
from config.settings.test import TASK_QUEUES

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
EMAIL_BACKEND = "escalate.notifications.tests.mail_backends.SlowFileBackend"
NOTIFICATIONS_CLAIM_SECONDS = 2
NOTIFICATIONS_HOUSEKEEPING_SECONDS = 1
