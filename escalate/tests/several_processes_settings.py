"""Settings for the processes test_several_processes.py starts: production's, with three changes.

- Mail goes to the slow file backend of the worker fault tests (one file per message sent,
  named by the notification's key, so a message sent twice shows as two files) instead of an
  SMTP relay the machine does not have.
- The cache's keys carry this run's own prefix, so a run never counts against the rate
  limits an earlier run left in the same Redis database.
- The write rate is the test's (``ESCALATE_TEST_WRITE_RATE``), tight enough that the check
  of the shared limit costs a few dozen requests.

The claim and housekeeping intervals are shortened through production's own environment
variables (ESCALATE_NOTIFICATION_CLAIM_SECONDS, ESCALATE_HOUSEKEEPING_SECONDS).
"""

import os

from config.settings.production import *  # noqa: F403
from config.settings.production import CACHES

EMAIL_BACKEND = "escalate.notifications.tests.mail_backends.SlowFileBackend"
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": os.environ["ESCALATE_TEST_CACHE_PREFIX"]}}
ESCALATE_API_RATES = {"read": "600/minute", "write": os.environ["ESCALATE_TEST_WRITE_RATE"]}
