from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from escalate.escalations.attachments import check_store


class Command(BaseCommand):
    help = (
        "Check every attached file against the store: missing, changed (--contents) and "
        "stored files no attachment names (deleted with --delete-unreferenced)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--contents", action="store_true", help="read each file and check its SHA-256"
        )
        parser.add_argument(
            "--delete-unreferenced",
            action="store_true",
            help="delete stored files no attachment names, once an hour old",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = check_store(
            now=timezone.now(),
            read_contents=options["contents"],
            delete_unreferenced=options["delete_unreferenced"],
        )
        for line in report.lines():
            self.stdout.write(line)
        if not report.is_sound:
            raise CommandError("Some attachments' files are missing or changed.", returncode=1)
