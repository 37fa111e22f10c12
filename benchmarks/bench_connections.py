"""``make bench-connections``: which way of holding PostgreSQL connections serves pages best.

Decision 24 chose persistent connections for gunicorn's sync workers; issue 15 asks for the
benchmark that shows it. On one seeded database (``BENCH_DATABASE_URL``, reset and seeded
with ``seed_bulk``), the production gunicorn config (``config/gunicorn.conf.py``, four
workers) serves the same pages three ways (settings in ``benchmarks/web/settings_connections.py``):

- ``per_request``: a new connection for every request (CONN_MAX_AGE=0);
- ``persistent``: each process keeps its connection for 60 s, with health checks (ours);
- ``pool``: psycopg's pool in each process (Django's ``OPTIONS["pool"]``).

Each page is driven with ``wrk`` at concurrency 1 and 8, round after round over the three
ways so a machine that slows down slows all alike; each figure is the median over the
rounds, and the ratio is against ``persistent`` in the same run. It also counts the
connections PostgreSQL holds for the database while each way serves.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import bench_web

ROOT = Path(__file__).resolve().parent.parent
MODES = ("per_request", "persistent", "pool")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = _free_port()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20000, help="Escalations to seed.")
    parser.add_argument("--duration", type=int, default=4, help="Seconds per wrk run.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes.")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", bench_web.DEFAULT_URL)
    env = {**bench_web._env(url), "DJANGO_SETTINGS_MODULE": "benchmarks.web.settings_connections"}
    os.environ.update(env)
    bench_web._reset(url)
    bench_web._manage(env, "migrate", "--no-input", "-v", "0")
    bench_web._manage(env, "load_policies")
    started = time.perf_counter()
    seeded = bench_web._manage(env, "seed_bulk", str(args.size), "--batch-size", "20000")
    print(f"seeded {args.size:,} in {time.perf_counter() - started:,.0f} s ({seeded})", flush=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    cast = bench_web._cast()
    pages = [
        ("API detail (token)", "token", f"/api/v1/escalations/{cast.detail_pk}/"),
        ("escalation page", "practitioner", f"/escalations/{cast.detail_pk}/"),
        ("register, first page", "manager", "/register/"),
    ]
    runs: dict[tuple[str, int, str], list[dict[str, float]]] = {}
    for number in range(args.rounds):
        for mode in MODES:
            server = _serve(mode, args.workers, env)
            try:
                cookies = {
                    who: bench_web._sign_in(PORT, getattr(cast, who).email)
                    for who in ("manager", "practitioner")
                }
                for concurrency in (1, 8):
                    for name, who, path in pages:
                        header = (
                            f"Authorization: Bearer {cast.token}"
                            if who == "token"
                            else f"Cookie: {cookies[who]}"
                        )
                        figure = bench_web._wrk(
                            f"http://127.0.0.1:{PORT}{path}", [header], concurrency, args.duration
                        )
                        runs.setdefault((name, concurrency, mode), []).append(figure)
            finally:
                server.terminate()
                server.wait(timeout=60)
        print(f"round {number + 1} of {args.rounds}", flush=True)
    report = _report(args, pages, runs, seeded)
    print(report)
    out = bench_web._results_file("connections")  # a second run the same day keeps the first
    out.write_text(report + "\n")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


def _serve(mode: str, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn with our own config
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "config/gunicorn.conf.py",
            "--log-level",
            "warning",
            "--access-logfile",
            "/dev/null",
            "config.wsgi:application",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "BENCH_CONNECTIONS": mode,
            "ESCALATE_BIND": f"127.0.0.1:{PORT}",
            "WEB_CONCURRENCY": str(workers),
        },
    )
    bench_web._wait_for_server(PORT, "/sign-in/", tries=150)
    return server


def _report(
    args: argparse.Namespace,
    pages: list[tuple[str, str, str]],
    runs: dict[tuple[str, int, str], list[dict[str, float]]],
    seeded: str,
) -> str:
    lines = [
        f"# bench-connections, {datetime.now(UTC).date().isoformat()}",
        "",
        f"- {args.size:,} escalations seeded ({seeded}); gunicorn with config/gunicorn.conf.py,"
        f" {args.workers} sync workers; wrk {args.duration} s per run, median of"
        f" {args.rounds} rounds; x = p50 over persistent's p50 in the same run.",
        "",
        "| page | c | " + " | ".join(f"{mode}: req/s, p50 ms, p95 ms, x" for mode in MODES) + " |",
        "|---|---|" + "---|" * len(MODES),
    ]
    for concurrency in (1, 8):
        for name, _, _ in pages:
            base = statistics.median(r["p50"] for r in runs[(name, concurrency, "persistent")])
            cells = []
            for mode in MODES:
                figures = runs[(name, concurrency, mode)]
                p50 = statistics.median(r["p50"] for r in figures)
                failed = sum(r["errors"] + r["non2xx"] for r in figures)
                cells.append(
                    f"{statistics.median(r['rps'] for r in figures):,.0f}, {p50:,.1f},"
                    f" {statistics.median(r['p95'] for r in figures):,.1f}, {p50 / base:.2f}"
                    + (f" ({int(failed)} failed)" if failed else "")
                )
            lines.append(f"| {name} | {concurrency} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
