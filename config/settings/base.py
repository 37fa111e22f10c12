"""Settings shared by every environment. The environment is read here and nowhere else."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_flag(name: str, *, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env("DJANGO_SECRET_KEY") or ""
DEBUG = False
ALLOWED_HOSTS = [host for host in (env("DJANGO_ALLOWED_HOSTS", "") or "").split(",") if host]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes (decision 16)
    "escalate.common",
    "escalate.policies",
    "escalate.organisations",
    "escalate.escalations",
    "escalate.audit",
    "escalate.reporting",
    "escalate.board",
    "escalate.notifications",
    "escalate.api",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_guid",  # request ids (decision 27)
]

MIDDLEWARE = [
    # First, so every log line of a request, and its response, carry the request's id.
    "django_guid.middleware.guid_middleware",
    # Counts and times every request, those answered early by the probes' middleware too.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # One log line per request (method, route, status, duration), whatever answered it.
    "escalate.common.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Health probes and the metrics scrape are answered here: before CommonMiddleware checks
    # the Host (a balancer asks with the instance's own address), and before sessions, sign-in
    # and anything else that could touch the database (decision 27).
    "escalate.common.health.AnswerProbesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One query for the person, their roles and their second factor; the second-factor
    # middleware then sets user.otp_device from it, in place of django-otp's OTPMiddleware.
    "escalate.organisations.middleware.CurrentPersonMiddleware",
    "escalate.common.second_factor.SecondFactorMiddleware",
    "escalate.common.middleware.SessionLifetimeMiddleware",
    "escalate.common.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Times each view by its URL name. Before axes, which must stay last; it still sees the
    # response axes gives, as axes sits inside it.
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Guessing is stopped both for one account (username) and across many (ip_address).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "escalate" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["escalate.common.templatetags.govuk"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "escalate.common.context_processors.demo",
                "escalate.common.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Every page reads a few dozen rows along an index. PostgreSQL chose parallel workers for
    # the register filtered by stage and agency, and starting them cost 20 ms of a 24 ms
    # query (4 ms without). ESCALATE_DB_PARALLEL_WORKERS gives them back, e.g. for reports.
    _workers = int(env("ESCALATE_DB_PARALLEL_WORKERS") or "0")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c max_parallel_workers_per_gather={_workers}"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's server and notifications worker write to one file. Write-ahead logging lets
    # readers go on while one writes; IMMEDIATE takes the write lock when a transaction
    # begins, so a writer waits its turn (up to the timeout, in seconds) instead of failing
    # "database is locked" when a read transaction later tries to write (decision 24).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Who needs a one-time code as well as a password: above_practitioner, everyone or nobody.
ESCALATE_SECOND_FACTOR = env("ESCALATE_SECOND_FACTOR") or "above_practitioner"
OTP_TOTP_ISSUER = "Escalate"
LOGIN_URL = "login"
LOGIN_URL_PATH = "/sign-in/"
SESSION_COOKIE_AGE = 10 * 60 * 60
ESCALATE_SESSION_IDLE_SECONDS = int(env("ESCALATE_SESSION_IDLE_MINUTES") or "30") * 60
ESCALATE_SESSION_ABSOLUTE_SECONDS = int(env("ESCALATE_SESSION_ABSOLUTE_HOURS") or "10") * 60 * 60
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "build" / "frontend", BASE_DIR / "escalate" / "static"]
# Annotated: attachments.py (imported at the end) extends it, and mypy may read that first.
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# Text for the demo and the tests; production's default is one JSON object per line, with
# the request id, and never a query string, form data or a subject (decision 27).
from .observability import logging_settings  # noqa: E402

ESCALATE_LOG_FORMAT = env("ESCALATE_LOG_FORMAT") or "text"
ESCALATE_LOG_LEVEL = env("ESCALATE_LOG_LEVEL") or "INFO"
LOGGING = logging_settings(ESCALATE_LOG_FORMAT, level=ESCALATE_LOG_LEVEL)
AXES_VERBOSE = False

# Each area keeps its own settings beside this file; they read the environment through env().
from .api import *  # noqa: E402, F403
from .attachments import *  # noqa: E402, F403
from .audit import *  # noqa: E402, F403
from .cache import *  # noqa: E402, F403
from .notifications import *  # noqa: E402, F403
from .observability import *  # noqa: E402, F403
from .proxies import *  # noqa: E402, F403
from .sign_in import *  # noqa: E402, F403
