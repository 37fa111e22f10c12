"""Fast, repeatable tests: quick hashing, in-memory mail, London time."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "tests-only-not-secret"  # noqa: S105 - never used outside the test run
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TIME_ZONE = "Europe/London"
# Each test process its own cache, whatever ESCALATE_CACHE_URL says: xdist's workers must not
# share rate-limit counts. The tests of the shared cache set theirs.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
WHITENOISE_USE_FINDERS = True  # serve straight from the app folders, no collectstatic
# Most tests exercise pages, not sign-in: the second factor has its own tests, which turn it on.
ESCALATE_SECOND_FACTOR = "nobody"

# --- notifications (escalate/notifications) -------------------------------------------
# Tasks run at once, in the test's process, after the transaction commits; retries that
# would be deferred are left to requeue_stalled (the immediate backend cannot defer).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": TASK_QUEUES,  # noqa: F405 - from config/settings/notifications.py via base
    }
}
NOTIFICATIONS_SITE_URL = "http://testserver"
NOTIFICATIONS_CHANNEL = "email"
# --- end notifications ----------------------------------------------------------------
