"""How long does the deadline sweep's selection take over a million escalations?

Run from the repository root, with a PostgreSQL server (the script creates and
drops its own database, ``escalate_bench`` by default):

    python benchmarks/bench_deadline_sweep.py
    python benchmarks/bench_deadline_sweep.py --server postgres://postgres@127.0.0.1:5432 --keep

Builds the schema with ``migrate``, loads the five shipped policies, adds a small
directory (two agencies per partnership, one person on every rung), then bulk-inserts
escalations with ``generate_series`` (never the ORM one by one): 10% open, spread
over the five policies; open stages due from 30 days ago to 30 days ahead (30% with
no due date, as "as soon as possible" stages have), and an agreed action on 1% of
the resolved ones. Stages and actions overdue before yesterday already carry their
overdue and check-back reminders, as earlier daily sweeps would have left them.

For the baseline (100,000 escalations) and then the target (1,000,000), in the same
run and on the same day (Wed 10 Mar 2027), it reports:

* ``daily``: the sweep's selection (``reminders.select_due``), the median of several
  runs, with its query count and the rows it returns: what a daily sweep does;
* ``catch-up``: the same with no reminder written yet (a first sweep, or after an
  outage): every overdue stage is selected;
* ``full sweep``: one whole sweep that also reads the parties and writes the
  reminder rows (delivery is not queued: the tasks backend is a dummy here).

The target is under 2 seconds and a few queries whatever the number of open stages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parents[1]
TODAY = date(2027, 3, 10)
DATABASE = "escalate_bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--sizes", default="100000,1000000", help="escalation counts, ascending")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if sizes != sorted(sizes):
        parser.error("--sizes must be ascending: each size adds to the rows already there")

    _recreate_database(args.server, args.database)
    try:
        _configure_django(f"{args.server.rstrip('/')}/{args.database}")
        began = time.perf_counter()
        _build_schema_and_directory()
        print(f"Schema, policies and directory ready in {time.perf_counter() - began:.1f} s")
        inserted = 0
        for size in sizes:
            began = time.perf_counter()
            _insert_escalations(first=inserted + 1, last=size)
            inserted = size
            print(
                f"\n{size:,} escalations ({_count_open():,} open): "
                f"inserted in {time.perf_counter() - began:.1f} s"
            )
            _report(repeats=args.repeats)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _drop_database(args.server, args.database)
    return 0


# --- database and Django -------------------------------------------------------------


def _admin(server: str) -> psycopg.Connection[Any]:
    parts = urlsplit(server)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _recreate_database(server: str, name: str) -> None:
    with _admin(server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _drop_database(server: str, name: str) -> None:
    with _admin(server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _configure_django(url: str) -> None:
    sys.path.insert(0, str(REPO))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()


def _build_schema_and_directory() -> None:
    from django.core.management import call_command

    from escalate.domain.policy import LADDER_ORDER, PartnershipRole
    from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
    from escalate.policies.models import Partnership

    call_command("migrate", verbosity=0)
    call_command("load_policies", verbosity=0)
    for partnership in Partnership.objects.all():
        for kind in ("education", "childrens_social_care"):
            agency = Agency.objects.create(
                partnership=partnership, name=f"{kind} ({partnership.slug})", kind=kind
            )
            manager = None
            for role in reversed(LADDER_ORDER):
                manager = Person.objects.create(
                    name=f"{role.value} of {agency.name}",
                    email=f"{role.value}.{kind}@{partnership.slug}.bench.invalid",
                    agency=agency,
                    ladder_role=role.value,
                    line_manager=manager,
                )
        for partnership_role in PartnershipRole:
            person = Person.objects.create(
                name=f"{partnership_role.value} ({partnership.slug})",
                email=f"{partnership_role.value}@{partnership.slug}.bench.invalid",
            )
            PartnershipRoleAssignment.objects.create(
                person=person, partnership=partnership, role=partnership_role.value
            )


# One row per policy: its partnership, a subject, the two agencies and their practitioners.
_PARTIES_SQL = """
CREATE TEMP TABLE IF NOT EXISTS bench_parties AS
SELECT row_number() OVER (ORDER BY p.id) - 1 AS slot,
       p.id AS policy_id, p.partnership_id,
       school.id AS raising_agency_id, care.id AS other_agency_id,
       raiser.id AS raised_by_id, counterpart.id AS counterpart_id
