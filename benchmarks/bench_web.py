"""``make bench-web``: Escalate's pages under load at 100k and 1M escalations, side by side.

Resets a PostgreSQL database (``BENCH_DATABASE_URL``), migrates, loads the policies, seeds
with ``seed_bulk``, serves with gunicorn (2 sync workers, production settings on loopback
HTTP) and drives each page with ``wrk`` at concurrency 1 and 16. Queries per request are
counted in-process (Django's test client against the same database). See README.md.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/escalate_bench"
APP_PORT, BARE_PORT = 8411, 8412
FLOOR = "floor (raise, first question)"
"""The signed-in floor: the first page of raising an escalation, the same for everyone and
reading no escalations, so it costs what the request path and the page chrome cost."""
LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    "JSON {\\"rps\\": %f, \\"p50\\": %f, \\"p95\\": %f, \\"requests\\": %d, \\"errors\\": %d, "
    .. "\\"non2xx\\": %d}\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, summary.requests, errors, summary.errors.status))
end
"""


@dataclass
class Figure:
    page: str
    concurrency: int
    rps: float
    p50: float
    p95: float
    queries: int | None
    note: str = ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--duration", type=int, default=4, help="Seconds per wrk run.")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Rounds over every page; each figure is the median over the rounds.",
    )
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="Measure the database as it is (no reset, no seeding): for profiling a change.",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench-web needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 1
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    env = _env(url)
    os.environ.update(env)
    if args.measure_only:
        return _measure_as_is(env, args.duration, args.rounds)
    _reset(url)
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "load_policies")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    results: dict[int, list[Figure]] = {}
    results_file = _results_file()
    seeded = 0
    seeding: dict[int, str] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        out = _manage(env, "seed_bulk", str(size - seeded), "--batch-size", "20000")
        seeding[size] = f"{size - seeded:,} in {time.perf_counter() - started:,.0f} s ({out})"
        # As a worker would after the load: every seeded month tallied for the board.
        seeding[size] += f"; board tallies: {_manage(env, 'count_board_figures')}"
        print(seeding[size], flush=True)
        seeded = size
        _manage(
            env,
            "shell",
            "-c",
            # As autovacuum leaves a table in service: statistics, and a visibility map
            # (without one, an index-only scan of freshly copied rows reads the heap too).
            "from django.db import connection; connection.cursor().execute('VACUUM (ANALYZE)')",
        )
        results[size] = _measure(env, args.duration, args.rounds)
        _report(results, seeding, out=results_file)
    return 0


def _measure_as_is(env: dict[str, str], duration: int, rounds: int) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from escalate.escalations.models import Escalation

    size = Escalation.objects.count()
    _report({size: _measure(env, duration, rounds)}, {size: "as found (--measure-only)"})
    return 0


def _env(url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "benchmarks.web.settings_app",
        "PYTHONPATH": str(ROOT),
    }


