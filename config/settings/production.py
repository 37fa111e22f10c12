"""Production: refuses to start without its secrets, never in debug, HTTPS only.

It also refuses what works for one process on a laptop and fails when several serve: SQLite
(one file, one writer), a wildcard host name, and a cache in each process's own memory
(decision 24).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    ATTACHMENT_STORAGE,
    BASE_DIR,
    CACHES,
    DATABASES,
    ESCALATE_LOG_LEVEL,
    ESCALATE_PROBE_REDIRECT_EXEMPT,
    ESCALATE_SECOND_FACTOR,
    SECRET_KEY,
    env,
)
from .observability import logging_settings

DEBUG = False
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of 50 characters or more."
    )
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must name the host names this service answers to."
    )
if any("*" in host for host in ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must list the host names themselves, not a wildcard: "
        "a wildcard lets any Host header through, and password-reset links are built "
        "from it (a leading dot, .example.org, allows that domain's subdomains)."
    )
if not env("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must point at the production PostgreSQL database.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL (postgres://...): production does not run on "
        "SQLite, which lets one process write at a time and has no roles to keep the "
        "history append-only (docs/production.md)."
    )
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
    raise ImproperlyConfigured(
        "ESCALATE_CACHE_URL must name a cache every process shares (redis://host:6379/0, "
        "or database): in each process's own memory, every web process would allow the "
        "API's full rate."
    )

if not env("ESCALATE_SITE_URL"):
    raise ImproperlyConfigured("ESCALATE_SITE_URL must be set: links in messages point there.")
if ESCALATE_SECOND_FACTOR not in {"above_practitioner", "everyone"}:
    raise ImproperlyConfigured("ESCALATE_SECOND_FACTOR must be above_practitioner or everyone.")

SECURE_SSL_REDIRECT = True
# The balancer's probes and Prometheus's scrape come over plain HTTP from inside (decision 27).
SECURE_REDIRECT_EXEMPT = ESCALATE_PROBE_REDIRECT_EXEMPT
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# collectstatic writes here: every file under a name with its content's hash (so a browser
# may keep it for a year), each also compressed; WhiteNoise serves them (decision 24).
STATIC_ROOT = env("ESCALATE_STATIC_ROOT") or str(BASE_DIR / "build" / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "attachments": ATTACHMENT_STORAGE,  # config/settings/attachments.py
}

# One JSON object per line, with the request id, unless ESCALATE_LOG_FORMAT=text (decision 27).
ESCALATE_LOG_FORMAT = env("ESCALATE_LOG_FORMAT") or "json"
LOGGING = logging_settings(ESCALATE_LOG_FORMAT, level=ESCALATE_LOG_LEVEL)
