"""What production refuses, and the demo's SQLite set for a server and a worker (decision 24)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ESCALATE = str(Path(sys.executable).parent / "escalate")


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "escalate.example.org",
        "DATABASE_URL": "postgres://escalate_app@127.0.0.1:5432/escalate",
        "ESCALATE_SITE_URL": "https://escalate.example.org",
        "ESCALATE_AUDIT_KEYS": secrets.token_hex(32),
        "ESCALATE_CACHE_URL": "redis://127.0.0.1:6379/0",
    }
    env.update(overrides)
    return env


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ESCALATE, "check"], env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param(
            {"DATABASE_URL": "sqlite:////tmp/escalate.sqlite3"},
            "escalate: DATABASE_URL must point at PostgreSQL (postgres://...)",
            id="sqlite",
        ),
        pytest.param(
            {"DJANGO_ALLOWED_HOSTS": "*"},
            "escalate: DJANGO_ALLOWED_HOSTS must list the host names themselves, not a wildcard",
            id="wildcard-host",
        ),
        pytest.param(
            {"DJANGO_ALLOWED_HOSTS": "escalate.example.org,*.example.org"},
            "escalate: DJANGO_ALLOWED_HOSTS must list the host names themselves, not a wildcard",
            id="wildcard-among-hosts",
        ),
        pytest.param(
            {"ESCALATE_CACHE_URL": ""},
            "escalate: ESCALATE_CACHE_URL must name a cache every process shares",
            id="per-process-cache",
        ),
        pytest.param(
            {"ESCALATE_CACHE_URL": "memcached://127.0.0.1"},
            "escalate: ESCALATE_CACHE_URL must be redis://..., rediss://... or database",
            id="unknown-cache",
        ),
    ],
)
def test_production_refuses_to_start(overrides: dict[str, str], message: str) -> None:
    result = _check(_production_env(**overrides))

    assert result.returncode != 0
    assert result.stderr.strip().startswith(message), result.stderr


def test_production_starts_with_postgresql_a_named_host_and_redis() -> None:
    result = _check(_production_env())

    assert result.returncode == 0, result.stderr


def _show(settings_module: str, code: str, **env: str) -> str:
    result = subprocess.run(
        [ESCALATE, "shell", "--verbosity", "0", "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_keeps_postgresql_connections_and_shares_a_redis_cache() -> None:
    shown = _show(
        "config.settings.production",
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], s.CACHES['default']['BACKEND'], "
        "s.STORAGES['staticfiles']['BACKEND'])",
        **{k: v for k, v in _production_env().items() if k != "DJANGO_SETTINGS_MODULE"},
    )

    assert shown.split() == [
        "60",
        "True",
        "django.core.cache.backends.redis.RedisCache",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


def test_the_demo_sqlite_runs_with_write_ahead_logging_and_a_busy_timeout(tmp_path: Path) -> None:
    shown = _show(
        "config.settings.local",
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], "
        "c.execute('PRAGMA busy_timeout').fetchone()[0], "
        "c.execute('PRAGMA synchronous').fetchone()[0], connection.transaction_mode)",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    )

    # synchronous 1 is NORMAL: safe with write-ahead logging.
    assert shown.split() == ["wal", "20000", "1", "IMMEDIATE"]
