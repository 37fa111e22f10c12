"""The load balancer's probes: liveness answers whatever else is down; readiness fails, with
the check's name, for each of its real reasons (decision 27)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from escalate.escalations.tests.factories import PersonFactory
from escalate.notifications.models import Notification, WorkerHeartbeat
from escalate.notifications.monitoring import record_heartbeat

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[3]
CHECKS = ["database", "cache", "notifications_worker", "outbox_backlog", "outbox_oldest_age"]
RECIPIENT = "Orla Invented-Recipient"


def readiness(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get(reverse("health_ready"))
    return response.status_code, response.json()


def undelivered(count: int = 1, *, waiting: timedelta = timedelta(0), **fields: Any) -> None:
    """``count`` notifications written ``waiting`` ago and not yet sent (none is queued)."""
    recipient = PersonFactory(name=RECIPIENT)
    for _ in range(count):
        notification = Notification.objects.create(
            recipient=recipient,
            kind=Notification.Kind.RAISED,
            channel=Notification.Channel.EMAIL,
            next_attempt_at=timezone.now(),
            idempotency_key=uuid4().hex,
            **fields,
        )
        Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - waiting)


@pytest.fixture
def worker_alive() -> None:
    record_heartbeat(worker_id="worker-in-the-test")


def test_ready_when_every_check_holds(client: Client, worker_alive: None) -> None:
    undelivered(2, waiting=timedelta(minutes=5))

    status, body = readiness(client)

    assert status == 200
    assert body == {"status": "ready", "failed": [], "checks": dict.fromkeys(CHECKS, "ok")}


def test_not_ready_when_no_worker_was_ever_heard_from(client: Client) -> None:
    status, body = readiness(client)

    assert status == 503
    assert body["failed"] == ["notifications_worker"]
    assert body["checks"]["notifications_worker"] == (
        "Unavailable: no notifications worker has ever been heard from"
    )


def test_not_ready_when_the_last_heartbeat_is_stale(client: Client) -> None:
    silence = settings.ESCALATE_READY_WORKER_SILENCE_SECONDS
    record_heartbeat(worker_id="gone-quiet", now=timezone.now() - timedelta(seconds=silence + 60))

    status, body = readiness(client)

    assert status == 503
    assert body["failed"] == ["notifications_worker"]
    assert f"(limit {silence} s)" in body["checks"]["notifications_worker"]


def test_a_stopped_worker_fails_readiness_but_not_serving(client: Client) -> None:
    """The balancer's probe stays up, so one fault of the service never empties the pool."""
    silence = settings.ESCALATE_READY_WORKER_SILENCE_SECONDS
    record_heartbeat(worker_id="stopped", now=timezone.now() - timedelta(seconds=silence + 60))
    undelivered(2, waiting=timedelta(days=2))

    serving = client.get(reverse("health_serving"))

    assert readiness(client)[0] == 503
    assert serving.status_code == 200
    assert serving.json() == {
        "status": "ready",
        "failed": [],
        "checks": {"database": "ok", "cache": "ok"},
    }


def test_one_live_worker_is_enough_beside_a_dead_one(client: Client) -> None:
    record_heartbeat(worker_id="dead", now=timezone.now() - timedelta(hours=2))
    record_heartbeat(worker_id="alive")

    assert readiness(client)[0] == 200


@override_settings(ESCALATE_READY_MAX_OUTBOX_AGE_SECONDS=3600)
def test_not_ready_when_the_oldest_undelivered_notification_is_too_old(
    client: Client, worker_alive: None
) -> None:
    undelivered(waiting=timedelta(hours=2))

    status, body = readiness(client)

    assert status == 503
    assert body["failed"] == ["outbox_oldest_age"]
    assert "(limit 3600 s)" in body["checks"]["outbox_oldest_age"]
    assert RECIPIENT not in json.dumps(body)


@override_settings(ESCALATE_READY_MAX_OUTBOX=2)
def test_not_ready_when_the_backlog_passes_its_limit(client: Client, worker_alive: None) -> None:
    undelivered(3)

    status, body = readiness(client)

    assert status == 503
    assert body["failed"] == ["outbox_backlog"]
    assert body["checks"]["outbox_backlog"] == (
        "Unavailable: 3 notifications undelivered (limit 2)"
    )


@override_settings(ESCALATE_READY_MAX_OUTBOX=2, ESCALATE_READY_MAX_OUTBOX_AGE_SECONDS=60)
def test_sent_failed_and_digest_held_notifications_are_no_backlog(
    client: Client, worker_alive: None
) -> None:
    # Held for a daily digest by the recipient's choice, sent, or given up on (that is a
    # failed delivery, counted in the metrics): none of them waits for a worker.
    undelivered(3, waiting=timedelta(hours=5), awaits_digest=True)
    undelivered(3, waiting=timedelta(hours=5), status=Notification.Status.SENT)
    undelivered(3, waiting=timedelta(hours=5), status=Notification.Status.FAILED)

    assert readiness(client)[0] == 200


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/12",  # the discard port: nothing listens
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
)
def test_not_ready_when_the_cache_does_not_answer(client: Client, worker_alive: None) -> None:
    status, body = readiness(client)

    assert status == 503
    assert body["failed"] == ["cache"]
    assert body["checks"]["cache"] == "Unavailable: did not answer a set and a get"


