"""``make serve``: the production stack on this machine, over PostgreSQL (decision 28).

Run by ``make serve`` after ``make setup``. It checks PostgreSQL answers (and creates the
database), picks the shared cache, keeps a random secret key and audit key in
``var/serve/secrets.env`` (git-ignored, so sessions and the history's signatures survive a
restart), migrates, loads the procedures, seeds the demo people into an empty database,
collects the static files when their sources changed, then hands over to honcho, which runs
the Procfile: gunicorn's web processes and the notification workers.

Environment (the Makefile sets the defaults; override any of them on make's command line):

    DATABASE_URL            postgres://postgres@127.0.0.1:5432/escalate_serve
    ESCALATE_CACHE_URL      redis://127.0.0.1:6379/13; with ESCALATE_CACHE_FALLBACK=database,
                            a Redis that does not answer is replaced by the database's cache
    ESCALATE_SITE_URL       http://127.0.0.1:8000
    ESCALATE_BIND           127.0.0.1:8000 (loopback only: these settings refuse other hosts)
    ESCALATE_STATIC_ROOT    build/staticfiles
    SERVE_WORKERS           notification workers (2)
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRETS = ROOT / "var" / "serve" / "secrets.env"
MAIL = ROOT / "var" / "serve" / "mail"
STAMP_NAME = ".escalate-sources"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
DEMO_PASSWORD = "demo-password-not-for-real-use"  # noqa: S105 - the demo's, printed on purpose


class Refused(Exception):
    """Something this machine lacks: the message says what to do, printed as it is."""


def main() -> int:
    try:
        env = _environment()
        _ensure_database(env["DATABASE_URL"])
        env["ESCALATE_CACHE_URL"] = _cache_url(env)
        _prepare(env)
    except Refused as refusal:
        print(f"make serve: {refusal}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as failure:
        print(
            f"make serve: {' '.join(failure.cmd)} failed (exit {failure.returncode}).",
            file=sys.stderr,
        )
        return 1
    _announce(env)
    workers = env.get("SERVE_WORKERS") or "2"
    honcho = [str(BIN / "honcho"), "-f", str(ROOT / "Procfile"), "start", "-c", f"worker={workers}"]
    os.chdir(ROOT)
    os.execve(honcho[0], honcho, env)  # noqa: S606 - our own venv's honcho, no shell


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    for name, value in _secrets().items():
        env.setdefault(name, value)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/escalate_serve")
    env.setdefault("ESCALATE_CACHE_URL", "redis://127.0.0.1:6379/13")
    env.setdefault("ESCALATE_BIND", "127.0.0.1:8000")
    env.setdefault("ESCALATE_SITE_URL", f"http://{env['ESCALATE_BIND']}")
    env.setdefault("ESCALATE_STATIC_ROOT", str(ROOT / "build" / "staticfiles"))
    host = env["ESCALATE_BIND"].rsplit(":", 1)[0]
    if host not in LOOPBACK:
        raise Refused(
            f"ESCALATE_BIND={env['ESCALATE_BIND']} is not a loopback address: make serve "
            "speaks plain http, so it listens on this machine only (127.0.0.1:PORT). "
            "docs/deployment.md sets up a real deployment behind TLS."
        )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.serve"
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost,[::1]"
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _secrets() -> dict[str, str]:
    """The secret key and audit key, made once and kept, so a restart keeps sessions valid
    and the history's signatures verifiable."""
    if not SECRETS.exists():
        SECRETS.parent.mkdir(parents=True, exist_ok=True)
        SECRETS.touch(mode=0o600)
        SECRETS.write_text(
            "# make serve's own secrets, made on first run (never a real deployment's).\n"
            f"DJANGO_SECRET_KEY={secrets.token_urlsafe(60)}\n"
            f"ESCALATE_AUDIT_KEYS={secrets.token_hex(32)}\n"
        )
    pairs = (
        line.split("=", 1)
        for line in SECRETS.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return {name.strip(): value.strip() for name, value in pairs}


def _ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise Refused(f"DATABASE_URL must be postgres://..., not {parts.scheme}://...")
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as admin:
            found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if found.fetchone() is None:
                admin.execute(f'CREATE DATABASE "{name}"')
                print(f"Created the database {name}.", flush=True)
    except psycopg.OperationalError as error:
        raise Refused(
            f"PostgreSQL is not answering at {_without_password(url)}: {_first_line(error)}\n"
            "Start PostgreSQL 15 or newer (Debian: apt-get install postgresql), or point "
            "make serve at yours: make serve DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/NAME"
        ) from None


def _cache_url(env: dict[str, str]) -> str:
    url = env["ESCALATE_CACHE_URL"]
    if not url.startswith(("redis://", "rediss://")) or _redis_answers(url):
        return url
    if env.get("ESCALATE_CACHE_FALLBACK") == "database":
        print(
            f"Redis is not answering at {url}: the cache is a table in the database instead.",
            flush=True,
        )
        return "database"
    raise Refused(
        f"Redis is not answering at {url}. Start it (Debian: apt-get install redis-server) "
        "or keep the cache in the database: make serve ESCALATE_CACHE_URL=database"
    )


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _prepare(env: dict[str, str]) -> None:
    _escalate(env, "migrate", "--no-input", "-v", "0")
    if env["ESCALATE_CACHE_URL"] == "database":
        _escalate(env, "createcachetable")
    _escalate(env, "load_policies")
    if not _has_people(env["DATABASE_URL"]):
        _escalate(env, "seed_demo")
    MAIL.mkdir(parents=True, exist_ok=True)
    _collect_static(env)


def _escalate(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "escalate"), *args], env=env, cwd=ROOT, check=True)  # noqa: S603


