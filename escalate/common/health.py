"""Liveness and readiness for the load balancer (decision 27), with django-health-check 4.

- ``/health/live/``: the process answers. Touches nothing else: no database, no cache, no
  session, no sign-in.
- ``/health/serving/``: the database and the cache answer; what a balancer in front of
  several instances asks, so a stopped worker never takes every instance out at once.
- ``/health/ready/``: the database answers a query, the cache a set and a get, a
  notifications worker has been heard from lately, and the outbox's backlog and the age of
  its oldest undelivered notification are under the limits in
  ``config/settings/observability.py``. 200 when all hold; 503 naming each that does not.

The body names checks and gives counts, never a case or a person. ``AnswerProbesMiddleware``
answers these paths, and ``/metrics``, before the Host check, sessions and sign-in.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, ClassVar, cast

from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.urls import NoReverseMatch, get_urlconf, resolve, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

# django-health-check ships no type hints (pyproject's list of untyped packages is not this
# module's to change).
from health_check import Cache, Database  # type: ignore[import-untyped]
from health_check.base import HealthCheck, HealthCheckResult  # type: ignore[import-untyped]
from health_check.exceptions import (  # type: ignore[import-untyped]
    HealthCheckException,
    ServiceUnavailable,
)
from health_check.views import HealthCheckView  # type: ignore[import-untyped]

from escalate.notifications.monitoring import last_worker_seen_at, outbox_backlog

PROBE_URL_NAMES = ("health_live", "health_ready", "health_serving", "metrics")


# --- Checks ------------------------------------------------------------------------------


@dataclasses.dataclass
class ReadinessCheck(HealthCheck):  # type: ignore[misc]  # untyped base
    """A check that reads the database in the request's own thread and connection.

    django-health-check runs a synchronous check in another thread, which opens a second
    connection per probe (and, in a test, cannot see the test's rows).
    """

    name: ClassVar[str]

    async def run(self) -> None:
        await sync_to_async(self.check, thread_sensitive=True)()

    def check(self) -> None:
        raise NotImplementedError


@dataclasses.dataclass
class DatabaseAnswers(ReadinessCheck):
    name = "database"

    def check(self) -> None:
        try:
            Database().run()
        except HealthCheckException as error:
            # Its message can name the database's host; the log keeps it (with the cause).
            raise ServiceUnavailable("did not answer a query") from error


@dataclasses.dataclass
class CacheAnswers(HealthCheck):  # type: ignore[misc]
    name: ClassVar[str] = "cache"

    async def run(self) -> None:
        try:
            await Cache().run()
        except HealthCheckException as error:
            raise ServiceUnavailable("did not answer a set and a get") from error


@dataclasses.dataclass
class WorkerHeardFrom(ReadinessCheck):
    name = "notifications_worker"

    def check(self) -> None:
        limit = settings.ESCALATE_READY_WORKER_SILENCE_SECONDS
        seen = last_worker_seen_at()
        if seen is None:
            raise ServiceUnavailable("no notifications worker has ever been heard from")
        silence = (timezone.now() - seen).total_seconds()
        if silence > limit:
            raise ServiceUnavailable(
                f"no notifications worker heard from for {silence:.0f} s (limit {limit} s)"
            )


@dataclasses.dataclass
class OutboxBacklogUnderLimit(ReadinessCheck):
    name = "outbox_backlog"

    def check(self) -> None:
        limit = settings.ESCALATE_READY_MAX_OUTBOX
        undelivered = outbox_backlog().undelivered
        if undelivered > limit:
            raise ServiceUnavailable(f"{undelivered} notifications undelivered (limit {limit})")


@dataclasses.dataclass
class OldestUndeliveredUnderLimit(ReadinessCheck):
    name = "outbox_oldest_age"

    def check(self) -> None:
        limit = settings.ESCALATE_READY_MAX_OUTBOX_AGE_SECONDS
        age = outbox_backlog().oldest_age_seconds(now=timezone.now())
        if age > limit:
            raise ServiceUnavailable(
                f"oldest undelivered notification waiting {age:.0f} s (limit {limit} s)"
            )


# --- Views -------------------------------------------------------------------------------


@require_safe
@never_cache
def live(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "alive"})


def readiness_response(results: Iterable[HealthCheckResult]) -> JsonResponse:
    checks = {result.check.name: str(result.error) if result.error else "ok" for result in results}
    failed = [name for name, outcome in checks.items() if outcome != "ok"]
    return JsonResponse(
        {"status": "not ready" if failed else "ready", "failed": failed, "checks": checks},
        status=503 if failed else 200,
    )


class ReadinessView(HealthCheckView):  # type: ignore[misc]
    """Every check at once; each has django-health-check's time budget (5 s)."""

    checks: tuple[type[HealthCheck], ...] = (
        DatabaseAnswers,
        CacheAnswers,
        WorkerHeardFrom,
        OutboxBacklogUnderLimit,
        OldestUndeliveredUnderLimit,
    )

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        results = await asyncio.gather(*(check.get_result() for check in self.get_checks()))
        return readiness_response(results)


ready = ReadinessView.as_view()


class ServingView(ReadinessView):
    """What this web process needs to serve pages: the database and the cache.

    For a balancer in front of several instances: a stopped worker or a long outbox is one
    fault of the whole service, which no web instance can cure, and ``/health/ready/`` would
    fail on every instance at once and take the site down with it.
    """

    checks = (DatabaseAnswers, CacheAnswers)


serving = ServingView.as_view()


# --- Answering probes early --------------------------------------------------------------


@cache
def probe_paths(urlconf: str) -> frozenset[str]:
    """Where the probes are in ``urlconf``; none in a URLconf without them (a test's own)."""
    paths = set()
    for name in PROBE_URL_NAMES:
        try:
            paths.add(reverse(name, urlconf=urlconf))
        except NoReverseMatch:
            continue
    return frozenset(paths)


class AnswerProbesMiddleware:
    """Answers the health probes and the metrics scrape before the rest of the chain.

    A balancer (and Prometheus) asks each instance at its own address, so the Host is an
    internal name or IP that ``ALLOWED_HOSTS`` does not list; CommonMiddleware, further in,
    would refuse it with 400. These views build no link from the Host, so it does not matter
    to them. Answering here also keeps sessions, sign-in and the person's lookup out of a
    probe. The site's Content-Security-Policy and X-Frame-Options are still added, by the
    same middleware that adds them to every page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Typed for any get_response; these are synchronous, and so is their answer.
        self.answer_with_headers = cast(
            Callable[[HttpRequest], HttpResponse],
            XFrameOptionsMiddleware(
                cast(Callable[[HttpRequest], HttpResponse], CSPMiddleware(self.answer))
            ),
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in probe_paths(get_urlconf() or settings.ROOT_URLCONF):
            return self.get_response(request)
        request.is_probe = True  # type: ignore[attr-defined]  # the request log skips it
        return self.answer_with_headers(request)

    def answer(self, request: HttpRequest) -> HttpResponse:
        match = resolve(request.path_info)
        request.resolver_match = match
        view = match.func
        if iscoroutinefunction(view):
            view = async_to_sync(view)
        return view(request, *match.args, **match.kwargs)  # type: ignore[no-any-return]
