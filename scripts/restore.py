"""Restore a backup made by scripts/backup.py into a fresh database and folder, then check it.

    python scripts/restore.py BACKUP_FOLDER --database-url postgres://... --media-root DIR
    (make restore; docs/deployment.md, "The restore drill")

1. Checks each file against the manifest's size and SHA-256: a damaged backup is refused.
2. Creates the database if it does not exist (connecting to the server's ``postgres``
   database; if the role may not create databases, a cluster administrator runs
   ``createdb --owner=escalate_owner NAME`` first). A database that already has tables is
   refused: a restore never mixes with live data.
3. ``pg_restore --no-owner --no-privileges --single-transaction --exit-on-error``: every
   object is owned by the role restoring, so run it as the owner role (escalate_owner),
   never as the application's role (which would then own the history's tables and could
   drop their triggers) nor as a superuser (the owner could then not migrate). The grants
   to the application's role are not restored: run docs/production.md's block afterwards,
   as after every migrate. The history's rows go in by COPY, which no append-only trigger
   refuses (they refuse UPDATE, DELETE and TRUNCATE); the triggers are created after the
   rows, ENABLE ALWAYS as dumped, and this script checks they are.
4. Extracts the attachments into the folder, which must be empty or not yet exist.
5. Compares the restored counts with the manifest, then runs ``escalate audit verify`` and
   ``escalate check_attachments --contents`` on the restored copy, with this environment's
   ESCALATE_AUDIT_KEYS (the deployment's audit key). Exit 0 only if all of it holds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from backup import ATTACHMENTS, DUMP, MANIFEST, sha256_of, without_password

ROOT = Path(__file__).resolve().parent.parent
ESCALATE = Path(sys.executable).parent / "escalate"
APPEND_ONLY_TRIGGERS = (
    "audit_auditevent_no_change",
    "audit_auditevent_no_truncate",
    "audit_checkpoint_no_change",
    "audit_checkpoint_no_truncate",
)


class RestoreFailed(Exception):
    """What went wrong, in a sentence for whoever runs the restore."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backup", type=Path, metavar="BACKUP_FOLDER")
    parser.add_argument("--database-url", required=True, metavar="URL")
    parser.add_argument("--media-root", required=True, type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    try:
        manifest = _checked_manifest(args.backup)
        _fresh_database(args.database_url)
        _fresh_folder(args.media_root)
        _pg_restore(args.backup / DUMP, args.database_url)
        _extract(args.backup / ATTACHMENTS, args.media_root)
        _compare(manifest, args.database_url)
        _verify(args.database_url, args.media_root)
    except RestoreFailed as failure:
        print(f"restore: {failure}", file=sys.stderr)
        return 1
    print(
        f"Restored {args.backup} into {without_password(args.database_url)} and "
        f"{args.media_root}: {manifest['audit_events']} history events verified, "
        f"{manifest['attachments']} attached files checked.\n"
        "Next: as the owner, run the grants in docs/production.md (Database roles) for the "
        "application's role, then point DATABASE_URL and ESCALATE_MEDIA_ROOT at the copy."
    )
    return 0


def _checked_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise RestoreFailed(f"{folder / MANIFEST} cannot be read: {error}") from None
    for entry in manifest["files"]:
        path = folder / entry["name"]
        if not path.exists():
            raise RestoreFailed(f"{path} is missing from the backup.")
        if path.stat().st_size != entry["bytes"] or sha256_of(path) != entry["sha256"]:
            raise RestoreFailed(f"{path} is not the file the manifest describes (damaged?).")
    return manifest


def _fresh_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    try:
        with psycopg.connect(
            urlunsplit(parts._replace(path="/postgres")), autocommit=True
        ) as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                _ensure_empty(url)
                return
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.errors.InsufficientPrivilege:
        raise RestoreFailed(
            f"this role may not create databases: ask a cluster administrator to run "
            f"createdb --owner=escalate_owner {name}, then restore again."
        ) from None
    except psycopg.OperationalError as error:
        raise RestoreFailed(f"cannot reach {without_password(url)}: {error}") from None


def _ensure_empty(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
    if row and row[0]:
        raise RestoreFailed(
            f"{without_password(url)} is not empty ({row[0]} tables): restore into a new "
            "database, never over one in use."
        )


def _fresh_folder(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise RestoreFailed(f"{folder} is not empty: restore the attachments into a new folder.")


def _pg_restore(dump: Path, url: str) -> None:
    parts = urlsplit(url)
    password = parts.password
    done = subprocess.run(  # noqa: S603 - pg_restore found on PATH, arguments are ours
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={without_password(url, drop=True)}",
            str(dump),
        ],
        env={**os.environ, **({"PGPASSWORD": password} if password else {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RestoreFailed(f"pg_restore failed, nothing was restored: {done.stderr.strip()}")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RestoreFailed(f"{name} is not on PATH (Debian: apt-get install postgresql-client).")
    return found


def _extract(archive: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if not archive.exists():
        return  # the attachments are in a bucket (ESCALATE_ATTACHMENT_STORAGE=s3)
    with tarfile.open(archive) as files:
        # "data": no absolute paths, no links out of the folder, no devices.
        files.extractall(folder, filter="data")


def _compare(manifest: dict[str, Any], url: str) -> None:
    import psycopg

    with psycopg.connect(url) as connection:
        found = {
            "audit_events": _count(connection, "audit_auditevent"),
            "audit_checkpoints": _count(connection, "audit_checkpoint"),
            "attachments": _count(connection, "escalations_attachment"),
        }
        triggers: dict[str, str] = dict(
            connection.execute(
                "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname = ANY(%s)",
                [list(APPEND_ONLY_TRIGGERS)],
            ).fetchall()
        )
    for name, count in found.items():
        if count != manifest[name]:
            raise RestoreFailed(f"the copy has {count} {name}, the backup {manifest[name]}.")
    # 'A' is ENABLE ALWAYS: the triggers hold even in replica mode.
    if any(triggers.get(name) != "A" for name in APPEND_ONLY_TRIGGERS):
        raise RestoreFailed(f"the history's append-only triggers are not all in force: {triggers}")


def _count(connection: Any, table: str) -> int:
    row = connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # noqa: S608 - ours
    return int(row[0])


def _verify(url: str, media_root: Path) -> None:
    env = {**os.environ, "DATABASE_URL": url, "ESCALATE_MEDIA_ROOT": str(media_root)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    for command in (["audit", "verify"], ["check_attachments", "--contents"]):
        done = subprocess.run(  # noqa: S603 - our own command
            [str(ESCALATE), *command], env=env, cwd=ROOT, capture_output=True, text=True
        )
        sys.stdout.write(done.stdout)
        if done.returncode != 0:
            raise RestoreFailed(
                f"escalate {' '.join(command)} fails on the copy:\n{done.stderr.strip()}"
            )


if __name__ == "__main__":
    sys.exit(main())
