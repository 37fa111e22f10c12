"""Health probes, logs and metrics for the hosting team (issue 15; decision 27).

Environment variables (all optional):

ESCALATE_READY_MAX_OUTBOX                 readiness fails when more notifications than this
                                          wait to be delivered (default 1000)
ESCALATE_READY_MAX_OUTBOX_AGE_SECONDS     ... or when the oldest has waited longer (3600)
ESCALATE_READY_WORKER_SILENCE_SECONDS     ... or when no notifications worker has been heard
                                          from for this long (600)
ESCALATE_WORKER_HEARTBEAT_SECONDS         how often a worker says it is alive (30)
ESCALATE_METRICS_TOKEN                    the bearer token /metrics asks for; without it
                                          /metrics answers 404
ESCALATE_LOG_FORMAT                       text (default here) or json (production's default)
ESCALATE_LOG_LEVEL                        the root logger's level (INFO)
PROMETHEUS_MULTIPROC_DIR                  read by prometheus_client itself: several gunicorn
                                          workers share their counts through files there

Imported at the end of ``base.py``; the environment is read there, through env().
``logging_settings`` is imported by ``base.py`` and ``production.py`` to build LOGGING.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .base import env

__all__ = [
    "DJANGO_GUID",
    "ESCALATE_METRICS_TOKEN",
    "ESCALATE_PROBE_REDIRECT_EXEMPT",
    "ESCALATE_READY_MAX_OUTBOX",
    "ESCALATE_READY_MAX_OUTBOX_AGE_SECONDS",
    "ESCALATE_READY_WORKER_SILENCE_SECONDS",
    "ESCALATE_WORKER_HEARTBEAT_SECONDS",
]

ESCALATE_READY_MAX_OUTBOX = int(env("ESCALATE_READY_MAX_OUTBOX") or "1000")
ESCALATE_READY_MAX_OUTBOX_AGE_SECONDS = int(env("ESCALATE_READY_MAX_OUTBOX_AGE_SECONDS") or "3600")
# Housekeeping runs every 5 minutes and a worker writes its heartbeat between batches, so
# twice that is silence, not a long batch.
ESCALATE_READY_WORKER_SILENCE_SECONDS = int(env("ESCALATE_READY_WORKER_SILENCE_SECONDS") or "600")
ESCALATE_WORKER_HEARTBEAT_SECONDS = int(env("ESCALATE_WORKER_HEARTBEAT_SECONDS") or "30")
ESCALATE_METRICS_TOKEN = (env("ESCALATE_METRICS_TOKEN") or "").strip()

# The balancer and Prometheus ask over plain HTTP on the internal network: production's
# SECURE_SSL_REDIRECT must not send them to HTTPS (matched against the path without its
# leading slash, as SecurityMiddleware does).
ESCALATE_PROBE_REDIRECT_EXEMPT = [r"^health/(live|ready|serving)/$", r"^metrics$"]

# Request ids (django-guid): X-Request-ID in and out. An incoming id is kept only if it is a
# UUID (32 hex digits, dashes allowed, as nginx's $request_id and most proxies send);
# anything else is replaced, so a header can never put other text into every log line.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,  # no cross-origin scripts read it
    "UUID_FORMAT": "hex",
}

LOG_FORMATS = ("text", "json")


def logging_settings(log_format: str, *, level: str) -> dict[str, Any]:
    """LOGGING for Django: one line per record on stderr, as text or as a JSON object.

    Every line carries the request id (``request_id``; null outside a request). JSON lines
    hold only the fields ``escalate.common.logs.JsonLineFormatter`` allows, so nothing a
    library attaches to a record (Django attaches the whole request) reaches the log.
    """
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"ESCALATE_LOG_FORMAT must be text or json, not {log_format!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {
                "()": "django_guid.log_filters.CorrelationId",
                "correlation_id_field": "request_id",
            },
            "routes_not_paths": {"()": "escalate.common.logs.RouteNotPath"},
            "no_query_strings": {"()": "escalate.common.logs.NoQueryStrings"},
        },
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {"()": "escalate.common.logs.JsonLineFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id", "routes_not_paths", "no_query_strings"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # It says "header not found, generated a new id" at INFO on every request, and
            # repeats a refused incoming id at WARNING: neither belongs in the log.
            "django_guid": {"level": "ERROR"},
            # runserver's access lines, through the same handler, its filters and format.
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
