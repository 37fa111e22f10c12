"""``escalate audit verify``: walk every hash chain and report each, naming any broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalate.audit.services import verify_chains

EXIT_BROKEN = 1


class Command(BaseCommand):
    help = "Check the audit history: 'verify' exits 0 if every chain is intact, 1 if not."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser(
            "verify",
            help="check every event's hash and its link to the previous, chain by chain",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reports = [report for report in verify_chains() if report.checked or report.broken]
        for report in reports:
            if report.broken is None:
                self.stdout.write(
                    f"{report.name}: {_count(report.checked, 'event')} checked; chain intact"
                )
            else:
                self.stderr.write(
                    f"Audit chain {report.name} broken at event {report.broken.event_id}: "
                    f"{report.broken.reason}. "
                    f"{_count(report.checked, 'event')} before it in that chain "
                    f"{'is' if report.checked == 1 else 'are'} intact."
                )
        checked = sum(report.checked for report in reports)
        broken = [report.name for report in reports if report.broken is not None]
        if broken:
            self.stderr.write(
                f"{len(broken)} of {_count(len(reports), 'chain')} broken: {', '.join(broken)}"
            )
            raise SystemExit(EXIT_BROKEN)
        self.stdout.write(
            f"{_count(checked, 'event')} checked in {_count(len(reports), 'chain')}; "
            "every chain intact"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
