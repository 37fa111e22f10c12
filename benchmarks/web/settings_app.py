"""Escalate as production runs it, on loopback HTTP: DEBUG off, no HTTPS redirect."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 60)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("ESCALATE_SITE_URL", "http://127.0.0.1")
os.environ.setdefault("ESCALATE_SECOND_FACTOR", "everyone")  # production refuses nobody
os.environ.setdefault("ESCALATE_CACHE_URL", "redis://127.0.0.1:6379/0")  # shared, as production

from config.settings.production import *  # noqa: F403
from config.settings.production import ATTACHMENT_STORAGE

# The benchmark signs in with the demo password and no second factor, over plain HTTP.
ESCALATE_SECOND_FACTOR = "nobody"
# One token at concurrency 16 outruns the production rate limit within seconds; a page
# answered 429 measures the limiter, not the page. The limiter still runs on each request.
ESCALATE_API_RATES = {"read": "1000000/minute", "write": "1000000/minute"}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": ATTACHMENT_STORAGE,
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
