"""The laptop demo: SQLite, debug pages, mail printed to the console."""

from .base import *  # noqa: F403
from .base import env

DEBUG = True
SECRET_KEY = env("DJANGO_SECRET_KEY") or "local-demo-only-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
WHITENOISE_USE_FINDERS = True  # serve straight from the app folders, no collectstatic
DEMO_SIGN_IN_NOTE = (
    "This is a demo with invented people: sign in as practitioner.education@nel.example.org "
    "with the password demo-password-not-for-real-use. In this demo no second factor is "
    "asked for; a real deployment asks everyone above practitioner for a one-time code."
)
ESCALATE_SECOND_FACTOR = "nobody"  # the demo only; its sign-in page says so
