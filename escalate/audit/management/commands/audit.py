"""``escalate audit verify``: walk the hash-chained history and report the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalate.audit.services import verify_chain

EXIT_BROKEN = 1


class Command(BaseCommand):
    help = "Check the audit history: 'verify' exits 0 if the chain is intact, 1 if not."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("verify", help="check every event's hash and its link to the previous")

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is None:
            self.stdout.write(f"{checked} events checked; chain intact")
            return
        self.stderr.write(
            f"Audit chain broken at event {broken.event_id}: {broken.reason}. "
            f"{checked} events before it are intact."
        )
        raise SystemExit(EXIT_BROKEN)
