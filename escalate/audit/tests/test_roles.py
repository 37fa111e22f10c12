"""The application's role in production cannot alter or delete history (decision 22).

The roles are made by running the SQL of docs/production.md ("Database roles") on the test
database, with names of this run's own (roles are shared by the whole server); then a second
connection logs in as the application's role and tries every way the review found.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from escalate.audit.models import AuditEvent
from escalate.audit.purge import PURGE_ROLE

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),  # the other connection must see the history
]

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "production.md"


def guide_sql() -> list[str]:
    """The SQL blocks of the guide's "Database roles" section, in order."""
    section = GUIDE.read_text().split("## Database roles", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def _statements(block: str, names: dict[str, str]) -> list[str]:
    for word, name in names.items():
        block = re.sub(rf"\b{word}\b", name, block)
    lines = [line for line in block.splitlines() if not line.lstrip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


@pytest.fixture
def app_role() -> Iterator[psycopg.Connection]:
    """A connection as the application's role, set up as the guide says."""
    suffix = uuid.uuid4().hex[:8]
    database = connection.settings_dict["NAME"]
    names = {
        "escalate_owner": f"escalate_owner_{suffix}",
        "escalate_app": f"escalate_app_{suffix}",
        "escalate": f'"{database}"',  # only the database is still called plain "escalate"
    }
    roles_block, grants_block = guide_sql()
    with connection.cursor() as cursor:
        for statement in _statements(roles_block, names):
            cursor.execute(statement)
        for statement in _statements(grants_block, names):
            cursor.execute(statement)
    settings = connection.settings_dict
    app = psycopg.connect(
        dbname=database,
        user=names["escalate_app"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    )
    try:
        yield app
    finally:
        app.close()
        with connection.cursor() as cursor:
            for role in (names["escalate_app"], names["escalate_owner"]):
                cursor.execute(f"DROP OWNED BY {role}")
                cursor.execute(f"DROP ROLE {role}")


def _refused(
    app: psycopg.Connection, sql: str, match: str, params: list[object] | None = None
) -> None:
    with pytest.raises(psycopg.Error, match=match):
        app.execute(sql, params)


def test_the_guide_has_the_two_blocks_the_test_runs() -> None:
    roles_block, grants_block = guide_sql()

    assert "NOSUPERUSER" in roles_block and "NOREPLICATION" in roles_block
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent" in grants_block


def test_the_application_role_reads_and_appends_history_but_cannot_alter_or_delete_it(
    history: list[AuditEvent], app_role: psycopg.Connection
) -> None:
    first, last = history[0].pk, history[-1].pk
    [(count,)] = app_role.execute("SELECT count(*) FROM audit_auditevent").fetchall()
    assert count == len(history)
    [(is_super, can_replicate)] = app_role.execute(
        "SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user"
    ).fetchall()
    assert (is_super, can_replicate) == (False, False)
    [(owns,)] = app_role.execute(
        "SELECT count(*) FROM pg_class WHERE relowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
    ).fetchall()
    assert owns == 0

    denied = "permission denied|must be owner"
    _refused(app_role, "UPDATE audit_auditevent SET data = '{}' WHERE id = %s", denied, [first])
    _refused(app_role, "DELETE FROM audit_auditevent WHERE id = %s", denied, [last])
    _refused(app_role, "TRUNCATE audit_auditevent CASCADE", denied)
    _refused(app_role, "UPDATE audit_checkpoint SET events = 0", denied)
    _refused(app_role, "DELETE FROM audit_checkpoint", denied)
    _refused(app_role, "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL", denied)
    _refused(app_role, "DROP TRIGGER audit_auditevent_no_change ON audit_auditevent", denied)
    _refused(app_role, "SET session_replication_role = replica", denied)
    _refused(app_role, f"SET ROLE {PURGE_ROLE}", denied)

    app_role.execute("SET escalate.audit_purge = 'on'")  # anyone may set it; it opens nothing
    _refused(app_role, "DELETE FROM audit_auditevent WHERE id = %s", denied, [last])
    [(may_purge,)] = app_role.execute(
        "SELECT pg_has_role(current_user, %s, 'MEMBER')", [PURGE_ROLE]
    ).fetchall()
    assert may_purge is False

    assert AuditEvent.objects.count() == len(history)
    assert list(AuditEvent.objects.order_by("pk").values_list("hash", flat=True)) == [
        event.hash for event in history
    ]


def test_the_purge_door_stays_shut_even_with_delete_rights(
    history: list[AuditEvent], app_role: psycopg.Connection
) -> None:
    """Were the REVOKE forgotten, the trigger would still refuse the application's role."""
    [(role,)] = app_role.execute("SELECT current_user").fetchall()
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT DELETE, TRUNCATE ON audit_auditevent TO {role}")

    app_role.execute("SET escalate.audit_purge = 'on'")
    _refused(
        app_role, "DELETE FROM audit_auditevent WHERE id = %s", "append-only", [history[-1].pk]
    )
    _refused(app_role, "TRUNCATE audit_auditevent CASCADE", "append-only|permission denied")

    assert AuditEvent.objects.count() == len(history)