def _reset(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


# --- who signs in, and what they load ----------------------------------------------------------


@dataclass
class Cast:
    manager: Any
    practitioner: Any
    lead: Any
    token: str
    detail_pk: str
    agency_pk: int


def _cast() -> Cast:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from escalate.api.models import ApiToken
    from escalate.api.tokens import issue_token
    from escalate.escalations.access import escalations_visible_to
    from escalate.escalations.bulk_seed import BULK_PASSWORD
    from escalate.organisations.models import PartnershipRoleAssignment, Person
    from escalate.policies.models import Partnership

    nel = Partnership.objects.get(slug="nel")
    email = "business-manager.bench@nel.bulk.example.org"
    manager = Person.objects.filter(email=email).first()
    if manager is None:
        user = get_user_model().objects.create(
            username=email, email=email, password=make_password(BULK_PASSWORD)
        )
        manager = Person.objects.create(user=user, email=email, name="Bench Business Manager")
        PartnershipRoleAssignment.objects.create(
            person=manager, partnership=nel, role="business_manager"
        )
    bulk = Person.objects.filter(email__endswith="@nel.bulk.example.org")
    practitioner = bulk.filter(ladder_role="practitioner").order_by("pk").first()
    lead = bulk.filter(ladder_role="safeguarding_lead").order_by("pk").first()
    assert practitioner is not None and lead is not None and lead.agency_id is not None
    with transaction.atomic():
        issued = issue_token(
            person=lead,
            actor=lead,
            name=f"bench {uuid.uuid4().hex[:6]}",
            scope=ApiToken.Scope.WRITE,
            lifetime=__import__("datetime").timedelta(days=1),
        )
    detail = escalations_visible_to(practitioner).order_by("-raised_on").first()
    assert detail is not None
    return Cast(manager, practitioner, lead, issued.secret, str(detail.pk), lead.agency_id)


def _pages(cast: Cast) -> list[tuple[str, str, str]]:
    """(name, who, path): who is manager, practitioner, lead or token."""
    return [
        (FLOOR, "practitioner", "/escalations/new/"),
        ("register, first page", "manager", "/register/"),
        ("register, stage 2 + agency", "manager", f"/register/?stage=2&agency={cast.agency_pk}"),
        ("my escalations (practitioner)", "practitioner", "/escalations/"),
        ("my escalations (safeguarding lead)", "lead", "/escalations/"),
        ("API list (lead's token)", "token", "/api/v1/escalations/"),
        ("API detail (lead's token)", "token", f"/api/v1/escalations/{cast.detail_pk}/"),
        ("escalation page (practitioner)", "practitioner", f"/escalations/{cast.detail_pk}/"),
        # A partnership of 200,000 at 1M: its last twelve months, every one of its cases
        # (the seeded history is three years), then one agency's twelve months.
        ("board dashboard, 12 months", "manager", "/board/"),
        ("board dashboard, 3 years", "manager", f"/board/?{_three_years()}"),
        ("board dashboard, one agency", "manager", f"/board/?agency={cast.agency_pk}"),
        # The register's rows behind two of its figures: a common value and a rare one.
        ("register behind a figure, raised by", "manager", _behind(f"raised_by:{cast.agency_pk}")),
        ("register behind a figure, resolved at 4", "manager", _behind("resolved_at:4")),
    ]


def _behind(figure: str) -> str:
    """The dashboard's link to the register's rows behind ``figure``, for its 12 months."""
    from django.utils import timezone

    from escalate.domain.figures import Month, Period

    period = Period.year_to(Month.of(timezone.localdate()))
    return (
        f"/register/?status=all&raised_from={period.start}&raised_to={period.end}&figure={figure}"
    )


def _three_years() -> str:
    """The dashboard's query for the 36 months to this one: the whole seeded history."""
    from django.utils import timezone

    from escalate.domain.figures import Month

    last = first = Month.of(timezone.localdate())
    for _ in range(35):
        first = first.previous()
    return f"from_month={first.year}-{first.month:02d}&to_month={last.year}-{last.month:02d}"


def _sign_in(port: int, email: str, *, bare: bool = False) -> str:
    from escalate.escalations.bulk_seed import BULK_PASSWORD

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    path = "/login/" if bare else "/sign-in/"
    page = opener.open(f"http://127.0.0.1:{port}{path}").read().decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    token = found.group(1) if found else next(c.value for c in jar if c.name == "csrftoken")
    body = urllib.parse.urlencode(
        {"username": email, "password": BULK_PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body))
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"Signing in as {email} on port {port} did not give a session.")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _wrk(url: str, headers: list[str], concurrency: int, duration: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    command = [
        "wrk",
        f"-t{min(concurrency, 2)}",
        f"-c{concurrency}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        script.name,
    ]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run(  # noqa: S603 - wrk, found on PATH
        [*command, url], check=True, capture_output=True, text=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("JSON "))
    return json.loads(line.removeprefix("JSON "))  # type: ignore[no-any-return]


def _queries(cast: Cast, who: str, path: str, method: str = "get", **extra: Any) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    if who == "token":
        extra["HTTP_AUTHORIZATION"] = f"Bearer {cast.token}"
    else:
        client.force_login(getattr(cast, who).user)
    if method == "get":  # warm: caches a process keeps (a POST would change things twice)
        client.get(path, **extra)
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, **extra)
    assert response.status_code < 400, (path, response.status_code)
    return len(captured)


def _serve(module: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
            module,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    _wait_for_server(port)
    return server


def _wait_for_server(port: int, path: str = "/", *, tries: int = 100) -> None:
    """Until the server on ``port`` answers ``path`` at all (an error page counts)."""
    for _ in range(tries):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)