FROM policies_policy p
JOIN organisations_agency school
  ON school.partnership_id = p.partnership_id AND school.kind = 'education'
JOIN organisations_agency care
  ON care.partnership_id = p.partnership_id AND care.kind = 'childrens_social_care'
JOIN organisations_person raiser
  ON raiser.agency_id = school.id AND raiser.ladder_role = 'practitioner'
JOIN organisations_person counterpart
  ON counterpart.agency_id = care.id AND counterpart.ladder_role = 'practitioner'
"""

_SUBJECTS_SQL = """
INSERT INTO escalations_subject (partnership_id, kind, name, case_reference, nhs_number)
SELECT partnership_id, 'child', 'Benchmark subject', '', '' FROM bench_parties
WHERE NOT EXISTS (
    SELECT 1 FROM escalations_subject s WHERE s.partnership_id = bench_parties.partnership_id
)
"""

# i % 10 = 0: open, at stage 1 to 4; i % 10 = 1: resolved; otherwise closed. Stage due
# dates run from 30 days before today to 30 days after; 30% have none (no timescale).
_ESCALATIONS_SQL = """
INSERT INTO escalations_escalation (
    id, reference, partnership_id, policy_id, subject_id, raised_by_id, raising_agency_id,
    other_agency_id, counterpart_id, category, decision_disputed, evidence, desired_outcome,
    subject_views, immediate_risk, same_day_route_taken, entry_route, status, stage_number,
    final_stage_number, stage_due_on, raised_on, revision, created_at, legal_hold,
    legal_hold_reason
)
SELECT gen_random_uuid(), 'BENCH-' || i, b.partnership_id, b.policy_id, s.id, b.raised_by_id,
       b.raising_agency_id, b.other_agency_id, b.counterpart_id, 'category', '', '', '', '',
       i %% 97 = 0, false, '',
       CASE WHEN i %% 10 = 0 THEN 'open' WHEN i %% 10 = 1 THEN 'resolved' ELSE 'closed' END,
       1 + (i / 10) %% 4, 4,
       CASE WHEN (i / 10) %% 10 < 3 THEN NULL
            ELSE %(today)s::date + ((i / 10) %% 61 - 30) END,
       %(today)s::date - 40, 1, now(), false, ''
FROM generate_series(%(first)s, %(last)s) AS i
JOIN bench_parties b ON b.slot = i %% (SELECT count(*) FROM bench_parties)
JOIN escalations_subject s ON s.partnership_id = b.partnership_id
"""

_ACTIONS_SQL = """
INSERT INTO escalations_agreedaction (
    escalation_id, stage_number, description, owner_id, due_on, implementation, check_note
)
SELECT e.id, e.stage_number, 'Benchmark action', e.counterpart_id,
       %(today)s::date + (abs(hashtext(e.reference)) %% 21 - 10), 'pending', ''
FROM escalations_escalation e
WHERE e.status = 'resolved' AND abs(hashtext(e.reference)) %% 10 = 0
  AND substr(e.reference, 7)::bigint BETWEEN %(first)s AND %(last)s
"""

# What earlier daily sweeps left: the overdue reminder of every stage overdue before yesterday.
_EARLIER_REMINDERS_SQL = """
INSERT INTO notifications_notification (
    recipient_id, kind, escalation_id, stage_number, due_on, context, channel, is_urgent,
    awaits_digest, status, attempts, last_error, next_attempt_at, idempotency_key,
    provider_reference, created_at, sent_at
)
SELECT e.raised_by_id, 'overdue', e.id, e.stage_number, e.stage_due_on, '{}', 'email', true,
       false, 'sent', 1, '', now(), 'overdue:' || e.id || ':stage' || e.stage_number || '@'
       || e.stage_due_on || ':' || e.raised_by_id, '', now(), now()
