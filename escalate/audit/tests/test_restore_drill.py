"""The restore drill: a backup made by scripts/backup.py restores with its history intact.

History is written through the real services into a scratch database of the test's own, by
``escalate`` subprocesses as a deployment's processes would; scripts/backup.py dumps it with
its attachments; scripts/restore.py restores both into another fresh database and folder;
``escalate audit verify`` on the copy must then pass with the same count of events, and fail
once one history row of the copy is rewritten. Both scratch databases are dropped at the end.
A backup whose database names a file the folder has lost fails, and a backup whose files no
longer match its manifest is refused before anything is restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
WAIT = 300  # seconds: migrate on a busy shared machine is slow, never stuck

ON_POSTGRESQL = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the restore drill dumps and restores PostgreSQL; set DATABASE_URL to run it",
    ),
    pytest.mark.skipif(
        shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
        reason="pg_dump and pg_restore are not on PATH (Debian: postgresql-client)",
    ),
]


def on_postgresql(test: Callable[..., None]) -> Callable[..., None]:
    for mark in ON_POSTGRESQL:
        test = mark(test)
    return test


# Written by `escalate shell`: the shipped procedures loaded (by the factories), one
# escalation raised, moved to stage 2, a file attached, then a checkpoint of every chain.
# All names are invented.
WRITE_HISTORY = """
from datetime import date
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from escalate.escalations import services
from escalate.escalations.attachments import attach_file
from escalate.escalations.tests.factories import AgencyFactory, PersonFactory, raise_for

with transaction.atomic():
    school = AgencyFactory(name="Brookfield Primary")
    social_care = AgencyFactory(name="Children's Social Care", kind="childrens_social_care")
    teacher = PersonFactory(agency=school, name="Tess Teacher")
    worker = PersonFactory(agency=social_care, name="Sol Worker")
escalation = raise_for(
    raised_by=teacher, other_agency=social_care, counterpart=worker, today=date(2026, 12, 18)
)
escalation = services.escalate_stage(
    escalation=escalation, actor=teacher, reason="No agreement (invented).",
    today=date(2026, 12, 21),
)
attach_file(
    escalation=escalation,
    actor=teacher,
    upload=ContentFile(b"Notes of the call (invented).\\n", name="call-notes.txt"),
    kind="note",
)
call_command("audit", "checkpoint")
"""


def _server_url(database: str) -> str:
    params = settings.DATABASES["default"]
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    return f"postgres://{params['USER']}{password}@{host}:{params.get('PORT') or 5432}/{database}"


@pytest.fixture
def scratch_database() -> Iterator[Callable[[str], str]]:
    """Names for databases of this test's own; whichever exist at the end are dropped."""
    import psycopg

    names: list[str] = []

    def name(purpose: str) -> str:
        names.append(f"escalate_drill_{purpose}_{uuid.uuid4().hex[:12]}")
        return _server_url(names[-1])

    yield name
    with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
        for database in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _run(
    command: list[str], env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=WAIT, check=False
    )
    if check and done.returncode != 0:
        pytest.fail(
            f"{' '.join(command[:3])} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def _escalate(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return _run([str(BIN / "escalate"), *args], env, check=check)


def _events_checked(verify_output: str) -> int:
    found = re.search(r"^(\d+) events? checked in \d+ chains?", verify_output, re.MULTILINE)
    assert found, verify_output
    return int(found.group(1))


@on_postgresql
def test_a_backup_restores_into_a_fresh_database_whose_history_verifies(
    scratch_database: Callable[[str], str], tmp_path: Path
) -> None:
    import psycopg

    source = scratch_database("source")
    with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{source.rsplit("/", 1)[1]}"')
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": source,
        "ESCALATE_AUDIT_KEYS": secrets.token_hex(32),
        "ESCALATE_MEDIA_ROOT": str(tmp_path / "media"),
    }
    _escalate(env, "migrate", "--no-input", "-v", "0")
    _escalate(env, "shell", "-c", WRITE_HISTORY)

    back_up = [sys.executable, "scripts/backup.py", "--into", str(tmp_path / "backups")]
    backup = _run(back_up, env)
    folder = Path(backup.stdout.strip())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(path.name for path in folder.iterdir()) == [
        "attachments.tar",
        "database.dump",
        "manifest.json",
    ]

    restored = scratch_database("restored")
    restored_media = tmp_path / "restored-media"
    restore = [sys.executable, "scripts/restore.py", str(folder)]
    restore += ["--database-url", restored, "--media-root", str(restored_media)]
    done = _run(restore, env)
    assert "1 attached files checked" in done.stdout

    copy = {**env, "DATABASE_URL": restored, "ESCALATE_MEDIA_ROOT": str(restored_media)}
    verified = _escalate(copy, "audit", "verify")
    assert verified.returncode == 0
    # raised, escalated to stage 2, file attached: as counted in the dump's own snapshot
    assert _events_checked(verified.stdout) == manifest["audit_events"] == 3
    assert manifest["audit_checkpoints"] >= 1  # one per chain, the empty ones too
    assert "none missing since the checkpoint" in verified.stdout

    again = _run(restore, env, check=False)
    assert again.returncode == 1
    assert "is not empty" in again.stderr

    _rewrite_one_history_row(restored)
    tampered = _escalate(copy, "audit", "verify", check=False)
    assert tampered.returncode == 1
    assert "chain broken at event" in tampered.stderr

    for stored in (tmp_path / "media").rglob("*"):
        if stored.is_file():
            stored.unlink()  # the attachment's file is lost; its row remains
    incomplete = _run(back_up, env, check=False)
    assert incomplete.returncode == 1
    assert "1 attached file(s) the database names are not in" in incomplete.stderr


def test_a_damaged_backup_is_refused_before_anything_is_restored(tmp_path: Path) -> None:
    folder = tmp_path / "escalate-20270104T020000Z"
    folder.mkdir()
    (folder / "database.dump").write_bytes(b"PGDMP as it was")
    manifest = {
        "files": [
            {
                "name": "database.dump",
                "bytes": 15,
                "sha256": hashlib.sha256(b"PGDMP as it was").hexdigest(),
            }
        ]
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "database.dump").write_bytes(b"PGDMP bit-rot!!")  # same size, other bytes
    media = tmp_path / "restored-media"

    restore = [sys.executable, "scripts/restore.py", str(folder), "--media-root", str(media)]
    restore += ["--database-url", "postgres://nobody@127.0.0.1:1/never"]  # never reached

    done = _run(restore, dict(os.environ), check=False)

    assert done.returncode == 1
    assert done.stderr == (
        f"restore: {folder / 'database.dump'} is not the file the manifest describes (damaged?).\n"
    )
    assert not media.exists()


def _rewrite_one_history_row(url: str) -> None:
    """As a superuser could: lift the append-only trigger, change a row, put it back."""
    import psycopg

    with psycopg.connect(url) as copy:
        copy.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_change")
        copy.execute(
            'UPDATE audit_auditevent SET data = data || \'{"reason": "Agreed (rewritten)."}\' '
            "WHERE id = (SELECT MAX(id) FROM audit_auditevent WHERE event = "
            "'escalation.stage_escalated')"
        )
        copy.execute(
            "ALTER TABLE audit_auditevent ENABLE ALWAYS TRIGGER audit_auditevent_no_change"
        )
