"""gunicorn's settings for Escalate's web processes (issue 15; docs/deployment.md).

``gunicorn -c config/gunicorn.conf.py config.wsgi`` with DJANGO_SETTINGS_MODULE set. Each
value can be changed from the environment without editing this file:

    ESCALATE_BIND           address to listen on (default 127.0.0.1:8000; behind the proxy)
    WEB_CONCURRENCY         worker processes (default: two per core, plus one)
    ESCALATE_WEB_TIMEOUT    seconds a request may take before its worker is replaced (60)

Sync workers: every page is a few short queries and a render, so one request per process
at a time keeps each process's memory and its one database connection simple (decision 24).
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

bind = os.environ.get("ESCALATE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
# An annual report's PDF takes a few seconds; anything past a minute is stuck.
timeout = int(os.environ.get("ESCALATE_WEB_TIMEOUT") or "60")
graceful_timeout = 30
# A worker is replaced after this many requests (at a random point in the last 100), so a
# slow leak in any library is bounded and the processes do not all restart at once.
max_requests = 2000
max_requests_jitter = 100
# The proxy in front sets X-Forwarded-Proto; gunicorn believes it only from these addresses.
forwarded_allow_ips = os.environ.get("ESCALATE_TRUSTED_PROXIES") or "127.0.0.1,::1"
# No access log of gunicorn's own: Escalate writes one JSON line per request (request id,
# method, the URL's pattern rather than its path, status, duration; decision 27), and a raw
# path can carry a subject's number.
accesslog = None
errorlog = "-"


def on_starting(server: object) -> None:
    """Empty the metrics folder: the last run's processes' counts would be summed into ours."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server: object, worker: Any) -> None:
    """A replaced worker's gauges stop counting (max_requests replaces them all in time)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


# gunicorn 27 opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl), so a
# second gunicorn under the same account removes the first one's. Escalate is managed by
# signals (systemd, honcho), never through it.
control_socket_disable = True
