"""``escalate notifications_worker``: deliver notifications, and keep reminders and digests going.

One process that runs django-tasks-db's own worker loop (the same code as
``escalate db_worker``) and, every ``NOTIFICATIONS_HOUSEKEEPING_SECONDS``, the
housekeeping: re-queue deliveries a dead worker left behind, sweep deadlines,
send the daily digests. Run as many as you like: deliveries are claimed under a
row lock and housekeeping is idempotent.

Between batches, at most every ``ESCALATE_WORKER_HEARTBEAT_SECONDS``, it writes its
heartbeat row, which the readiness probe reads (decision 27).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker, valid_interval

from escalate.notifications.housekeeping import run_housekeeping
from escalate.notifications.monitoring import record_heartbeat


class Command(BaseCommand):
    help = (
        "Run a background worker for every queue (notifications, housekeeping, default) "
        "that also sweeps deadlines, sends daily digests and recovers stalled deliveries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="seconds to wait when no task is ready (default: %(default)s)",
        )
        parser.add_argument(
            "--housekeeping-every",
            type=valid_interval,
            default=None,
            help="seconds between housekeeping runs (default: NOTIFICATIONS_HOUSEKEEPING_SECONDS)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="run housekeeping, drain the queues, then exit"
        )
        parser.add_argument("--worker-id", default=None, help="unique id (default: random)")

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["housekeeping_every"]
        if every is None:
            every = float(settings.NOTIFICATIONS_HOUSEKEEPING_SECONDS)
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,  # each run() drains what is ready and returns, so housekeeping interleaves
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=options["worker_id"] or get_random_string(32),
            excluded_queue_names=[],
        )
        if options["verbosity"] <= 1:  # its loop says "starting" and "no more tasks" each pass
            logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
            # and django-tasks logs each task's RUNNING and SUCCESSFUL: two lines per delivery.
            logging.getLogger("django_tasks").setLevel(logging.WARNING)
        worker.configure_signals()  # Ctrl+C or SIGTERM: finish the current send, then stop
        self.stdout.write(f"Notifications worker {worker.worker_id} started.")
        next_housekeeping = 0.0
        next_heartbeat = 0.0
        while worker.running:
            if time.monotonic() >= next_heartbeat:
                close_old_connections()
                record_heartbeat(worker_id=worker.worker_id)
                next_heartbeat = time.monotonic() + settings.ESCALATE_WORKER_HEARTBEAT_SECONDS
            if time.monotonic() >= next_housekeeping:
                close_old_connections()
                result = run_housekeeping()
                if options["verbosity"] > 1 or any(result.as_dict().values()):
                    self.stdout.write(f"Housekeeping: {result.as_dict()}")
                next_housekeeping = time.monotonic() + every
            worker.run()
            if options["batch"]:
                break
            time.sleep(options["interval"])
