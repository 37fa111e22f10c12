"""The demo as ``make demo`` runs it, under load: its server and its notifications worker share
one SQLite file, and neither fails on the other's lock (issue 15; decision 24).

Before write-ahead logging, IMMEDIATE transactions and a busy timeout, six of a demo's
requests failed with "database is locked": a transaction that read first and then wrote could
not wait for the worker's write lock. Here the demo's own settings (``config.settings.local``)
serve the API with ``escalate runserver`` (a thread per request) while a worker delivers and
sweeps every second; six callers raise escalations and move each to stage 2 at once.

On the SQLite run only: the PostgreSQL run has no SQLite demo to test, and the file here is
the test's own either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from escalate.tests.test_several_processes import (
    BIN,
    REPO,
    SET_UP_PEOPLE,
    Cast,
    _free_port,
    _raise_body,
    _send,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the demo's SQLite is tested in the SQLite run"
)

CALLERS = 6
RAISES_EACH = 5
WAIT = 90


@dataclass
class Demo:
    env: dict[str, str]
    tmp_path: Path
    cast: Cast
    port: int = 0
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "escalate"), *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=WAIT * 2,
        )

    def start(self, name: str, *args: str) -> None:
        log = (self.tmp_path / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                [str(BIN / "escalate"), *args],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')}"
            for path in sorted(self.tmp_path.glob("*.log"))
        )

    def count(self, sql: str) -> int:
        done = self.manage(
            "shell",
            "-c",
            f"from django.db import connection; c = connection.cursor(); "
            f"print(c.execute({sql!r}).fetchone()[0])",
        )
        assert done.returncode == 0, done.stderr
        return int(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "ESCALATE_HOUSEKEEPING_SECONDS": "1",
        "PYTHONPATH": str(REPO),
    }
    prepare = Demo(env, tmp_path, Cast(0, 0, 0, 0, [], ""))
    done = prepare.manage("migrate", "--no-input", "-v", "0")
    assert done.returncode == 0, done.stderr
    done = prepare.manage("shell", "-c", SET_UP_PEOPLE.replace("THREADS", str(CALLERS)))
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    facts["raisers"] = [tuple(pair) for pair in facts["raisers"]]
    running = Demo(env, tmp_path, Cast(**facts), port=_free_port())
    try:
        # As make demo starts them: the worker, then the development server.
        running.start("worker", "notifications_worker", "--interval", "0.05")
        running.start("server", "runserver", "--noreload", f"127.0.0.1:{running.port}")
        _wait_until(lambda: _answers(running.port), "the demo's server", running)
        yield running
    finally:
        for process in running.processes:
            process.terminate()
        for process in running.processes:
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                process.kill()


def _answers(port: int) -> bool:
    try:
        return _send(port, "GET", "/api/v1/people/me/", {}).status == 401
    except OSError:
        return False


def _wait_until(condition: Callable[[], bool], what: str, demo: Demo) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}. Output:\n{demo.logs()}")
        time.sleep(0.1)


def _caller(demo: Demo, number: int, outcomes: Counter[str], lock: threading.Lock) -> None:
    """Raise and move to stage 2, RAISES_EACH times; each answer's status, or what went wrong
    (a server that fails answers with its HTML error page, not JSON)."""
    _, token = demo.cast.raisers[number]
    headers = {"Authorization": f"Bearer {token}"}
    for raise_number in range(RAISES_EACH):
        body = _raise_body(demo.cast, number, raise_number)
        try:
            raised = _send(demo.port, "POST", "/api/v1/escalations/", headers, body)
            path = f"/api/v1/escalations/{raised.body['id']}/escalate/"
            step = {"reason": "Not agreed at stage 1 (invented)."}
            moved = _send(
                demo.port, "POST", path, {**headers, "If-Match": raised.headers["etag"]}, step
            )
            answers = [f"raised {raised.status}", f"moved {moved.status}"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            answers = [f"failed: {type(error).__name__}"]
        with lock:
            outcomes.update(answers)


def test_the_demo_server_and_worker_never_fail_on_each_others_lock(demo: Demo) -> None:
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    callers = [
        threading.Thread(target=_caller, args=(demo, number, outcomes, lock))
        for number in range(CALLERS)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    _wait_until(
        lambda: (
            demo.count("SELECT COUNT(*) FROM notifications_notification WHERE status <> 'sent'")
            == 0
        ),
        "the worker to deliver every notification",
        demo,
    )

    operations = CALLERS * RAISES_EACH
    assert "database is locked" not in demo.logs()
    assert outcomes == Counter({"raised 201": operations, "moved 200": operations}), outcomes
    assert demo.count("SELECT COUNT(*) FROM escalations_escalation") == operations
    sent = demo.count("SELECT COUNT(*) FROM notifications_notification")
    assert sent > 0
    print(
        f"Demo on SQLite: {2 * operations} API writes from {CALLERS} callers at once beside a "
        f"notifications worker; {sent} notifications sent; no request failed on a lock"
    )
