"""The stack ``make serve`` runs: gunicorn with config/gunicorn.conf.py and a notifications
worker, under config.settings.serve, against a scratch PostgreSQL database (decision 28).

The static files are collected with WhiteNoise's compressing storage, as in production, but
without the admin's, the API browser's and DRF's (the sign-in page uses none of them): all of
them take 90 s or more on a shared 2-core machine, this set about 4 s.
"""

from __future__ import annotations

import gzip
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WAIT = 240  # seconds: migrate on a busy shared machine is slow, never stuck
HASHED_STYLESHEET = re.compile(r'href="(/static/govuk/govuk-frontend\.min\.[0-9a-f]{12}\.css)"')
TEN_YEARS = "max-age=315360000"


def _server_url(database: str) -> str:
    params = settings.DATABASES["default"]
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    return f"postgres://{params['USER']}{password}@{host}:{params.get('PORT') or 5432}/{database}"


def _serve_env(**overrides: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.serve",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "ESCALATE_AUDIT_KEYS": secrets.token_hex(32),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ESCALATE_SITE_URL": "http://127.0.0.1:8000",
        "ESCALATE_CACHE_URL": "database",
        "DATABASE_URL": _server_url("escalate_unused"),
        **overrides,
    }


def test_serve_settings_refuse_a_host_name_other_than_loopback() -> None:
    refused = subprocess.run(
        [str(BIN / "escalate"), "check"],
        env=_serve_env(DJANGO_ALLOWED_HOSTS="127.0.0.1,escalate.example.org"),
        capture_output=True,
        text=True,
        check=False,
    )
    allowed = subprocess.run(
        [str(BIN / "escalate"), "check"],
        env=_serve_env(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert refused.returncode != 0
    assert refused.stderr.startswith(
        "escalate: config.settings.serve answers only on this machine"
    ), refused.stderr
    assert "not escalate.example.org" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr


@pytest.fixture
def scratch_database() -> Iterator[str]:
    import psycopg

    name = f"escalate_serve_stack_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _server_url(name)
    with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)


def _finish(process: subprocess.Popen[bytes], log: Path) -> None:
    if process.wait(timeout=WAIT) != 0:
        pytest.fail(f"{process.args!r} exited {process.returncode}:\n{log.read_text()}")


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own server
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited {server.returncode}:\n{log.read_text()}")
        try:
            _get(url)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer at {url}:\n{log.read_text()}")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the production stack runs on PostgreSQL; set DATABASE_URL to run it",
)
def test_gunicorn_and_a_worker_serve_the_sign_in_page_and_hashed_compressed_static_files(
    scratch_database: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = _serve_env(
        DATABASE_URL=scratch_database,
        ESCALATE_STATIC_ROOT=str(tmp_path / "static"),
        ESCALATE_BIND=f"127.0.0.1:{port}",
        ESCALATE_SITE_URL=f"http://127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
    )
    escalate = str(BIN / "escalate")
    collect = [escalate, "collectstatic", "--no-input", "-v", "0"]
    collect += ["-i", "drf_spectacular_sidecar", "-i", "admin", "-i", "rest_framework"]
    # Side by side: neither needs the other.
    migrating = _start([escalate, "migrate", "--no-input", "-v", "0"], env, tmp_path / "m.log")
    collecting = _start(collect, env, tmp_path / "collect.log")
    _finish(migrating, tmp_path / "m.log")
    _finish(collecting, tmp_path / "collect.log")
    _finish(_start([escalate, "createcachetable"], env, tmp_path / "c.log"), tmp_path / "c.log")

    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    web = _start(
        [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "config.wsgi"], env, web_log
    )
    worker = _start([escalate, "notifications_worker"], env, worker_log)
    try:
        site = f"http://127.0.0.1:{port}"
        _wait_for(f"{site}/sign-in/", web, web_log)
        status, _, page = _get(f"{site}/sign-in/")
        stylesheet = HASHED_STYLESHEET.search(page.decode())
        assert status == 200
        assert stylesheet, page.decode()[:2000]

        _, hashed, body = _get(f"{site}{stylesheet.group(1)}", **{"Accept-Encoding": "gzip"})
        _, unhashed, _ = _get(f"{site}/static/govuk/govuk-frontend.min.css")
        workers = re.findall(r"Booting worker with pid", web_log.read_text())
    finally:
        web.send_signal(signal.SIGTERM)
        worker.send_signal(signal.SIGTERM)
    _finish(web, web_log)
    _finish(worker, worker_log)

    assert hashed["Content-Encoding"] == "gzip"
    assert b".govuk-" in gzip.decompress(body)
    assert TEN_YEARS in hashed["Cache-Control"]
    assert "immutable" in hashed["Cache-Control"]
    assert TEN_YEARS not in unhashed["Cache-Control"]  # the name without a hash may change
    assert len(workers) == 2
    assert "Notifications worker" in worker_log.read_text()
