"""Log lines a hosting team can search, that never name a subject (decision 27).

A request is named by its route (``/subject-access/<int:pk>.json``), never by its path: a
path can carry a subject's id, and the query string whatever was typed in a search box.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter

request_logger = logging.getLogger("escalate.request")

LOGGED_FIELDS = (
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "exc_info",
)
"""Everything else a record carries (Django's ``request``, a library's extras) is left out."""

UNMATCHED = "<unmatched>"


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered ``request``, e.g. ``/escalations/<uuid:pk>/``."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED
    return f"/{match.route}"


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    and for request lines method, path (the route), status and duration_ms."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["levelname", "name", "message", "request_id"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: log_data[key] for key in LOGGED_FIELDS if key in log_data}


class RouteNotPath(logging.Filter):
    """Django's own request warnings ("Not Found: /subject-access/7.json") name the route."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if (
            record.name.startswith("django.request")
            and isinstance(request, HttpRequest)
            and isinstance(record.args, tuple)
            and len(record.args) == 2
            and record.args[1] == request.path
        ):
            record.args = (record.args[0], route_of(request))
        return True


QUERY_STRING = re.compile(r"\?[^\s\"]*")


class NoQueryStrings(logging.Filter):
    """runserver's access line (the demo's) quotes the request line, query string and all."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.server" and isinstance(record.args, tuple) and record.args:
            first, *rest = record.args
            if isinstance(first, str):
                record.args = (QUERY_STRING.sub("", first), *rest)
        return True


class RequestLogMiddleware:
    """Writes one line per request: method, route, status and how long it took.

    Successful probes are left out: a balancer asks every few seconds, and their count and
    time are in the metrics.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if getattr(request, "is_probe", False) and response.status_code < 400:
            return response
        request_logger.info(
            "%s %s %s",
            request.method,
            route_of(request),
            response.status_code,
            extra={
                "method": request.method,
                "path": route_of(request),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response
