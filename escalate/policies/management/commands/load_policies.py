from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.policies.services import PolicyRefused, load_policy
from escalate.policy_library import shipped_paths


class Command(BaseCommand):
    help = "Load policy files (the shipped ones by default) as versioned procedures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help="policy files; default: the shipped policies")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(name) for name in options["files"]] or shipped_paths()
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"{path}: cannot read the file ({error})") from None
            try:
                loaded = load_policy(text=text, origin=str(path))
            except PolicyRefused as refusal:
                raise CommandError(str(refusal)) from None
            if options["verbosity"] > 0:
                self.stdout.write(f"{loaded.policy}: {loaded.outcome}")
