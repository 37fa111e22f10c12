from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from escalate.escalations.retention import apply_retention


class Command(BaseCommand):
    help = "Anonymise finished escalations past their partnership's retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        report = apply_retention(now=timezone.now(), dry_run=options["dry_run"])
        prefix = "Would be: " if options["dry_run"] else ""
        for line in report.lines():
            self.stdout.write(prefix + line)
