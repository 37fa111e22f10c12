"""The bulk seeder writes what the services would: visibility, the chain and raising after."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from escalate.audit.chain import event_content, keyed_event_hash
from escalate.audit.models import AuditEvent
from escalate.audit.services import verify_chains
from escalate.domain import access
from escalate.domain.policy import LadderRole, SubjectKind
from escalate.escalations import bulk_seed, services
from escalate.escalations.access import escalations_visible_to
from escalate.escalations.involvement import SortKeys
from escalate.escalations.models import Escalation, Involvement, StageEntry, Subject
from escalate.organisations.models import Person
from escalate.policies.models import ReferenceCounter
from escalate.policies.selectors import current_policy_for

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 16)


@pytest.fixture
def seeded():
    call_command("load_policies", verbosity=0, stdout=io.StringIO())
    return bulk_seed.seed(120, batch_size=50, agencies=3, today=TODAY)


def _predicate_ids(person: Person) -> set[object]:
    viewer = person.viewer()
    return {
        escalation.pk
        for escalation in Escalation.objects.all()
        if access.can_view(viewer, escalation.access_facts())
    }


def test_the_visibility_filter_agrees_with_the_predicate_on_seeded_rows(seeded):
    bulk = Person.objects.filter(email__contains=".bulk.example.org")
    people = [
        bulk.filter(ladder_role=LadderRole.PRACTITIONER).order_by("pk").first(),
        bulk.filter(ladder_role=LadderRole.PRACTITIONER).order_by("-pk").first(),
        bulk.filter(ladder_role=LadderRole.SAFEGUARDING_LEAD).order_by("pk").first(),
        bulk.filter(ladder_role=LadderRole.LINE_MANAGER).order_by("-pk").first(),
    ]
    seen_any = False
    for person in people:
        visible = set(escalations_visible_to(person).values_list("pk", flat=True))
        assert visible == _predicate_ids(person), person.email
        seen_any |= bool(visible)
    assert seen_any


def test_involvement_rows_are_the_ones_the_services_keep(seeded):
    for escalation in Escalation.objects.all()[:40]:
        rows = list(Involvement.objects.filter(escalation=escalation))
        assert {row.as_fact() for row in rows} == set(
            access.involvements(escalation.access_facts())
        )
        assert {SortKeys.stored(row) for row in rows} == {SortKeys.of(escalation)}


def test_the_mix_has_open_and_finished_escalations_with_their_stages(seeded):
    assert Escalation.objects.count() == 120
    statuses = set(Escalation.objects.values_list("status", flat=True))
    assert {Escalation.Status.OPEN, Escalation.Status.CLOSED} <= statuses
    for escalation in Escalation.objects.all()[:20]:
        numbers = list(
            StageEntry.objects.filter(escalation=escalation).values_list("number", flat=True)
        )
        assert numbers[-1] == escalation.stage_number
        assert escalation.raised_on <= TODAY


def test_the_history_chain_verifies_after_seeding_twice(seeded):
    bulk_seed.seed(30, batch_size=20, agencies=3, today=TODAY)
    reports = verify_chains()
    assert [report.broken for report in reports] == [None] * len(reports)
    assert sum(report.checked for report in reports) > 150
    assert sum(1 for report in reports if report.checked) >= 5  # every partnership's chain


def test_a_raise_through_the_service_succeeds_after_seeding(seeded):
    practitioner = Person.objects.filter(
        email__contains="@nel.bulk.example.org", ladder_role=LadderRole.PRACTITIONER
    ).first()
    other = (
        Person.objects.filter(
            email__contains="@nel.bulk.example.org", ladder_role=LadderRole.PRACTITIONER
        )
        .exclude(agency=practitioner.agency)
        .first()
    )
    escalation = services.raise_escalation(
        raised_by=practitioner,
        policy=current_policy_for("nel"),
        subject=services.SubjectDetails(
            kind=SubjectKind.CHILD, name="Robin Invented", case_reference="R-1"
        ),
        other_agency=other.agency,
        counterpart=other,
        category="threshold",
        decision_disputed="The referral was judged below threshold.",
        evidence="",
        desired_outcome="An assessment.",
        today=TODAY,
    ).escalation
    assert escalation.reference not in set(
        Escalation.objects.exclude(pk=escalation.pk).values_list("reference", flat=True)
    )
    assert escalation in escalations_visible_to(practitioner)
    assert escalation.reference.startswith("NEL-2026-")
    assert all(report.broken is None for report in verify_chains())


def test_the_command_refuses_sqlite_without_allow_slow(seeded):
    if connection.vendor != "sqlite":
        pytest.skip("on PostgreSQL the command seeds by COPY instead of refusing")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_bulk", "10")


# --- worker processes (PostgreSQL) ------------------------------------------------------------


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("worker processes and COPY are the PostgreSQL path; SQLite inserts here")
    call_command("load_policies", verbosity=0, stdout=io.StringIO())


def test_two_workers_write_what_the_services_would(postgresql):
    report = bulk_seed.seed(300, batch_size=40, agencies=3, today=TODAY, workers=2)

    assert report.escalations == Escalation.objects.count() == 300
    reports = verify_chains()
    assert [chain.broken for chain in reports] == [None] * len(reports)
    references = list(Escalation.objects.values_list("reference", flat=True))
    assert len(set(references)) == len(references)
    assert {pk.version for pk in Escalation.objects.values_list("pk", flat=True)} == {7}
    for escalation in Escalation.objects.order_by("pk")[:60]:
        rows = list(Involvement.objects.filter(escalation=escalation))
        assert {row.as_fact() for row in rows} == set(
            access.involvements(escalation.access_facts())
        )
        assert {SortKeys.stored(row) for row in rows} == {SortKeys.of(escalation)}


def test_after_two_workers_every_sequence_is_past_the_keys_they_took(postgresql):
    bulk_seed.seed(200, batch_size=30, agencies=3, today=TODAY, workers=2)

    with connection.cursor() as cursor:
        for table in bulk_seed.TABLES:
            if table.key == "escalation":
                continue  # a UUID, no sequence
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}")  # noqa: S608
            largest = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table.name])
            assert cursor.fetchone()[0] > largest, table.name


def _indexes_and_constraints() -> set[tuple[str, str]]:
    names = [table.name for table in bulk_seed.TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [names]
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            """
            SELECT t.relname, c.conname || ' ' || pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE t.relname = ANY(%s)
            """,
            [names],
        )
        return indexes | set(cursor.fetchall())


def test_deferring_indexes_builds_every_index_and_constraint_again(postgresql):
    before = _indexes_and_constraints()

    bulk_seed.seed(120, batch_size=40, agencies=3, today=TODAY, workers=2, defer_indexes=True)

    assert _indexes_and_constraints() == before
    assert any("UNIQUE (hash)" in definition for _, definition in before)
    assert Escalation.objects.count() == 120


def test_references_carry_on_from_the_counters_the_workers_left(postgresql):
    bulk_seed.seed(100, batch_size=30, agencies=3, today=TODAY, workers=2)
    numbers = {
        (counter.partnership_id, counter.year): counter.last_number
        for counter in ReferenceCounter.objects.all()
    }
    for escalation in Escalation.objects.all():
        year, number = escalation.reference.split("-")[-2:]
        assert int(number) <= numbers[(escalation.partnership_id, int(year))]
    assert sum(numbers.values()) == 100


def test_a_failing_worker_leaves_nothing_written(postgresql, monkeypatch):
    draw_story = bulk_seed.draw_story
    failing_partnership = current_policy_for("nel").partnership_id

    def draw_or_fail(rng, plan, ids, **kwargs):
        if plan.policy.partnership_id == failing_partnership:
            raise RuntimeError("an invented failure in the worker")
        return draw_story(rng, plan, ids, **kwargs)

    # The workers are forked, so they inherit the patched module.
    monkeypatch.setattr(bulk_seed, "draw_story", draw_or_fail)
    audit_events = AuditEvent.objects.count()
    counters = list(ReferenceCounter.objects.values_list("partnership_id", "year", "last_number"))

    with pytest.raises(bulk_seed.WorkerFailed, match="an invented failure in the worker"):
        bulk_seed.seed(200, batch_size=20, agencies=3, today=TODAY, workers=2)

    assert Escalation.objects.count() == 0
    assert Subject.objects.count() == 0
    assert AuditEvent.objects.count() == audit_events
    assert counters == list(
        ReferenceCounter.objects.values_list("partnership_id", "year", "last_number")
    )


# --- formatting, no database needed ------------------------------------------------------------


def test_the_written_out_hash_content_is_the_one_event_hash_hashes():
    occurred_at = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    escalation_id = "2f1c1f0e-4d5e-4a3b-9c8d-7e6f5a4b3c2d"
    for actor_id, data in [
        (17, {"reason": 'A "quoted" reason\nover two lines', "to": 2, "from": 1}),
        (None, {}),
    ]:
        content = event_content(
            occurred_at=occurred_at,
            event="escalation.stage_escalated",
            actor_id=actor_id,
            escalation_id=escalation_id,
            stage_number=2,
            data=data,
            partnership_id=4,
        )
        chain = bulk_seed.Chain("a" * 64)
        _, digest = chain.link(
            bulk_seed.canonical_content(
                occurred_at=occurred_at.isoformat(),
                event="escalation.stage_escalated",
                actor_id=actor_id,
                escalation_id=escalation_id,
                stage_number=2,
                canonical_data=bulk_seed.canonical_json(data),
                partnership_id=4,
            )
        )
        assert digest == keyed_event_hash(
            previous_hash="a" * 64, content=content, secret=chain.key.secret
        )


def test_copy_text_escapes_what_would_end_a_cell_or_a_row():
    json_value = bulk_seed.JsonValue({"note": "a\\b"}, bulk_seed.canonical_json({"note": "a\\b"}))
    rows = [
        (1, "tab\there", None, True, date(2026, 1, 2), json_value),
        (2, "back\\slash\nnew\rline", "", False, datetime(2026, 1, 2, 9, 0, tzinfo=UTC), [1]),
    ]
    assert bulk_seed.copy_text(rows) == (
        b'1\ttab\\there\t\\N\tt\t2026-01-02\t{"note":"a\\\\\\\\b"}\n'
        b"2\tback\\\\slash\\nnew\\rline\t\tf\t2026-01-02T09:00:00+00:00\t[1]\n"
    )
