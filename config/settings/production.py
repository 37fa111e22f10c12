"""Production: refuses to start without its secrets, never in debug, HTTPS only."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    ATTACHMENT_STORAGE,
    BASE_DIR,
    ESCALATE_SECOND_FACTOR,
    SECRET_KEY,
    env,
)

DEBUG = False
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of 50 characters or more."
    )
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must name the host names this service answers to."
    )
if not env("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must point at the production PostgreSQL database.")

if not env("ESCALATE_SITE_URL"):
    raise ImproperlyConfigured("ESCALATE_SITE_URL must be set: links in messages point there.")
if ESCALATE_SECOND_FACTOR not in {"above_practitioner", "everyone"}:
    raise ImproperlyConfigured("ESCALATE_SECOND_FACTOR must be above_practitioner or everyone.")

SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STATIC_ROOT = BASE_DIR / "build" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "attachments": ATTACHMENT_STORAGE,  # config/settings/attachments.py
}