def _in_a_process_without_its_database(paths: list[str]) -> list[tuple[int, Any]]:
    """GET each path in a fresh Escalate process whose database is a port nothing listens on."""
    script = (
        "import json, django; django.setup(); from django.test import Client; c = Client(); "
        f"answers = [c.get(path) for path in {paths!r}]; "
        "print(json.dumps([[a.status_code, json.loads(a.content)] for a in answers]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": "postgres://escalate@127.0.0.1:9/escalate",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return [tuple(answer) for answer in json.loads(done.stdout.splitlines()[-1])]


def test_liveness_answers_while_the_database_is_down_and_readiness_says_so() -> None:
    (live_status, live_body), (ready_status, ready_body), (serving_status, _) = (
        _in_a_process_without_its_database(["/health/live/", "/health/ready/", "/health/serving/"])
    )

    assert (live_status, live_body) == (200, {"status": "alive"})
    assert serving_status == 503
    assert ready_status == 503
    assert "database" in ready_body["failed"]
    assert ready_body["checks"]["database"] == "Unavailable: did not answer a query"
    assert "127.0.0.1" not in json.dumps(ready_body)


def test_liveness_touches_no_database_and_starts_no_session(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(0):
        response = client.get(reverse("health_live"))

    assert response.status_code == 200
    assert not response.cookies
    assert "Vary" not in response or "Cookie" not in response["Vary"]


def test_readiness_writes_nothing(client: Client, worker_alive: None) -> None:
    seen = WorkerHeartbeat.objects.get().last_seen_at

    readiness(client)

    assert WorkerHeartbeat.objects.get().last_seen_at == seen
    assert not client.cookies


@override_settings(ALLOWED_HOSTS=["escalate.example.org"])
def test_probes_with_the_instances_own_address_as_host_are_answered(
    client: Client, worker_alive: None
) -> None:
    balancer = {"HTTP_HOST": "10.0.3.7:8000"}

    assert client.get(reverse("health_live"), **balancer).status_code == 200
    assert client.get(reverse("health_ready"), **balancer).status_code == 200
    assert client.get(reverse("health_serving"), **balancer).status_code == 200
    assert client.get(reverse("start"), **balancer).status_code == 400  # pages still refuse it


@override_settings(
    SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=settings.ESCALATE_PROBE_REDIRECT_EXEMPT
)
def test_plain_http_probes_are_not_redirected_but_pages_are(
    client: Client, worker_alive: None
) -> None:
    assert client.get(reverse("health_live")).status_code == 200
    assert client.get(reverse("health_ready")).status_code == 200
    assert client.get(reverse("health_serving")).status_code == 200
    assert client.get(reverse("metrics")).status_code == 404  # no token set: not a redirect
    assert client.get(reverse("start")).status_code == 301
    assert client.get("/health/live/anything").status_code == 301


def test_production_exempts_the_probes_from_its_https_redirect() -> None:
    from escalate.common.tests.test_production_settings import ESCALATE, _production_env

    done = subprocess.run(
        [
            ESCALATE,
            "shell",
            "-c",
            "from django.conf import settings; "
            "print(settings.SECURE_SSL_REDIRECT, settings.SECURE_REDIRECT_EXEMPT)",
        ],
        env=_production_env(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"True {settings.ESCALATE_PROBE_REDIRECT_EXEMPT}"


def test_probes_refuse_to_change_anything(client: Client) -> None:
    assert client.post(reverse("health_live")).status_code == 405
    assert client.post(reverse("health_ready")).status_code == 405


@pytest.fixture
def signals_restored() -> Iterator[None]:
    """The worker takes SIGINT and SIGTERM for itself; the test run gets them back."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


# Committed for real: the worker closes a connection left inside a transaction, as a test's is.
@pytest.mark.django_db(transaction=True)
@override_settings(
    TASKS={
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }
)
def test_the_notifications_worker_is_heard_from_once_it_runs(
    client: Client, signals_restored: None
) -> None:
    assert readiness(client)[1]["failed"] == ["notifications_worker"]

    call_command("notifications_worker", "--batch", "--worker-id", "w-observe", stdout=StringIO())

    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.worker_id == "w-observe"
    assert readiness(client)[0] == 200


@pytest.mark.django_db(transaction=True)
@override_settings(
    TASKS={
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }
)
def test_the_worker_logs_no_line_for_each_task_it_runs(
    caplog: pytest.LogCaptureFixture, signals_restored: None
) -> None:
    """A hosting team's logs carry what went wrong, not two lines for every delivery."""
    from django_tasks_db.models import DBTaskResult

    from escalate.notifications.tasks import sweep_deadlines

    sweep_deadlines.enqueue()
    caplog.clear()  # enqueuing is the web process's line; the worker's own are the question
    with caplog.at_level(logging.INFO):
        call_command("notifications_worker", "--batch", "--worker-id", "w-quiet", stdout=StringIO())

    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL"]
    assert not [
        record.getMessage() for record in caplog.records if record.name.startswith("django_tasks")
    ]


@override_settings(ROOT_URLCONF="escalate.common.tests.without_probes")
def test_a_urlconf_without_the_probes_still_serves_its_pages(client: Client) -> None:
    assert client.get("/plain/").status_code == 200
    assert client.get("/health/live/").status_code == 404
