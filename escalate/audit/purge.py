"""The one door through which the append-only history may be emptied: a test database's flush.

The database triggers refuse DELETE and TRUNCATE unless the connection has opened this door.

- PostgreSQL: the session setting ``escalate.audit_purge`` opens it, but only for a role that
  is a member of ``escalate_audit_purger`` (``PURGE_ROLE``; a superuser is a member of every
  role). The application's role in production is not (docs/production.md, "Database roles"),
  so no session it opens can empty the history, whatever it sets (decision 22).
- SQLite (the laptop demo): a function the connection registers. The ``sqlite3`` shell
  cannot call it, but anyone who can write the database file can drop the triggers; there
  the keyed chain and the checkpoints are what show the change.

Nothing in the product opens it; the test suite does so only to empty its own database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

_PURGE = threading.local()
SQLITE_FUNCTION = "escalate_audit_purge_allowed"
POSTGRES_SETTING = "escalate.audit_purge"
PURGE_ROLE = "escalate_audit_purger"


def purge_allowed() -> int:
    return 1 if getattr(_PURGE, "allowed", False) else 0


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 0, purge_allowed)


@contextmanager
def allow_purge() -> Iterator[None]:
    _PURGE.allowed = True
    is_postgres = connection.vendor == "postgresql"
    try:
        if is_postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"SET {POSTGRES_SETTING} = 'on'")
        yield
    finally:
        _PURGE.allowed = False
        if is_postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {POSTGRES_SETTING}")
