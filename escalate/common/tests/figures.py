"""The figures the security tests report, printed at the end of the run.

A test records a figure with ``record_figure(record_property, name, count)``; pytest hands
it to the process that prints the summary (under pytest-xdist too), where the counts from
every test are added up and printed by ``pytest_terminal_summary``.

This module is a pytest plugin: ``escalate/common/tests/conftest.py`` loads it, and so must
the root ``conftest.py`` (``pytest_plugins``) for a run that starts from the repository root
under xdist, where the controller never reads the conftest files of subfolders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

PREFIX = "figure:"
_PRINTED = pytest.StashKey[bool]()

# Each line of the summary: the figures it needs, and how it reads.
LINES: tuple[tuple[tuple[str, ...], Callable[[Counter[str]], str]], ...] = (
    (
        ("cross_agency_refused", "cross_agency_attempts"),
        lambda f: (
            f"{f['cross_agency_refused']:,} of {f['cross_agency_attempts']:,} "
            "cross-agency attempts refused (404, nothing written)"
        ),
    ),
    (
        ("matrix_cases", "matrix_urls"),
        lambda f: (
            f"Permission matrix: {f['matrix_cases']:,} requests over "
            f"{f['matrix_urls']:,} URL patterns, every one as expected"
        ),
    ),
    (
        ("header_pages",),
        lambda f: (
            f"Security headers: {f['header_pages_sound']:,} of {f['header_pages']:,} "
            "GET-able pages with a strict CSP, frame-ancestors 'none', nosniff, referrer "
            "policy and no-store"
        ),
    ),
    (
        ("api_fuzz_requests", "api_fuzz_operations"),
        lambda f: (
            f"Schemathesis: {f['api_fuzz_requests']:,} generated requests over "
            f"{f['api_fuzz_operations']:,} operations (positive and negative data), and "
            f"{f['api_stateful_calls']:,} calls in {f['api_stateful_scenarios']:,} stateful "
            "scenarios: no server error, no schema-valid request refused, every response "
            "as documented"
        ),
    ),
    (
        ("fuzz_form_submissions", "fuzz_import_files"),
        lambda f: (
            f"Hypothesis: {f['fuzz_form_submissions']:,} form and API submissions over "
            f"{f['fuzz_forms']:,} doors, {f['fuzz_import_files']:,} import files and "
            f"{f['fuzz_query_strings']:,} query strings on {f['fuzz_query_lists']:,} lists, "
            "0 server errors"
        ),
    ),
    (
        ("hostile_submissions", "hostile_places"),
        lambda f: (
            f"Injection sweep: {f['hostile_submissions']:,} hostile submissions, "
            f"{f['hostile_rejected']:,} refused with a form error and nothing written, "
            f"{f['hostile_places']:,} places shown or exported checked, no 500"
        ),
    ),
)


def record_figure(record_property: Callable[[str, object], None], name: str, count: int) -> None:
    record_property(f"{PREFIX}{name}", count)


def figures_from(terminalreporter: Any) -> Counter[str]:
    found: Counter[str] = Counter()
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", []):
                if isinstance(name, str) and name.startswith(PREFIX):
                    found[name.removeprefix(PREFIX)] += int(value)
    return found


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if config.stash.get(_PRINTED, False):
        return  # loaded both as a plugin and from a conftest
    config.stash[_PRINTED] = True
    found = figures_from(terminalreporter)
    lines = [describe(found) for needed, describe in LINES if all(found[n] for n in needed)]
    if lines:
        terminalreporter.write_sep("=", "security figures")
        for line in lines:
            terminalreporter.write_line(line)
