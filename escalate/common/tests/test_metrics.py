"""``/metrics``: guarded by its bearer token; request latencies by URL name; the outbox's
figures counted from the database; and every gunicorn worker's counts in one scrape when
PROMETHEUS_MULTIPROC_DIR is set (decision 27)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from escalate.common.tests.test_health import REPO, undelivered
from escalate.notifications.models import Notification
from escalate.notifications.monitoring import record_heartbeat

pytestmark = pytest.mark.django_db

TOKEN = "a-scrape-token-for-the-tests-only"
scraping = override_settings(ESCALATE_METRICS_TOKEN=TOKEN)


def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_without_a_configured_token_the_scrape_is_not_found(client: Client) -> None:
    assert client.get(reverse("metrics")).status_code == 404
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer anything").status_code == 404
    assert client.post(reverse("metrics")).status_code == 404


@scraping
def test_the_scrape_needs_its_token(client: Client) -> None:
    missing = client.get(reverse("metrics"))
    wrong = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer not-the-token")
    basic = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    posted = client.post(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 403
    assert basic.status_code == 401
    assert posted.status_code == 405
    for refused in (missing, wrong, basic):
        assert b"escalate_outbox" not in refused.content


@scraping
def test_the_outbox_figures_are_counted_from_the_database(client: Client) -> None:
    undelivered(2, waiting=timedelta(hours=2))
    undelivered(1, status=Notification.Status.FAILED)
    undelivered(4, awaits_digest=True)  # held for a digest by choice: not waiting
    record_heartbeat(worker_id="metrics-test")

    samples = scrape(client)

    assert samples["escalate_outbox_undelivered", ()] == 2
    assert samples["escalate_outbox_failed", ()] == 1
    assert samples["escalate_outbox_oldest_undelivered_age_seconds", ()] >= 2 * 60 * 60
    assert samples["escalate_notifications_worker_last_seen_age_seconds", ()] >= 0


@scraping
def test_an_empty_outbox_reads_zero_and_no_worker_no_heartbeat_age(client: Client) -> None:
    samples = scrape(client)

    assert samples["escalate_outbox_undelivered", ()] == 0
    assert samples["escalate_outbox_oldest_undelivered_age_seconds", ()] == 0
    assert samples["escalate_outbox_failed", ()] == 0
    assert ("escalate_notifications_worker_last_seen_age_seconds", ()) not in samples


@scraping
def test_request_latencies_are_labelled_by_url_name_never_by_path(client: Client) -> None:
    by_view = (
        "django_http_requests_latency_seconds_by_view_method_count",
        (("method", "GET"), ("view", "policies:detail")),
    )
    before = scrape(client).get(by_view, 0)

    client.get(reverse("policies:detail", kwargs={"slug": "nel"}))
    client.get("/partnerships/no-such-procedure/?q=Ada+Invented")
    samples = scrape(client)

    assert samples[by_view] >= before + 1
    labels = {value for _, pairs in samples for _, value in pairs}
    assert not [value for value in labels if "Invented" in value or "no-such" in value]
    assert samples["django_http_requests_latency_including_middlewares_seconds_count", ()] >= 2


def _serve_in_a_worker_process(multiproc_dir: Path, requests: int) -> None:
    """A separate process, as a gunicorn worker is, answering ``requests`` liveness probes."""
    script = (
        "import django; django.setup(); from django.test import Client; c = Client(); "
        f"assert all(c.get('/health/live/').status_code == 200 for _ in range({requests}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@scraping
def test_in_multiprocess_mode_one_scrape_sums_every_worker_and_adds_the_outbox(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve_in_a_worker_process(tmp_path, requests=3)
    _serve_in_a_worker_process(tmp_path, requests=2)
    assert len(list(tmp_path.glob("*.db"))) >= 2  # each process kept its own file
    undelivered(3)

    # The scrape is answered by whichever worker the balancer picks: this one.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)

    assert samples["django_http_requests_before_middlewares_total", ()] == 5
    assert samples["django_http_requests_latency_including_middlewares_seconds_count", ()] == 5
    assert samples["escalate_outbox_undelivered", ()] == 3
    assert samples["escalate_outbox_failed", ()] == 0
