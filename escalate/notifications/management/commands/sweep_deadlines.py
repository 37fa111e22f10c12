"""``escalate sweep_deadlines``: write today's reminders once; safe to run as often as you like."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.notifications.reminders import sweep_deadlines


class Command(BaseCommand):
    help = (
        "Write the reminders due today (before, on and after each stage's and agreed action's "
        "due date) that were not written yet, and queue them for sending. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", metavar="YYYY-MM-DD", help="sweep as if it were this day")
        parser.add_argument(
            "--working-days-before",
            type=int,
            metavar="N",
            help="remind N working days before a due date (default: the setting)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    f"{options['today']!r} is not a date written YYYY-MM-DD."
                ) from None
        result = sweep_deadlines(today=today, working_days_before=options["working_days_before"])
        self.stdout.write(
            f"{result.stage_rows} stage(s) and {result.action_rows} agreed action(s) needed a "
            f"reminder; {result.notifications} notification(s) written."
        )
