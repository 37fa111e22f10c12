"""``escalate import_directory nel agencies.csv --kind agencies``: the directory CSV import.

Checks every row with the same code as the import page and prints the same per-row
report. Imports all rows, or, if any row is rejected, none and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.organisations.importing import MAX_BYTES, ImportKind, check_upload
from escalate.organisations.selectors import PartnershipDirectory
from escalate.organisations.services import ImportRefused, import_directory
from escalate.policies.models import Partnership


class Command(BaseCommand):
    help = (
        "Import agencies or people from a CSV file into a partnership's directory: every row "
        "is checked first, and nothing is imported if any row is rejected (exit status 1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partnership", metavar="PARTNERSHIP_SLUG", help="e.g. nel")
        parser.add_argument("file", metavar="FILE", help="a UTF-8 CSV file")
        parser.add_argument(
            "--kind",
            required=True,
            choices=[kind.value for kind in ImportKind],
            help="what the file lists",
        )
        parser.add_argument(
            "--check", action="store_true", help="check the file and report, importing nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        partnership = Partnership.objects.filter(slug=options["partnership"]).first()
        if partnership is None:
            known = ", ".join(Partnership.objects.values_list("slug", flat=True)) or "none loaded"
            raise CommandError(
                f"No partnership {options['partnership']!r}; known partnerships: {known}."
            )
        path = Path(options["file"])
        try:
            with path.open("rb") as file:
                data = file.read(MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(f"{path}: cannot read the file ({error.strerror}).") from None
        kind = ImportKind(options["kind"])
        report = check_upload(data, kind=kind, directory=PartnershipDirectory(partnership))
        if report.is_accepted and not options["check"]:
            try:
                result = import_directory(partnership=partnership, actor=None, rows=report.rows)
            except ImportRefused as refusal:
                report = refusal.report(kind=kind, rows_read=report.rows_read)
            else:
                self.stdout.write(f"{path}: {report.summary}")
                self.stdout.write(f"{partnership}: {result.describe()}")
                return
        for line in report.lines():
            self.stdout.write(f"{path}: {line}")
        if not report.is_accepted:
            raise CommandError(f"{path}: nothing was imported.")
        self.stdout.write("Checked only: nothing was imported.")
