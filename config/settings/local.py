"""The laptop demo: SQLite, the service's own error pages, mail printed to the console."""

from .base import *  # noqa: F403
from .base import env, env_flag

# Off, so a page someone may not see answers with the GOV.UK "page not found", not Django's
# debug page listing every URL. DJANGO_DEBUG=1 gives developers the debug pages back.
DEBUG = env_flag("DJANGO_DEBUG")
SECRET_KEY = env("DJANGO_SECRET_KEY") or "local-demo-only-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# WhiteNoise serves the CSS and JavaScript straight from the app folders (no collectstatic),
# with DEBUG off too, when runserver no longer serves them.
WHITENOISE_USE_FINDERS = True
DEMO_SIGN_IN_NOTE = (
    "This is a demo with invented people: sign in as practitioner.education@nel.example.org "
    "with the password demo-password-not-for-real-use. In this demo no second factor is "
    "asked for; a real deployment asks everyone above practitioner for a one-time code."
)
ESCALATE_SECOND_FACTOR = "nobody"  # the demo only; its sign-in page says so