def _has_people(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute(
            "SELECT EXISTS (SELECT 1 FROM organisations_person)"
        ).fetchone() == (True,)


def _collect_static(env: dict[str, str]) -> None:
    """Compressed collectstatic takes a minute or more: run it only when a source changed."""
    root = Path(env["ESCALATE_STATIC_ROOT"])
    stamp = root / STAMP_NAME
    wanted = _sources_digest()
    if stamp.exists() and stamp.read_text() == wanted and (root / "staticfiles.json").exists():
        print(f"Static files in {root} are up to date.", flush=True)
        return
    print(f"Collecting and compressing the static files into {root} (a minute or two)", flush=True)
    # --clear: no stale hashed copies of files that have since changed.
    started = time.monotonic()
    _escalate(env, "collectstatic", "--no-input", "--clear", "-v", "0")
    stamp.write_text(wanted)
    print(f"Static files collected in {time.monotonic() - started:.0f} s.", flush=True)


def _sources_digest() -> str:
    """Names, sizes and modification times of every static source (GOV.UK Frontend's built
    files, every static folder in escalate/), and the pinned packages, whose own static
    files (the admin's, the API browser's) come with them."""
    digest = hashlib.sha256((ROOT / "requirements.lock").read_bytes())
    frontend = _files(ROOT / "build" / "frontend")
    ours = (path for path in _files(ROOT / "escalate") if "static" in path.parts)
    for path in (*frontend, *ours):
        stat = path.stat()
        digest.update(f"{path.relative_to(ROOT)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _announce(env: dict[str, str]) -> None:
    workers = env.get("SERVE_WORKERS") or "2"
    web = env.get("WEB_CONCURRENCY") or str((os.cpu_count() or 1) * 2 + 1)
    print(
        "\n".join(
            [
                "",
                f"Escalate (production settings, plain http) on {env['ESCALATE_SITE_URL']}/",
                f"  web:      gunicorn on {env['ESCALATE_BIND']}, {web} worker processes",
                f"  workers:  {workers} notification workers (escalate notifications_worker)",
                f"  database: {_without_password(env['DATABASE_URL'])}",
                f"  cache:    {env['ESCALATE_CACHE_URL']}",
                f"  static:   {env['ESCALATE_STATIC_ROOT']} (served by WhiteNoise)",
                f"  mail:     written to {MAIL.relative_to(ROOT)}/, one file per message",
                f"  secrets:  {SECRETS.relative_to(ROOT)} (delete it to make new ones)",
                f"Sign in at {env['ESCALATE_SITE_URL']}/sign-in/ as "
                f"practitioner.education@nel.example.org, password {DEMO_PASSWORD}.",
                "Managers and above are asked to set up a one-time code (any authenticator app),",
                "as in production. Stop everything with Ctrl+C.",
                "",
            ]
        ),
        flush=True,
    )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


if __name__ == "__main__":
    sys.exit(main())
