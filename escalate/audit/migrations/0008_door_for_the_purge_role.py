"""The append-only triggers, again, now over the checkpoints too (decision record 0022).

PostgreSQL: the door that lets a test database's flush empty the history no longer opens for
any session that sets ``escalate.audit_purge``: the setting counts only when the current role
is a member of ``escalate_audit_purger`` (a superuser is a member of every role). The
application's role (docs/production.md, "Database roles") is not, so it cannot open it. The
triggers are ENABLE ALWAYS, so ``SET session_replication_role = replica`` (which needs a
superuser, or since PostgreSQL 15 a role granted that setting) no longer skips them either.
The purger role is created if the migrating role may create roles; without it the door stays
shut, which is what production wants.

SQLite (the laptop demo): unchanged from 0003, per-connection function and all, and the same
for the checkpoints. Anyone who can write the database file can drop a trigger; the keyed
chain and the published checkpoints are what show it.
"""

from importlib import import_module

from django.db import migrations

_0003 = import_module("escalate.audit.migrations.0003_append_only_triggers")

PURGE_ROLE = "escalate_audit_purger"  # named literally in the SQL below
TABLES = ("audit_auditevent", "audit_checkpoint")

SQLITE_SQL = [
    statement
    for table in TABLES
    for statement in (
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, 'audit history is append-only'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            WHEN escalate_audit_purge_allowed() = 0
            BEGIN SELECT RAISE(ABORT, 'audit history is append-only'); END""",
    )
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {table}_{kind}"
    for table in TABLES
    for kind in ("no_update", "no_delete")
]
POSTGRES_SQL = [
    """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
       BEGIN
         IF TG_OP IN ('DELETE', 'TRUNCATE')
            AND current_setting('escalate.audit_purge', true) = 'on'
            AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'escalate_audit_purger') THEN
           IF pg_has_role(current_user, 'escalate_audit_purger', 'MEMBER') THEN
             RETURN OLD;
           END IF;
         END IF;
         RAISE EXCEPTION 'audit history is append-only';
       END; $$ LANGUAGE plpgsql""",
    *(
        statement
        for table in TABLES
        for statement in (
            f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_change",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate",
        )
    ),
]
POSTGRES_REVERSE = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_{kind} ON {table}"
        for table in TABLES
        for kind in ("no_change", "no_truncate")
    ),
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]
CREATE_PURGE_ROLE = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'escalate_audit_purger') THEN
    BEGIN
      CREATE ROLE escalate_audit_purger NOLOGIN;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'cannot create role escalate_audit_purger: the purge door stays shut';
    END;
  END IF;
END $$"""


def install(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in _0003.POSTGRES_REVERSE if postgres else _0003.SQLITE_REVERSE:
        schema_editor.execute(statement)
    if postgres:
        schema_editor.execute(CREATE_PURGE_ROLE)
    for statement in POSTGRES_SQL if postgres else SQLITE_SQL:
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES_REVERSE if postgres else SQLITE_REVERSE:
        schema_editor.execute(statement)
    for statement in _0003.POSTGRES_SQL if postgres else _0003.SQLITE_SQL:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_tamper_evidence")]

    operations = [migrations.RunPython(install, remove)]
