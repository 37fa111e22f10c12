"""``escalate audit verify`` and ``escalate audit checkpoint`` (decision records 0003, 0006, 0022).

``verify`` walks every chain and reports each: events checked, whether every keyed link
holds, rows and texts that no longer read as written, and events missing from the end
since the latest checkpoint. It exits 1 if anything fails.

``checkpoint`` signs and stores each chain's head and prints it, one JSON line per chain, to
be kept outside the database (``--out`` appends to a file); ``verify --checkpoints FILE``
compares with such a file too, so removing both events and the table's checkpoints shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.audit.chain import ChainReport
from escalate.audit.services import (
    ChainShrank,
    CheckpointFacts,
    take_checkpoints,
    verify_chains,
)

EXIT_BROKEN = 1


class Command(BaseCommand):
    help = (
        "Check the audit history ('verify' exits 0 if every chain is intact, 1 if not), "
        "or sign each chain's head ('checkpoint')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = actions.add_parser(
            "verify",
            help="check every event's keyed link, the content it vouches for and the "
            "checkpoints, chain by chain",
        )
        verify.add_argument(
            "--checkpoints",
            type=Path,
            help="a file of published checkpoints (JSON lines from 'checkpoint') to compare too",
        )
        checkpoint = actions.add_parser(
            "checkpoint", help="sign and store each chain's head, and print it as JSON lines"
        )
        checkpoint.add_argument("--out", type=Path, help="also append the lines to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "checkpoint":
            self._checkpoint(options["out"])
        else:
            self._verify(options["checkpoints"])

    def _checkpoint(self, out: Path | None) -> None:
        lines, refused = [], []
        for name, taken in take_checkpoints():
            if isinstance(taken, ChainShrank):
                refused.append(name)
                self.stderr.write(f"{name}: not checkpointed: {taken}.")
            else:
                lines.append(json.dumps(taken.published(name)))
        for line in lines:
            self.stdout.write(line)
        if out is not None:
            with out.open("a", encoding="utf-8") as file:
                file.writelines(f"{line}\n" for line in lines)
        if refused:
            raise SystemExit(EXIT_BROKEN)

    def _verify(self, published_file: Path | None) -> None:
        published = _read_published(published_file) if published_file else []
        reports = [
            report
            for report in verify_chains(published=published)
            if report.checked or not report.is_intact or report.checkpoint_events
        ]
        for report in reports:
            if report.is_intact:
                self.stdout.write(_summary(report))
                continue
            self.stderr.write(_summary(report))
            if report.broken is not None:
                self.stderr.write(
                    f"  broken at event {report.broken.event_id}: {report.broken.reason}. "
                    f"{_count(report.checked, 'event')} before it in that chain "
                    f"{'is' if report.checked == 1 else 'are'} intact."
                )
            for mismatch in report.mismatches:
                at = f"event {mismatch.event_id}, " if mismatch.event_id else ""
                self.stderr.write(f"  {at}{mismatch.place}: {mismatch.reason}")
            if report.tail_missing:
                self.stderr.write(
                    f"  {_count(report.tail_missing, 'event')} missing from its end: the latest "
                    f"checkpoint saw {report.checkpoint_events}."
                )
        checked = sum(report.checked for report in reports)
        failed = [report.name for report in reports if not report.is_intact]
        if failed:
            self.stderr.write(
                f"{len(failed)} of {_count(len(reports), 'chain')} failed: {', '.join(failed)}"
            )
            raise SystemExit(EXIT_BROKEN)
        self.stdout.write(
            f"{_count(checked, 'event')} checked in {_count(len(reports), 'chain')}; "
            "every chain intact"
        )


def _summary(report: ChainReport) -> str:
    chain = (
        "chain intact"
        if report.broken is None
        else f"chain broken at event {report.broken.event_id}"
    )
    if report.mismatches:
        content = _count(len(report.mismatches), "content mismatch", plural="content mismatches")
    else:
        content = "content as written"
    if report.anonymised:
        content += f" ({_count(report.anonymised, 'value')} anonymised)"
    if report.checkpoint_events is None:
        tail = "no checkpoint yet"
    elif report.broken is not None:
        tail = "tail not compared"
    elif report.tail_missing:
        tail = f"{report.tail_missing} missing since the checkpoint of {report.checkpoint_events}"
    else:
        tail = f"none missing since the checkpoint of {report.checkpoint_events}"
    return f"{report.name}: {_count(report.checked, 'event')} checked; {chain}; {content}; {tail}"


def _read_published(path: Path) -> list[CheckpointFacts]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    facts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            facts.append(
                CheckpointFacts.from_published(json.loads(line), source=f"{path.name}:{number}")
            )
        except (ValueError, KeyError, TypeError) as error:
            raise CommandError(f"{path}:{number} is not a checkpoint line.") from error
    return facts


def _count(number: int, noun: str, *, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else (plural or noun + 's')}"
