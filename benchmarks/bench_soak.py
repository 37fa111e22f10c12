"""Soak run: the production stack under a steady, realistic mix of traffic for ten minutes.

Creates a scratch PostgreSQL database, seeds it (``seed_bulk``, 20,000 escalations by
default), serves it with gunicorn as production does (``config/gunicorn.conf.py``,
WEB_CONCURRENCY=2, ``config.settings.production`` behind a proxy's ``X-Forwarded-Proto``)
and runs two ``escalate notifications_worker`` processes. Then it sends ``--rate`` requests a
second, open loop (a request starts on schedule however long the last one took), for
``ESCALATE_SOAK_SECONDS`` (600): signed-in pages, API reads, raises and stage moves. It
reports, per kind and overall, requests, errors, p50 and p95; the resident memory of every
process at the start and the end; and the outbox's backlog once the traffic stops. The
database is dropped at the end (``--keep`` keeps it). See README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import bench_web

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER = "postgres://postgres@127.0.0.1:5432"
PORT = 8431
HOST = "127.0.0.1"
PASSWORD = "demo-password-not-for-real-use"  # noqa: S105 - seed_bulk's invented people's

MIX: dict[str, int] = {
    "home (practitioner)": 3,
    "my escalations (practitioner)": 3,
    "case page (practitioner)": 3,
    "register (business manager)": 2,
    "board (business manager)": 1,
    "API list": 2,
    "API detail": 3,
    "API raise": 2,
    "API stage move": 1,
}
"""Requests of each kind in every 20: mostly reading, as a working day is."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--seconds", type=int, default=int(os.environ.get("ESCALATE_SOAK_SECONDS") or "600")
    )
    parser.add_argument("--rate", type=float, default=5.0, help="requests a second")
    parser.add_argument("--size", type=int, default=20_000, help="escalations seeded")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--no-results", action="store_true", help="print only, write no file")
    args = parser.parse_args()
    database = f"escalate_soak_{uuid.uuid4().hex[:8]}"
    url = f"{os.environ.get('BENCH_SOAK_SERVER', SERVER)}/{database}"
    scratch = Path(tempfile.mkdtemp(prefix="escalate-soak-"))
    env = _env(url, scratch)
    os.environ.update(env)
    _create(url)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        seeding = _prepare(env, args.size)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        cast = _cast()
        web = _serve(env, scratch, processes)
        workers = [_worker(env, scratch, n, processes) for n in (1, 2)]
        clients = _sign_in_everyone(cast)
        memory = Memory(lambda: _memory(web, workers), warm_after=min(60.0, args.seconds / 4))
        access_log = scratch / "gunicorn.log"
        log_from = access_log.stat().st_size
        print(f"Soaking for {args.seconds} s at {args.rate:g} requests a second...", flush=True)
        memory.start()
        run = _soak(cast, clients, seconds=args.seconds, rate=args.rate)
        memory.stop()
        run.server_ms = _server_times(access_log, log_from)
        backlog = _backlog_after(seconds=60)
        text = _report(args, seeding, run, memory, backlog)
        print(text)
        if not args.no_results:
            out = bench_web._results_file("soak")
            out.write_text(text)
            print(f"Written to {out.relative_to(ROOT)}")
        return 1 if run.errors() else 0
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            _drop(url)
        shutil.rmtree(scratch, ignore_errors=True)


# --- the stack ---------------------------------------------------------------------------------


