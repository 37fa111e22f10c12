"""The ``escalate`` command.

``escalate policy ...`` works on policy files without Django or a database.
Any other command is handed to Django's management commands, so
``escalate check --deploy`` or ``escalate migrate`` work as ``manage.py`` would.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from escalate.calendars import working_calendar
from escalate.domain.calendar import OutsideCalendar
from escalate.domain.deadlines import Timeline, TimelineRefused, timeline
from escalate.domain.policy import PolicyRules
from escalate.policy_library import PolicyNotFound, find_policy, read_policy_file, shipped_policies

EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2


class CommandFailed(Exception):
    """Bad input: the message is printed as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="escalate", description="Escalate's command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    policy = commands.add_parser("policy", help="read, check and run partnership policy files")
    actions = policy.add_subparsers(dest="action", required=True, parser_class=_Parser)
    actions.add_parser("list", help="the shipped policies and their short names")
    check = actions.add_parser("check", help="check policy files; exit 1 if any has an error")
    check.add_argument("files", nargs="+", metavar="FILE")
    line = actions.add_parser("timeline", help="each stage's due date for a raise date")
    line.add_argument("policy", metavar="POLICY", help="a shipped short name or a policy file")
    line.add_argument("--raised", required=True, metavar="YYYY-MM-DD", type=_parse_date)
    line.add_argument("--immediate-risk", action="store_true")
    line.add_argument("--start-stage", type=int, metavar="N", help="start at stage N")
    line.add_argument("--route", metavar="KEY", help="enter by one of the policy's entry routes")
    line.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a real date written YYYY-MM-DD"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] not in {"policy", "-h", "--help"}:
        return _run_django(args_list)
    args = _parser().parse_args(args_list)
    try:
        if args.action == "list":
            return _list()
        if args.action == "check":
            return _check(args.files)
        return _timeline(args)
    except CommandFailed as failure:
        print(f"escalate: {failure}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _list() -> int:
    for policy in shipped_policies():
        rules = policy.result.rules
        label = rules.partnership if rules else "(does not load: run 'escalate policy check')"
        print(f"{policy.path.stem:<18} {label}")
    return 0


def _check(files: list[str]) -> int:
    worst = 0
    for name in files:
        path = Path(name)
        try:
            result = read_policy_file(path).result
        except (OSError, UnicodeDecodeError) as error:
            print(f"{name}: error: cannot read the file ({_reason(error)})")
            worst = EXIT_PROBLEMS
            continue
        for problem in result.problems:
            print(problem.line(name))
        if result.errors:
            worst = EXIT_PROBLEMS
        else:
            print(f"{name}: ok ({len(result.warnings)} warning(s))")
    return worst


def _reason(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else str(error)


def _timeline(args: argparse.Namespace) -> int:
    rules = _load_rules(args.policy)
    if args.route and args.route not in {route.key for route in rules.entry_routes}:
        raise CommandFailed(f"This procedure has no entry route {args.route!r}.")
    calendar = working_calendar(rules.nation, rules.closure_days)
    try:
        result = timeline(
            rules,
            raised_on=args.raised,
            calendar=calendar,
            immediate_risk=args.immediate_risk,
            start_at=args.start_stage,
            route_key=args.route,
        )
    except (TimelineRefused, OutsideCalendar) as refusal:
        raise CommandFailed(str(refusal)) from None
    print(
        _timeline_json(rules, result)
        if args.json
        else _timeline_text(rules, result, immediate_risk=args.immediate_risk)
    )
    return 0


def _load_rules(name_or_path: str) -> PolicyRules:
    try:
        policy = find_policy(name_or_path)
    except PolicyNotFound as error:
        raise CommandFailed(str(error)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandFailed(f"cannot read {name_or_path} ({_reason(error)})") from None
    if policy.result.rules is None:
        first = policy.result.errors[0].line(name_or_path)
        raise CommandFailed(f"{first} (run 'escalate policy check' for every problem)")
    return policy.result.rules


def _timeline_json(rules: PolicyRules, result: Timeline) -> str:
    return json.dumps(
        {
            "policy": rules.short_name,
            "raised": result.raised_on.isoformat(),
            "stages": [
                {"number": s.number, "name": s.name, "due": _iso(s.due_on)} for s in result.stages
            ],
            "target_due": _iso(result.target_due_on),
        },
        indent=2,
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _timeline_text(rules: PolicyRules, result: Timeline, *, immediate_risk: bool) -> str:
    lines = [
        f"{rules.partnership} ({rules.short_name}, version {rules.version})",
        f"Raised {result.raised_on:%A %d %B %Y}",
    ]
    for index, stage in enumerate(result.stages):
        rule = rules.stage(stage.number)
        same_day = index == 0 and immediate_risk and rules.immediate_risk.first_action_same_day
        how = "immediate risk: the same day" if same_day else rule.deadline.describe()
        due = f"due {stage.due_on:%a %d %b %Y} ({how})" if stage.due_on else how
        lines.append(f"  Stage {stage.number}: {stage.name}: {due}")
    if result.target_due_on:
        lines.append(
            f"Overall target: {result.target_due_on:%a %d %b %Y} ({rules.target.describe()})"
        )
    return "\n".join(lines)


def _run_django(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["escalate", *args])
    except ImproperlyConfigured as error:  # e.g. production started without its secrets
        print(f"escalate: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
