"""Real worker processes: killed mid-batch with SIGKILL, and racing each other.

Each worker is a subprocess running ``escalate notifications_worker`` (or the stock
``escalate db_worker``) under ``worker_settings``, against this test's database: the
PostgreSQL test database itself, or on SQLite a file copy of the in-memory test
database. Mail goes through a slow file backend that leaves one file per message
sent, so a duplicate would show as two files with the same idempotency key.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from escalate.notifications.models import Notification
from escalate.notifications.tasks import deliver_notification
from escalate.notifications.tests.factories import Ladders

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[3]
WAIT = 30  # seconds: generous, so a slow CI machine does not fail the test


class WorkerDatabase:
    """Where worker processes find the test's data, and how the test reads it back."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.sqlite_file: Path | None = None

    def publish(self) -> None:
        """Make what the test wrote visible to other processes."""
        if connection.vendor == "sqlite":
            self.sqlite_file = self.tmp_path / "worker.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(self.sqlite_file)
            connection.connection.backup(target)
            target.close()

    @property
    def url(self) -> str:
        if self.sqlite_file is not None:
            return f"sqlite:///{self.sqlite_file}"
        params = connection.settings_dict
        password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
        port = params.get("PORT") or 5432
        return (
            f"postgres://{params['USER']}{password}@{params['HOST'] or 'localhost'}:{port}/"
            f"{params['NAME']}"
        )

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        if self.sqlite_file is not None:
            with sqlite3.connect(self.sqlite_file, timeout=10) as db:
                return list(db.execute(sql))
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    def statuses(self) -> Counter[str]:
        return Counter(
            {
                str(status): int(count)  # type: ignore[call-overload]
                for status, count in self.rows(
                    "SELECT status, COUNT(*) FROM notifications_notification GROUP BY status"
                )
            }
        )


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "mail"
    directory.mkdir()
    return directory


@pytest.fixture
def start_worker(
    tmp_path: Path, mail_dir: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(
        database: WorkerDatabase, *command: str, delay: float = 0.3
    ) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "escalate.notifications.tests.worker_settings",
            "DATABASE_URL": database.url,
            "ESCALATE_TEST_MAIL_DIR": str(mail_dir),
            "ESCALATE_TEST_MAIL_DELAY": str(delay),
        }
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "escalate.cli", *command],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=WAIT)


def wait_for(condition: Callable[[], bool], what: str, tmp_path: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(path.read_text() for path in sorted(tmp_path.glob("worker-*.log")))
            pytest.fail(f"Timed out waiting for {what}. Worker output:\n{logs}")
        time.sleep(0.02)


def sent_keys(mail_dir: Path) -> Counter[str]:
    """How many messages were sent per idempotency key (file names: sent-<key>-<uuid>.eml)."""
    return Counter(path.name[len("sent-") :].rsplit("-", 1)[0] for path in mail_dir.glob("sent-*"))


def key_of(notification: Notification) -> str:
    return notification.idempotency_key.replace(":", "_")


NOTIFICATIONS_WORKER = ("notifications_worker", "--interval", "0.05", "--housekeeping-every", "0.5")


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(
    database_queue: None, start_worker, mail_dir: Path, tmp_path: Path
) -> None:
    nel = Ladders("nel")
    for _ in range(3):
        nel.raise_()  # each commit queues three deliveries in the database queue
    notifications = list(Notification.objects.all())
    assert len(notifications) == 9
    database = WorkerDatabase(tmp_path)
    database.publish()

    first = start_worker(database, *NOTIFICATIONS_WORKER)
    wait_for(lambda: len(list(mail_dir.glob("sending-*"))) == 4, "the fourth send", tmp_path)
    first.send_signal(signal.SIGKILL)  # in the middle of the fourth message
    first.wait(timeout=WAIT)

    assert sum(sent_keys(mail_dir).values()) == 3
    assert database.statuses() == Counter({"sent": 3, "pending": 6})

    second = start_worker(database, *NOTIFICATIONS_WORKER)
    wait_for(lambda: database.statuses() == Counter({"sent": 9}), "every notification", tmp_path)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=WAIT) == 0

    assert sent_keys(mail_dir) == Counter({key_of(n): 1 for n in notifications})
    attempts = Counter(
        count for (count,) in database.rows("SELECT attempts FROM notifications_notification")
    )
    assert attempts == Counter({1: 8, 2: 1})  # the killed send was tried again, once


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two workers locking the same rows need PostgreSQL; set DATABASE_URL to run",
)
def test_two_workers_racing_over_the_same_batch_send_each_notification_once(
    database_queue: None, start_worker, mail_dir: Path, tmp_path: Path
) -> None:
    nel = Ladders("nel")
    for _ in range(4):
        nel.raise_()
    notifications = list(Notification.objects.order_by("pk"))
    DBTaskResult.objects.all().delete()
    for notification in notifications:  # two tasks side by side: both workers reach for it
        deliver_notification.enqueue(notification.pk)
        deliver_notification.enqueue(notification.pk)
    database = WorkerDatabase(tmp_path)

    command = ("db_worker", "--queue-name", "*", "--batch", "--no-reload", "--no-startup-delay")
    workers = [start_worker(database, *command, delay=0.1) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=WAIT) == 0

    assert database.statuses() == Counter({"sent": len(notifications)})
    assert sent_keys(mail_dir) == Counter({key_of(n): 1 for n in notifications})
    outcomes = Counter(DBTaskResult.objects.values_list("return_value", flat=True))
    assert outcomes["sent"] == len(notifications)
    assert outcomes["already_done"] + outcomes["busy"] == len(notifications)
