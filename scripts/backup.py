"""A backup that can be restored: the database and the attached files, with a manifest.

    python scripts/backup.py --into var/backups        (make backup; docs/deployment.md)

Reads DATABASE_URL (PostgreSQL) and ESCALATE_MEDIA_ROOT (default var/media). Writes a new
folder ``escalate-<UTC time>/`` holding

    database.dump      pg_dump --format=custom, taken from one snapshot of the database
    attachments.tar    the attachments folder (absent when ESCALATE_ATTACHMENT_STORAGE=s3:
                       a bucket is backed up by its own versioning and replication)
    manifest.json      when, what, and each file's size and SHA-256; the number of history
                       events and attached files the dump holds, read from the same snapshot

The database is dumped first and the files second: a file is stored before the row that
names it commits, so every attachment in the dump has its file in the tar (a file added in
between is an extra, which ``escalate check_attachments --delete-unreferenced`` tidies).
The backup fails, exit 1, if a file the dump names is missing from the folder.

The dump holds personal data: keep it encrypted and access-controlled, and never beside the
audit key (ESCALATE_AUDIT_KEYS), which must not be in the same backup as the database.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"
DUMP = "database.dump"
ATTACHMENTS = "attachments.tar"
FORMAT = 1


class BackupFailed(Exception):
    """What went wrong, in a sentence for whoever runs the backup."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=ROOT / "var" / "backups", metavar="DIR")
    args = parser.parse_args(argv)
    try:
        folder = back_up(
            database_url=os.environ.get("DATABASE_URL", ""),
            media_root=_media_root(),
            into=args.into,
        )
    except BackupFailed as failure:
        print(f"backup: {failure}", file=sys.stderr)
        return 1
    print(folder)
    return 0


def back_up(*, database_url: str, media_root: Path | None, into: Path) -> Path:
    """Write one backup folder under ``into`` and return it."""
    if urlsplit(database_url).scheme not in {"postgres", "postgresql"}:
        raise BackupFailed("DATABASE_URL must name the PostgreSQL database to back up.")
    folder = into / f"escalate-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    try:
        folder.mkdir(parents=True, exist_ok=False)
    except FileExistsError:
        raise BackupFailed(f"{folder} already exists: wait a second and run it again.") from None
    facts = _dump(database_url, folder / DUMP)
    named = set(facts.pop("attachment_keys"))
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": without_password(database_url),
        **facts,
        "attachments_folder": None if media_root is None else str(media_root),
    }
    if media_root is not None:  # else in a bucket: see the docstring
        missing = sorted(named - _archive(media_root, folder / ATTACHMENTS))
        if missing:
            raise BackupFailed(
                f"{len(missing)} attached file(s) the database names are not in {media_root} "
                f"(first: {missing[0]}); run escalate check_attachments. {folder} is "
                "incomplete: do not keep it."
            )
    manifest["files"] = [
        _describe(folder / name) for name in (DUMP, ATTACHMENTS) if (folder / name).exists()
    ]
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


def _media_root() -> Path | None:
    if (os.environ.get("ESCALATE_ATTACHMENT_STORAGE") or "filesystem") == "s3":
        return None
    return Path(os.environ.get("ESCALATE_MEDIA_ROOT") or ROOT / "var" / "media")


def _dump(database_url: str, target: Path) -> dict[str, Any]:
    """pg_dump from an exported snapshot, counting in that same snapshot what it holds."""
    with _snapshot(database_url) as (cursor, snapshot):
        facts = {
            "audit_events": _count(cursor, "audit_auditevent"),
            "audit_checkpoints": _count(cursor, "audit_checkpoint"),
            "attachment_keys": [
                key for (key,) in cursor.execute("SELECT file FROM escalations_attachment")
            ],
            "server_version": cursor.connection.info.server_version,
        }
        facts["attachments"] = len(facts["attachment_keys"])
        done = subprocess.run(  # noqa: S603 - pg_dump from PATH, arguments are ours
            [
                _tool("pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={without_password(database_url, drop=True)}",
            ],
            env=_libpq_env(database_url),
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise BackupFailed(f"pg_dump failed: {done.stderr.strip()}")
    return facts


@contextmanager
def _snapshot(database_url: str) -> Iterator[tuple[Any, str]]:
    import psycopg

    try:
        connection = psycopg.connect(database_url)
    except psycopg.OperationalError as error:
        raise BackupFailed(f"cannot connect to {without_password(database_url)}: {error}") from None
    with connection:
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor = connection.cursor()
        [snapshot] = cursor.execute("SELECT pg_export_snapshot()").fetchone() or [""]
        yield cursor, str(snapshot)


def _count(cursor: Any, table: str) -> int:
    [count] = cursor.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # noqa: S608 - ours
    return int(count)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(f"{name} is not on PATH (Debian: apt-get install postgresql-client).")
    return found


def _archive(media_root: Path, target: Path) -> set[str]:
    """Tar the folder's files under their keys (paths relative to it); return those keys."""
    stored: set[str] = set()
    with tarfile.open(target, "w") as archive:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    key = path.relative_to(media_root).as_posix()
                    archive.add(path, arcname=key, recursive=False)
                    stored.add(key)
    return stored


def _describe(path: Path) -> dict[str, Any]:
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq_env(database_url: str) -> dict[str, str]:
    """The password goes to pg_dump in its environment, never on a command line others see."""
    password = urlsplit(database_url).password
    return {**os.environ, **({"PGPASSWORD": password} if password else {})}


def without_password(url: str, *, drop: bool = False) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", "@" if drop else ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


if __name__ == "__main__":
    sys.exit(main())