FROM escalations_escalation e
WHERE e.status = 'open' AND e.stage_due_on < %(today)s::date - 1
  AND substr(e.reference, 7)::bigint BETWEEN %(first)s AND %(last)s
"""

_EARLIER_CHECK_BACKS_SQL = """
INSERT INTO notifications_notification (
    recipient_id, kind, escalation_id, agreed_action_id, stage_number, due_on, context, channel,
    is_urgent, awaits_digest, status, attempts, last_error, next_attempt_at, idempotency_key,
    provider_reference, created_at, sent_at
)
SELECT e.raised_by_id, 'check_back', e.id, a.id, a.stage_number, a.due_on, '{}', 'email', false,
       false, 'sent', 1, '', now(), 'check_back:action' || a.id || '@' || a.due_on || ':'
       || e.raised_by_id, '', now(), now()
FROM escalations_agreedaction a JOIN escalations_escalation e ON e.id = a.escalation_id
WHERE a.due_on < %(today)s::date - 1
  AND substr(e.reference, 7)::bigint BETWEEN %(first)s AND %(last)s
"""


def _insert_escalations(*, first: int, last: int) -> None:
    from django.db import connection, transaction

    params: dict[str, int | date] = {"first": first, "last": last, "today": TODAY}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_PARTIES_SQL)
        cursor.execute(_SUBJECTS_SQL)
        cursor.execute(_ESCALATIONS_SQL, params)
        cursor.execute(_ACTIONS_SQL, params)
        cursor.execute(_EARLIER_REMINDERS_SQL, params)
        cursor.execute(_EARLIER_CHECK_BACKS_SQL, params)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _count_open() -> int:
    from escalate.escalations.models import Escalation

    return Escalation.objects.filter(status=Escalation.Status.OPEN).count()


# --- measuring -----------------------------------------------------------------------


def _timed(run: Callable[[], Any], repeats: int) -> tuple[float, int, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    result = None
    queries = 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            result = run()
            timings.append(time.perf_counter() - began)
        queries = len(captured)
    return statistics.median(timings), queries, result


def _report(*, repeats: int) -> None:
    from django.db import connection, transaction
    from django.test import override_settings

    from escalate.notifications.reminders import select_due, sweep_deadlines

    def selection() -> tuple[int, int]:
        _, stages, actions = select_due(today=TODAY, working_days_before=1)
        return len(stages), len(actions)

    seconds, queries, (stages, actions) = _timed(selection, repeats)
    print(
        f"  daily:      selection {seconds * 1000:7.1f} ms median of {repeats}, "
        f"{queries} queries, {stages:,} stages and {actions:,} agreed actions selected"
    )

    with transaction.atomic():  # catch-up: as if no reminder had ever been written
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM notifications_notification")
        seconds, queries, (stages, actions) = _timed(selection, repeats)
        transaction.set_rollback(True)
    print(
        f"  catch-up:   selection {seconds * 1000:7.1f} ms median of {repeats}, "
        f"{queries} queries, {stages:,} stages and {actions:,} agreed actions selected"
    )

    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": []}}
    with override_settings(TASKS=dummy), transaction.atomic():
        seconds, queries, result = _timed(lambda: sweep_deadlines(today=TODAY), 1)
        again, again_queries, second = _timed(lambda: sweep_deadlines(today=TODAY), 1)
        transaction.set_rollback(True)  # leave the data as it was for the next size
    print(
        f"  full sweep: {seconds * 1000:7.1f} ms, {queries} queries, "
        f"{result.notifications:,} reminders written; run again: {again * 1000:.1f} ms, "
        f"{again_queries} queries, {second.notifications} written"
    )


if __name__ == "__main__":
    sys.exit(main())