def _env(url: str, scratch: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
        "ESCALATE_CACHE_URL": os.environ.get("BENCH_SOAK_CACHE", "redis://127.0.0.1:6379/15"),
        "ESCALATE_SITE_URL": "https://escalate.invalid",
        "ESCALATE_AUDIT_KEYS": secrets.token_hex(32),
        # Collected once and kept (compressing takes a minute and a half on two cores).
        "ESCALATE_STATIC_ROOT": str(ROOT / "build" / "soak-staticfiles"),
        "ESCALATE_SOAK_MAIL_DIR": str(scratch / "mail"),
        "ESCALATE_BIND": f"{HOST}:{PORT}",
        "WEB_CONCURRENCY": "2",
        "ESCALATE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def _create(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own command
        [str(BIN / "escalate"), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _prepare(env: dict[str, str], size: int) -> str:
    (Path(env["ESCALATE_SOAK_MAIL_DIR"])).mkdir(parents=True)
    started = time.perf_counter()
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "load_policies", "-v", "0")
    seeded = _manage(env, "seed_bulk", str(size), "--batch-size", "20000")
    _manage(env, "count_board_figures")
    _manage(
        env,
        "shell",
        "-c",
        "from django.db import connection; connection.cursor().execute('VACUUM (ANALYZE)')",
    )
    if not (Path(env["ESCALATE_STATIC_ROOT"]) / "staticfiles.json").exists():
        _manage(env, "collectstatic", "--no-input", "-v", "0")
    return (
        f"{size:,} escalations seeded ({seeded}); ready in {time.perf_counter() - started:,.0f} s"
    )


def _serve(env: dict[str, str], scratch: Path, started: list[Any]) -> subprocess.Popen[bytes]:
    log = (scratch / "gunicorn.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, as production runs it
        [
            str(BIN / "gunicorn"),
            "-c",
            "config/gunicorn.conf.py",
            # Production writes no access log of gunicorn's own (decision 27); the soak asks
            # for one, for each request's time inside gunicorn.
            "--access-logfile",
            "-",
            "--access-logformat",
            ACCESS_FORMAT,
            "config.wsgi",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started.append(server)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _request("GET", "/sign-in/", {})
            return server
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer; see {scratch / 'gunicorn.log'}")


def _worker(env: dict[str, str], scratch: Path, n: int, started: list[Any]) -> Any:
    log = (scratch / f"worker-{n}.log").open("wb")
    worker = subprocess.Popen(  # noqa: S603 - our own command
        [str(BIN / "escalate"), "notifications_worker"],
        cwd=ROOT,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "benchmarks.soak_settings"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started.append(worker)
    return worker


# --- who takes part ----------------------------------------------------------------------------


@dataclass
class Practitioner:
    email: str
    token: str
    cases: list[str]
    other_agency: int
    counterpart: int


@dataclass
class Cast:
    practitioners: list[Practitioner]
    manager_email: str
    manager_totp_key: str


def _cast() -> Cast:
    """Four NEL practitioners with a write token each, and a business manager with an app."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from escalate.api.models import ApiToken
    from escalate.api.tokens import issue_token
    from escalate.escalations.access import escalations_visible_to
    from escalate.escalations.models import Escalation
    from escalate.organisations.models import PartnershipRoleAssignment, Person
    from escalate.policies.models import Partnership

    nel = Partnership.objects.get(slug="nel")
    bulk = Person.objects.filter(email__endswith="@nel.bulk.example.org", is_active=True)
    practitioners = []
    for person in bulk.filter(ladder_role="practitioner").order_by("pk"):
        # Practitioners with open cases of their own to read, as the working ones have.
        visible = escalations_visible_to(person).filter(status=Escalation.Status.OPEN)
        cases = [str(pk) for pk in visible.values_list("pk", flat=True)[:50]]
        if not cases:
            continue
        other = bulk.filter(ladder_role="practitioner").exclude(agency=person.agency).first()
        assert other is not None and other.agency_id is not None
        issued = issue_token(
            person=person,
            actor=person,
            name="soak",
            scope=ApiToken.Scope.WRITE,
            lifetime=timedelta(days=1),
        )
        practitioners.append(
            Practitioner(person.email, issued.secret, cases, other.agency_id, other.pk)
        )
        if len(practitioners) == 4:
            break
    email = "business-manager.soak@nel.bulk.example.org"
    user = get_user_model().objects.create(
        username=email, email=email, password=make_password(PASSWORD)
    )
    manager = Person.objects.create(user=user, email=email, name="Soak Business Manager")
    PartnershipRoleAssignment.objects.create(
        person=manager, partnership=nel, role="business_manager"
    )
    device = TOTPDevice.objects.create(user=user, name="soak", confirmed=True)
    assert len(practitioners) == 4, "Too few seeded practitioners with open escalations."
    return Cast(practitioners, email, device.key)


# --- HTTP, as a proxy in front of gunicorn would send it ------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def _request(method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> Answer:
    connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
    try:
        # The proxy terminated TLS: production trusts X-Forwarded-Proto from loopback.
        connection.request(
            method, path, body=body, headers={"Host": HOST, "X-Forwarded-Proto": "https", **headers}
        )
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


class Browser:
    """One signed-in person's cookies. Production's cookies are Secure, which an http:// client
    would not send back, so they are kept here and sent as a header (TLS ends at the proxy)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.lock = threading.Lock()

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form).encode()
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://{HOST}{path}",
            }
        answer = _request(method, path, headers, body)
        with self.lock:
            for header in answer.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
        return answer


def _sign_in(email: str, *, totp_key: str | None = None) -> Browser:
    browser = Browser()
    browser.send("GET", "/sign-in/")
    answer = browser.send("POST", "/sign-in/", {"username": email, "password": PASSWORD})
    if answer.status != 302 or "sessionid" not in browser.cookies:
        raise RuntimeError(f"Signing in as {email} answered {answer.status}.")
    if totp_key is not None:
        from django_otp.oath import totp

        browser.send("GET", "/sign-in/second-factor/")
        code = f"{totp(bytes.fromhex(totp_key)):06d}"
        answer = browser.send("POST", "/sign-in/second-factor/", {"code": code})
        if answer.status != 302:
            raise RuntimeError(f"The second factor for {email} answered {answer.status}.")
    return browser


@dataclass
class Clients:
    practitioners: list[Browser]
    manager: Browser


def _sign_in_everyone(cast: Cast) -> Clients:
    return Clients(
        [_sign_in(p.email) for p in cast.practitioners],
        _sign_in(cast.manager_email, totp_key=cast.manager_totp_key),
    )


# --- the traffic ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str
    status: int
    milliseconds: float
    late_ms: float


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    server_ms: list[float] = field(default_factory=list)
    """Each request's time inside gunicorn (its access log), without the wait for a worker."""
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def errors(self) -> int:
        return sum(1 for o in self.outcomes if _is_error(o))


def _is_error(outcome: Outcome) -> bool:
    return outcome.status == 0 or outcome.status >= 400


class Traffic:
    """What each kind of request does; raises feed the stage moves their escalations."""

    def __init__(self, cast: Cast, clients: Clients) -> None:
        self.cast = cast
        self.clients = clients
        self.rng = random.Random(15)
        self.lock = threading.Lock()
        self.raised: list[tuple[int, str, str]] = []  # (practitioner, id, ETag) at stage 1

    def pick(self, items: list[Any]) -> Any:
        with self.lock:
            return self.rng.choice(items)

    def practitioner(self) -> int:
        return int(self.pick(list(range(len(self.cast.practitioners)))))

    def api(self, who: int, method: str, path: str, body: Any = None, **headers: str) -> Answer:
        token = self.cast.practitioners[who].token
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {token}", **headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return _request(method, path, headers, data)

    def run(self, kind: str) -> int:
        who = self.practitioner()
        page = self.clients.practitioners[who]
        if kind == "home (practitioner)":
            return page.send("GET", "/").status
        if kind == "my escalations (practitioner)":
            return page.send("GET", "/escalations/").status
        if kind == "case page (practitioner)":
            case = self.pick(self.cast.practitioners[who].cases)
            return page.send("GET", f"/escalations/{case}/").status
        if kind == "register (business manager)":
            return self.clients.manager.send("GET", "/register/").status
        if kind == "board (business manager)":
            return self.clients.manager.send("GET", "/board/").status
        if kind == "API list":
            return self.api(who, "GET", "/api/v1/escalations/?status=open").status
        if kind == "API detail":
            case = self.pick(self.cast.practitioners[who].cases)
            return self.api(who, "GET", f"/api/v1/escalations/{case}/").status
        if kind == "API raise":
            return self.raise_one(who)
        return self.move_one()

    def raise_one(self, who: int) -> int:
        person = self.cast.practitioners[who]
        body = {
            "subject": {"kind": "child", "name": "Robin Invented", "case_reference": "SOAK-1"},
            "other_agency": str(person.other_agency),
            "counterpart": str(person.counterpart),
            "category": "threshold",
            "decision_disputed": "The referral was judged below threshold (invented).",
            "evidence": "Attendance records (invented).",
            "desired_outcome": "An assessment.",
        }
        answer = self.api(
            who, "POST", "/api/v1/escalations/", body, **{"Idempotency-Key": str(uuid.uuid4())}
        )
        if answer.status == 201:
            raised = json.loads(answer.body)["id"]
            with self.lock:
                self.raised.append((who, raised, str(answer.headers["ETag"])))
        return answer.status

    def move_one(self) -> int:
        with self.lock:
            waiting = self.raised.pop(0) if self.raised else None
        if waiting is None:  # nothing raised yet to move: raise one instead, counted as a move
            return self.raise_one(self.practitioner())
        who, escalation, etag = waiting
        return self.api(
            who,
            "POST",
            f"/api/v1/escalations/{escalation}/escalate/",
            {"reason": "Not agreed at stage 1 (invented)."},
            **{"If-Match": etag, "Idempotency-Key": str(uuid.uuid4())},
        ).status


def _schedule(rate: float, seconds: int) -> list[tuple[float, str]]:
    """When each request is due and its kind: the mix, shuffled in each block of 20."""
    rng = random.Random(5)
    block = [kind for kind, times in MIX.items() for _ in range(times)]
    kinds: list[str] = []
    total = int(rate * seconds)
    while len(kinds) < total:
        rng.shuffle(block)
        kinds += block
    return [(n / rate, kind) for n, kind in enumerate(kinds[:total])]


def _soak(cast: Cast, clients: Clients, *, seconds: int, rate: float) -> Run:
    traffic = Traffic(cast, clients)
    run = Run()
    jobs: queue.Queue[tuple[float, str] | None] = queue.Queue()
    lock = threading.Lock()
    begun = time.perf_counter()

    def work() -> None:
        while (job := jobs.get()) is not None:
            due, kind = job
            started = time.perf_counter()
            try:
                status = traffic.run(kind)
            except Exception as error:  # a refused connection, a timeout, a bad answer
                status = 0
                with lock:
                    run.failures[f"{kind}: {type(error).__name__}"] += 1
            finished = time.perf_counter()
            outcome = Outcome(
                kind, status, (finished - started) * 1000, (started - begun - due) * 1000
            )
            with lock:
                run.outcomes.append(outcome)
                if status >= 400:
                    run.failures[f"{kind}: HTTP {status}"] += 1

    threads = [threading.Thread(target=work, daemon=True) for _ in range(32)]
    for thread in threads:
        thread.start()
    for due, kind in _schedule(rate, seconds):
        delay = begun + due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((due, kind))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - begun
    return run


ACCESS_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
"""The soak's own access line: address, "method path", status, bytes, milliseconds."""
ACCESS_LINE = re.compile(r'^\S+ "\w+ [^"]*" \d{3} \S+ (\d+)ms', re.M)


def _server_times(log: Path, offset: int) -> list[float]:
    with log.open("rb") as file:
        file.seek(offset)
        text = file.read().decode(errors="replace")
    return [float(ms) for ms in ACCESS_LINE.findall(text)]


# --- memory and the outbox -----------------------------------------------------------------------


def _rss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else 0


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{pid}$", text, re.M):
            found.append(int(status.parent.name))
    return sorted(found)


def _memory(web: subprocess.Popen[bytes], workers: list[Any]) -> dict[str, tuple[int, int]]:
    """Process name -> (pid, resident kB)."""
    rows = {"gunicorn master": (web.pid, _rss_kb(web.pid))}
    for n, pid in enumerate(_children(web.pid), start=1):
        rows[f"gunicorn worker {n}"] = (pid, _rss_kb(pid))
    for n, worker in enumerate(workers, start=1):
        rows[f"notifications worker {n}"] = (worker.pid, _rss_kb(worker.pid))
    return rows


class Memory:
    """Resident memory of each process: before the traffic, once warm (the first minute loads
    templates and fills caches), at the end, and the most seen in between (every 5 s)."""

    def __init__(self, sample: Any, *, warm_after: float) -> None:
        self.sample = sample
        self.warm_after = warm_after
        self.at_start: dict[str, tuple[int, int]] = {}
        self.warm: dict[str, tuple[int, int]] = {}
        self.at_end: dict[str, tuple[int, int]] = {}
        self.peak: dict[str, int] = defaultdict(int)
        self.pids: dict[str, set[int]] = defaultdict(set)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self.at_start = self._take()
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.at_end = self._take()

    def _take(self) -> dict[str, tuple[int, int]]:
        rows: dict[str, tuple[int, int]] = self.sample()
        for name, (pid, kb) in rows.items():
            self.peak[name] = max(self.peak[name], kb)
            self.pids[name].add(pid)
        return rows

    def _watch(self) -> None:
        begun = time.perf_counter()
        while not self.stopping.wait(5):
            rows = self._take()
            if not self.warm and time.perf_counter() - begun >= self.warm_after:
                self.warm = rows


@dataclass
class Backlog:
    at_stop: dict[str, int]
    after: dict[str, int]
    waited: float


def _outbox() -> dict[str, int]:
    from django.db import close_old_connections

    from escalate.notifications.models import Notification

    close_old_connections()
    rows = Notification.objects.all()
    return {
        "notifications": rows.count(),
        "sent": rows.filter(status=Notification.Status.SENT).count(),
        "pending": rows.filter(status=Notification.Status.PENDING, awaits_digest=False).count(),
        "failed": rows.filter(status=Notification.Status.FAILED).count(),
    }


def _backlog_after(*, seconds: int) -> Backlog:
    """The outbox when the traffic stops, and once drained (or after ``seconds``)."""
    at_stop = _outbox()
    started = time.perf_counter()
    after = at_stop
    while after["pending"] and time.perf_counter() - started < seconds:
        time.sleep(1)
        after = _outbox()
    return Backlog(at_stop, after, time.perf_counter() - started)


# --- the report ----------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)] if ordered else 0.0


def _line(kind: str, outcomes: list[Outcome]) -> str:
    times = [o.milliseconds for o in outcomes]
    errors = sum(1 for o in outcomes if _is_error(o))
    share = errors / len(outcomes) * 100 if outcomes else 0.0
    return (
        f"| {kind} | {len(outcomes):,} | {errors:,} ({share:.2f} %) | "
        f"{statistics.median(times) if times else 0:,.1f} | {_percentile(times, 0.95):,.1f} |"
    )


def _report(
    args: argparse.Namespace, seeding: str, run: Run, memory: Memory, backlog: Backlog
) -> str:
    lates = [o.late_ms for o in run.outcomes]
    lines = [
        f"# bench-soak, {datetime.now(UTC).date().isoformat()}",
        "",
        f"- {seeding}",
        f"- {len(run.outcomes):,} requests in {run.seconds:,.0f} s "
        f"({len(run.outcomes) / run.seconds:,.1f} a second; asked {args.rate:g}, open loop, "
        f"32 client threads); started more than 100 ms after their time: "
        f"{sum(1 for late in lates if late > 100):,} (p95 {_percentile(lates, 0.95):,.0f} ms)",
        "- gunicorn (config/gunicorn.conf.py, WEB_CONCURRENCY=2, sync workers, max_requests 2000 "
        "with jitter 100), config.settings.production; two notifications workers; Redis cache; "
        "PostgreSQL 15; all on one 2-core machine shared with other work",
        "",
        "| kind | requests | errors | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in run.outcomes:
        by_kind[outcome.kind].append(outcome)
    lines += [_line(kind, by_kind[kind]) for kind in MIX]
    lines.append(_line("**all**", run.outcomes))
    if run.server_ms:
        lines += [
            "",
            f"Inside gunicorn (its access log, {len(run.server_ms):,} requests; without the wait "
            f"for a free worker): p50 {statistics.median(run.server_ms):,.0f} ms, "
            f"p95 {_percentile(run.server_ms, 0.95):,.0f} ms.",
        ]
    if run.failures:
        lines += ["", "Errors: " + ", ".join(f"{k} x{v}" for k, v in sorted(run.failures.items()))]
    warm_label = f"after {memory.warm_after:,.0f} s"
    lines += [
        "",
        f"| process | RSS MB at start | {warm_label} | at end | most seen | pids |",
        "|---|---|---|---|---|---|",
    ]
    for name in sorted(memory.peak, key=_process_order):
        cells = [
            f"{samples[name][1] / 1024:,.1f}" if name in samples else ""
            for samples in (memory.at_start, memory.warm, memory.at_end)
        ]
        pids = ", ".join(str(pid) for pid in sorted(memory.pids[name]))
        lines.append(f"| {name} | {' | '.join(cells)} | {memory.peak[name] / 1024:,.1f} | {pids} |")
    lines += [
        "",
        "A gunicorn worker is replaced after 2,000 requests (and up to 100 more): the pids "
        "column lists every process seen in that place.",
        f"Outbox when the traffic stopped: {backlog.at_stop}; "
        f"{backlog.waited:,.0f} s later: {backlog.after}.",
    ]
    return "\n".join(lines) + "\n"


def _process_order(name: str) -> tuple[int, str]:
    return (0 if name == "gunicorn master" else 1 if "gunicorn" in name else 2, name)


if __name__ == "__main__":
    sys.exit(main())