def _measure(env: dict[str, str], duration: int, rounds: int) -> list[Figure]:
    cast = _cast()
    app = _serve("config.wsgi:application", APP_PORT, env)
    bare = _serve(
        "benchmarks.web.bare_wsgi:application",
        BARE_PORT,
        {**env, "DJANGO_SETTINGS_MODULE": "benchmarks.web.settings_bare"},
    )
    figures: list[Figure] = []
    try:
        cookies = {
            who: _sign_in(APP_PORT, getattr(cast, who).email)
            for who in ("manager", "practitioner", "lead")
        }
        targets = [("bare Django login_required", BARE_PORT, "/", [f"Cookie: {_bare(cast)}"])]
        for name, who, path in _pages(cast):
            header = (
                f"Authorization: Bearer {cast.token}"
                if who == "token"
                else f"Cookie: {cookies[who]}"
            )
            targets.append((name, APP_PORT, path, [header]))
        raise_timings: list[float] = []
        for concurrency in (1, 16):
            runs: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in targets}
            # Round after round over every page, so that a machine that slows down for a
            # minute slows every page alike rather than the few measured in that minute.
            for number in range(rounds):
                for name, port, path, headers in targets:
                    url = f"http://127.0.0.1:{port}{path}"
                    runs[name].append(_wrk(url, headers, concurrency, duration))
                if concurrency == 1:
                    raise_timings += _raise_timings(cast, RAISES // rounds)
                print(f"concurrency {concurrency}: round {number + 1} of {rounds}", flush=True)
            for name, _, path, _ in targets:
                counted = name != targets[0][0] and concurrency == 1
                queries = _queries(cast, _who(cast, name), path) if counted else None
                figures.append(_figure(name, concurrency, runs[name], queries))
        figures.append(_raise_figure(cast, raise_timings))
        figures.append(_export(app.pid, cookies["manager"]))
    finally:
        for server in (app, bare):
            server.terminate()
            server.wait(timeout=30)
    return figures


def _bare(cast: Cast) -> str:
    return _sign_in(BARE_PORT, cast.practitioner.email, bare=True)


def _who(cast: Cast, page: str) -> str:
    return next(who for name, who, _ in _pages(cast) if name == page)


def _figure(
    name: str, concurrency: int, runs: list[dict[str, float]], queries: int | None
) -> Figure:
    """The median of each figure over the rounds, and the spread of the p50s in the note."""
    p50s = [run["p50"] for run in runs]
    notes = [f"p50 {min(p50s):,.1f}-{max(p50s):,.1f} over {len(runs)} rounds"]
    non2xx, errors = sum(run["non2xx"] for run in runs), sum(run["errors"] for run in runs)
    if non2xx or errors:
        notes.append(f"{int(non2xx)} non-2xx, {int(errors)} errors")
    return Figure(
        name,
        concurrency,
        statistics.median(run["rps"] for run in runs),
        statistics.median(p50s),
        statistics.median(run["p95"] for run in runs),
        queries,
        "; ".join(notes),
    )


RAISES = 42
"""API raises timed in all, shared over the rounds at concurrency 1."""


def _raise_body(cast: Cast) -> bytes:
    from escalate.organisations.models import Person

    other = (
        Person.objects.filter(email__endswith="@nel.bulk.example.org", ladder_role="practitioner")
        .exclude(agency=cast.lead.agency)
        .first()
    )
    assert other is not None
    return json.dumps(
        {
            "subject": {"kind": "child", "name": "Robin Invented", "case_reference": "BENCH-1"},
            "other_agency": str(other.agency_id),
            "counterpart": str(other.pk),
            "category": "threshold",
            "decision_disputed": "The referral was judged below threshold (invented).",
            "evidence": "Attendance records (invented).",
            "desired_outcome": "An assessment.",
        }
    ).encode()


def _raise_timings(cast: Cast, times: int) -> list[float]:
    """The API's raise operation (POST /api/v1/escalations/), ``times`` one after another:
    each one's milliseconds."""
    body = _raise_body(cast)
    timings = []
    for _ in range(times):
        request = urllib.request.Request(
            f"http://127.0.0.1:{APP_PORT}/api/v1/escalations/",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {cast.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        begun = time.perf_counter()
        try:
            with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback
                response.read()
        except urllib.error.HTTPError as refused:
            problem = refused.read().decode()[:300]
            raise RuntimeError(f"The benchmark's raise was refused: {problem}") from None
        timings.append((time.perf_counter() - begun) * 1000)
    return timings


def _raise_figure(cast: Cast, timings: list[float]) -> Figure:
    queries = _queries(
        cast,
        "token",
        "/api/v1/escalations/",
        "post",
        data=_raise_body(cast),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    timings = sorted(timings)
    return Figure(
        "raise (API POST, sequential)",
        1,
        1000 / statistics.mean(timings),
        statistics.median(timings),
        timings[int(len(timings) * 0.95) - 1],
        queries,
        f"{len(timings)} raises, spread over the rounds",
    )


def _export(master_pid: int, cookie: str) -> Figure:
    """A full register CSV export: time, rows, bytes, and the workers' peak memory."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{APP_PORT}/register/export.csv?status=all", headers={"Cookie": cookie}
    )
    workers = _children(master_pid)
    before = max((_peak_kb(pid) for pid in workers), default=0)
    reset = all(_reset_peak(pid) for pid in workers)
    started = time.perf_counter()
    size = rows = 0
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 - loopback
        for line in response:
            size += len(line)
            rows += 1
    seconds = time.perf_counter() - started
    peak = max((_peak_kb(pid) for pid in workers), default=0)
    # Signing in hashes with Argon2 (about 100 MB): that peak is the password's, not the export's.
    during = "during the export" if reset else "since the worker started"
    return Figure(
        "register CSV export (full)",
        1,
        0.0,
        seconds * 1000,
        seconds * 1000,
        None,
        f"{rows - 1:,} rows, {size / 1e6:,.1f} MB in {seconds:,.1f} s; "
        f"worker peak RSS {peak / 1024:,.0f} MB {during} ({before / 1024:,.0f} MB before)",
    )


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{pid}$", text, re.M):
            found.append(int(status.parent.name))
    return found


def _reset_peak(pid: int) -> bool:
    """Start the process's peak RSS (VmHWM) again from its current RSS (Linux 4.0 and on)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_kb(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else 0


def _report(
    results: dict[int, list[Figure]], seeding: dict[int, str], *, out: Path | None = None
) -> None:
    sizes = sorted(results)
    lines = [f"# bench-web, {datetime.now(UTC).date().isoformat()}", ""]
    for size in sizes:
        lines.append(f"- seeded {size:,}: {seeding[size]}")
    lines += [
        "",
        "| page | c | "
        + " | ".join(f"{s:,}: req/s | p50 ms | p95 ms | queries | x floor | x bare" for s in sizes)
        + " |",
        "|---|---|" + "---|---|---|---|---|---|" * len(sizes),
    ]
    keys = [(f.page, f.concurrency) for f in results[sizes[0]]]
    for page, concurrency in keys:
        cells = []
        for size in sizes:
            by = {(f.page, f.concurrency): f for f in results[size]}
            figure = by.get((page, concurrency))
            floor = by.get((FLOOR, concurrency))
            bare = by.get(("bare Django login_required", concurrency))
            if figure is None:
                cells.append(" | | | | | ")
                continue
            x_floor = f"{figure.p50 / floor.p50:.2f}" if floor and floor.p50 else ""
            x_bare = f"{figure.p50 / bare.p50:.2f}" if bare and bare.p50 else ""
            cells.append(
                f"{figure.rps:,.1f} | {figure.p50:,.1f} | {figure.p95:,.1f} | "
                f"{'' if figure.queries is None else figure.queries} | {x_floor} | {x_bare}"
                + (f" ({figure.note})" if figure.note else "")
            )
        lines.append(f"| {page} | {concurrency} | " + " | ".join(cells) + " |")
    lines += ["", "Ratios are p50 over the floor's (or bare Django's) p50 at the same concurrency."]
    text = "\n".join(lines) + "\n"
    print(text)
    if out is None:
        return
    out.write_text(text)
    print(f"Written to {out.relative_to(ROOT)}")


def _results_file(kind: str = "web") -> Path:
    """``<kind>-<date>.md``, or ``<kind>-<date>-2.md`` and on if today's run is recorded."""
    folder = ROOT / "benchmarks" / "results"
    today = datetime.now(UTC).date().isoformat()
    candidates = (folder / f"{kind}-{today}{'' if n == 1 else f'-{n}'}.md" for n in count(1))
    return next(path for path in candidates if not path.exists())


if __name__ == "__main__":
    sys.exit(main())
