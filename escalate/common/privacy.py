"""Checks that a subject's name or identifier stays out of logs and messages."""

from __future__ import annotations

from collections.abc import Iterable

# Invented subject names and identifiers used by the test factories and the demo seed.
SEEDED_SUBJECT_IDENTIFIERS = (
    "Alex Invented",
    "CASE-0001",
    "Jamie Invented",
    "Riley Madeup",
    "DEMO-101",
    "DEMO-102",
    "9434765919",
)


def leaked_identifiers(
    texts: Iterable[str], identifiers: Iterable[str] = SEEDED_SUBJECT_IDENTIFIERS
) -> list[str]:
    """The identifiers found in any of ``texts``, each once, in the order given."""
    corpus = "\n".join(texts)
    return [identifier for identifier in identifiers if identifier in corpus]
