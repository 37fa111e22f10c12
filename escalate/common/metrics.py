"""``/metrics`` for Prometheus (decision 27): request latencies and the outbox's state.

Requests are counted and timed by django-prometheus's middleware, labelled by URL name,
never by path. The outbox's depth, its oldest undelivered notification's age, failed
deliveries and the last worker heartbeat are counted from the database when scraped, so
every web process reports the same figures and none keeps them in memory.

With several gunicorn workers, PROMETHEUS_MULTIPROC_DIR makes prometheus_client keep each
process's counts in files there; a scrape, answered by any one worker, sums them all. The
database's figures are added in both modes (django-prometheus's own view would drop them
in multiprocess mode, as it reads only the files).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from escalate.notifications.monitoring import last_worker_seen_at, outbox_backlog

logger = logging.getLogger(__name__)


class OutboxCollector:
    """The outbox's figures, read from the database at each scrape."""

    def collect(self) -> Iterator[Metric]:
        try:
            backlog = outbox_backlog()
            seen = last_worker_seen_at()
        except DatabaseError:
            logger.warning("Metrics: the database did not answer; outbox figures left out")
            return
        now = timezone.now()
        yield GaugeMetricFamily(
            "escalate_outbox_undelivered",
            "Notifications waiting to be delivered (retries included, digest holds not).",
            value=backlog.undelivered,
        )
        yield GaugeMetricFamily(
            "escalate_outbox_oldest_undelivered_age_seconds",
            "How long the oldest undelivered notification has waited (0 when none waits).",
            value=backlog.oldest_age_seconds(now=now),
        )
        yield GaugeMetricFamily(
            "escalate_outbox_failed",
            "Notifications given up on after their last attempt, until retried.",
            value=backlog.failed,
        )
        if seen is not None:
            yield GaugeMetricFamily(
                "escalate_notifications_worker_last_seen_age_seconds",
                "Seconds since any notifications worker last said it was alive.",
                value=max((now - seen).total_seconds(), 0.0),
            )


class ThisProcess:
    """The process's own registry (django-prometheus's metrics and the process's figures)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # every worker's files
    else:
        registry.register(ThisProcess())
    registry.register(OutboxCollector())
    return registry


def _refusal(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@never_cache
def scrape(request: HttpRequest) -> HttpResponse:
    """404 while ESCALATE_METRICS_TOKEN is unset; 401 without a bearer token; 403 with
    another one."""
    token = settings.ESCALATE_METRICS_TOKEN
    if not token:
        return _refusal(404, "Not found.")
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return _refusal(401, "A bearer token is needed.")
    if not constant_time_compare(given.strip(), token):
        return _refusal(403, "That token is not the metrics token.")
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
