"""Lifting the append-only triggers, for tests only: to tamper on purpose.

The statements come from the migration that installs the triggers, so the tests
lift and restore exactly what production runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module

from django.db import connection

_TRIGGERS = import_module("escalate.audit.migrations.0008_door_for_the_purge_role")


def _run(kind: str) -> None:
    prefix = "POSTGRES" if connection.vendor == "postgresql" else "SQLITE"
    with connection.cursor() as cursor:
        if prefix == "POSTGRES":
            # ENABLE ALWAYS is an ALTER TABLE, refused while deferred foreign key checks of
            # the tampering UPDATE are pending: settle them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in getattr(_TRIGGERS, f"{prefix}_{kind}"):
            cursor.execute(statement)


@contextmanager
def append_only_lifted() -> Iterator[None]:
    """Drop the triggers for the block and recreate them after it.

    Use inside the test's transaction: on both SQLite and PostgreSQL the DDL is
    transactional, so a rollback restores the triggers even if the block fails.
    """
    _run("REVERSE")
    try:
        yield
    finally:
        _run("SQL")
