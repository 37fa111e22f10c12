"""``escalate seed_bulk N``: N invented escalations at once, for the national-scale benchmark."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from escalate.escalations import bulk_seed


class Command(BaseCommand):
    help = (
        "Add N invented escalations (about 20% open, history included) over every loaded "
        "partnership, with a bulk directory of invented agencies and people. PostgreSQL only: "
        "it writes with COPY. Nothing else should write while it runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int, help="How many escalations to add.")
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument(
            "--agencies", type=int, default=40, help="Bulk agencies per partnership."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")
        indexes = parser.add_mutually_exclusive_group()
        indexes.add_argument(
            "--defer-indexes",
            action="store_const",
            const=True,
            dest="defer_indexes",
            help="Drop the written tables' indexes (primary keys aside) and foreign keys while "
            "loading and build them again at the end (the same transaction, so all or nothing). "
            f"The default when N is at least {bulk_seed.DEFER_INDEXES_FROM:,} and at least the "
            "escalations already stored.",
        )
        indexes.add_argument(
            "--keep-indexes",
            action="store_const",
            const=False,
            dest="defer_indexes",
            help="Keep every index while loading, whatever N.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes drawing the escalations (PostgreSQL; default: one per CPU, at most "
            "one per partnership).",
        )
        parser.add_argument(
            "--allow-slow",
            action="store_true",
            help="Seed on a database other than PostgreSQL with plain INSERTs (slow; tests).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql" and not options["allow_slow"]:
            raise CommandError(
                "seed_bulk writes with PostgreSQL's COPY, and this database is "
                f"{connection.vendor}. Point DATABASE_URL at PostgreSQL, or pass --allow-slow "
                "to seed a few rows with plain INSERTs."
            )
        count = options["count"]
        if count < 1:
            raise CommandError("Give a number of escalations of 1 or more.")
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("Give a number of workers of 1 or more.")
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            elapsed = time.perf_counter() - started
            width = 30
            filled = int(width * done / total)
            rate = done / elapsed if elapsed else 0.0
            left = (total - done) / rate if rate else 0.0
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} "
                f"{rate:,.0f}/s, {left:,.0f} s left "
            )
            sys.stderr.flush()

        try:
            report = bulk_seed.seed(
                count,
                batch_size=options["batch_size"],
                agencies=options["agencies"],
                random_seed=options["seed"],
                defer_indexes=options["defer_indexes"],
                workers=options["workers"],
                progress=progress,
            )
        except (ValueError, bulk_seed.WorkerFailed) as problem:
            raise CommandError(str(problem)) from None
        sys.stderr.write("\n")
        self.stdout.write(
            f"Seeded {report.escalations:,} escalations ({report.rows:,} rows) in "
            f"{report.seconds:,.1f} s: {report.rate:,.0f} escalations/s."
        )
