"""The database itself refuses to change or remove history, whatever the code does.

Only emptying the whole table is possible, through the door in ``escalate/audit/purge.py``
that the test suite opens to flush its own database.
"""

from django.db import migrations

SQLITE_SQL = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit history is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       WHEN escalate_audit_purge_allowed() = 0
       BEGIN SELECT RAISE(ABORT, 'audit history is append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]
POSTGRES_SQL = [
    """CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger AS $$
       BEGIN
         IF TG_OP IN ('DELETE', 'TRUNCATE')
            AND current_setting('escalate.audit_purge', true) = 'on' THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'audit history is append-only';
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_event_refuse_change()",
]


def install(apps, schema_editor):
    statements = POSTGRES_SQL if schema_editor.connection.vendor == "postgresql" else SQLITE_SQL
    for statement in statements:
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    statements = (
        POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    )
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [migrations.RunPython(install, remove)]
