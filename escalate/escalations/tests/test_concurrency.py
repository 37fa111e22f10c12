"""Two people change the same escalation at once: exactly one change lands. Raises in one
partnership take turns for their references and their audit chain; raises in different
partnerships never wait on each other.

These need two real database connections with row locks, so they run on PostgreSQL
only (CI's PostgreSQL pass; locally with DATABASE_URL set). Each thread opens its own
connection, and closes it before it ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest
from django.db import connection, connections, transaction

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.audit.services import record, verify_chains
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, Person

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and two connections; set DATABASE_URL to run",
    ),
    pytest.mark.django_db(transaction=True),
]

MONDAY = date(2026, 12, 21)
WAIT = 10  # seconds; generous, so a slow CI machine does not fail the test
# A raise that waits on nobody takes well under a second; one stuck behind another
# partnership's lock would take until that lock is released (WAIT or more).
UNHINDERED = 5


@pytest.fixture
def escalation() -> Escalation:
    school = AgencyFactory(name="Brookfield Primary")
    social_care = AgencyFactory(name="Children's Social Care", kind="childrens_social_care")
    teacher = PersonFactory(agency=school, name="Tess Teacher")
    social_worker = PersonFactory(agency=social_care, name="Sol Worker")
    return raise_for(raised_by=teacher, other_agency=social_care, counterpart=social_worker)


def _escalate(escalation_pk: UUID, actor_pk: int, revision: int) -> None:
    services.escalate_stage(
        escalation=Escalation.objects.get(pk=escalation_pk),
        actor=Person.objects.get(pk=actor_pk),
        reason="No agreement.",
        revision=revision,
        today=MONDAY,
    )


def _resolve(escalation_pk: UUID, actor_pk: int, revision: int) -> None:
    services.resolve_escalation(
        escalation=Escalation.objects.get(pk=escalation_pk),
        actor=Person.objects.get(pk=actor_pk),
        agreed_outcome="Agreed a strategy discussion.",
        actions=[
            services.AgreedActionDetails(
                "Hold the discussion.", Person.objects.get(pk=actor_pk), MONDAY
            )
        ],
        revision=revision,
        today=MONDAY,
    )


SERVICES: dict[str, tuple[Callable[[UUID, int, int], None], str]] = {
    "escalate": (_escalate, events.STAGE_ESCALATED),
    # One agency records the resolution; the other still has to confirm it (decision 8).
    "resolve": (_resolve, events.RESOLUTION_PROPOSED),
}


class Attempt(threading.Thread):
    """One person's change, on its own connection; keeps what happened."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.outcome: str | BaseException = "not run"

    def run(self) -> None:
        try:
            self.work()
            self.outcome = "saved"
        except BaseException as error:  # reported to the test thread
            self.outcome = error
        finally:
            connections.close_all()


def _history(escalation: Escalation) -> list[str]:
    return list(
        AuditEvent.objects.filter(escalation=escalation)
        .order_by("pk")
        .values_list("event", flat=True)
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [("escalate", "escalate"), ("escalate", "resolve"), ("resolve", "resolve")],
)
def test_two_changes_from_the_same_revision_at_once_save_exactly_one(
    escalation: Escalation, first: str, second: str
) -> None:
    start = threading.Barrier(2, timeout=WAIT)
    actors = [escalation.raised_by_id, escalation.counterpart_id]
    assert actors[1] is not None

    def attempt(name: str, actor_pk: int) -> Attempt:
        work, _ = SERVICES[name]

        def go() -> None:
            start.wait()
            work(escalation.pk, actor_pk, escalation.revision)

        return Attempt(go)

    attempts = [attempt(first, actors[0]), attempt(second, actors[1])]
    for thread in attempts:
        thread.start()
    for thread in attempts:
        thread.join(WAIT)

    outcomes = [thread.outcome for thread in attempts]
    assert sorted(map(type, outcomes), key=str) == sorted([str, services.StaleEscalation], key=str)
    winner = next(i for i, outcome in enumerate(outcomes) if outcome == "saved")
    won_event = SERVICES[(first, second)[winner]][1]
    assert _history(escalation) == [events.ESCALATION_RAISED, won_event]
    assert Escalation.objects.get(pk=escalation.pk).revision == 2
    assert _every_chain_intact()


def test_the_second_change_waits_for_the_first_and_is_refused_as_stale(
    escalation: Escalation,
) -> None:
    first_holds_lock = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with transaction.atomic():
            _escalate(escalation.pk, escalation.raised_by_id, revision=1)
            first_holds_lock.set()
            release_first.wait(WAIT)

    def second() -> None:
        first_holds_lock.wait(WAIT)
        assert escalation.counterpart_id is not None
        _escalate(escalation.pk, escalation.counterpart_id, revision=1)

    one, two = Attempt(first), Attempt(second)
    one.start()
    two.start()
    try:
        assert first_holds_lock.wait(WAIT)
        # The second change must be blocked on the escalation's row lock, not racing past it.
        deadline = time.monotonic() + WAIT
        while not _someone_waits_for_a_lock():
            assert time.monotonic() < deadline, "the second change never waited for the lock"
            time.sleep(0.05)
        assert two.is_alive()
    finally:
        release_first.set()
        one.join(WAIT)
        two.join(WAIT)

    assert one.outcome == "saved"
    assert isinstance(two.outcome, services.StaleEscalation)
    assert "'Escalated to the next stage' by Tess Teacher" in str(two.outcome)
    escalation = Escalation.objects.get(pk=escalation.pk)
    assert (escalation.stage_number, escalation.revision) == (2, 2)
    assert _history(escalation).count(events.STAGE_ESCALATED) == 1


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (waiting,) = cursor.fetchone()
    return bool(waiting)


def _every_chain_intact() -> bool:
    return all(report.broken is None for report in verify_chains())


def test_escalations_raised_at_once_in_one_partnership_get_different_references() -> None:
    school = AgencyFactory(name="Brookfield Primary")
    social_care = AgencyFactory(name="Children's Social Care", kind="childrens_social_care")
    raisers = [PersonFactory(agency=school) for _ in range(4)]
    raise_for(raised_by=raisers[0], other_agency=social_care)  # a reference to count on from
    start = threading.Barrier(len(raisers), timeout=WAIT)

    def raise_one(raiser: Person) -> Attempt:
        def go() -> None:
            start.wait()
            raise_for(raised_by=raiser, other_agency=social_care)

        return Attempt(go)

    attempts = [raise_one(raiser) for raiser in raisers]
    for thread in attempts:
        thread.start()
    for thread in attempts:
        thread.join(WAIT)

    assert [thread.outcome for thread in attempts] == ["saved"] * len(raisers)
    assert sorted(Escalation.objects.values_list("reference", flat=True)) == [
        f"NEL-2026-00000{n}" for n in range(1, len(raisers) + 2)
    ]
    # Every raise chained onto the one before it in the partnership's chain: none forked.
    [nel] = [report for report in verify_chains() if report.name == "nel"]
    assert (nel.checked, nel.broken) == (AuditEvent.objects.count(), None)


# --- partnerships never wait on each other ---------------------------------------------


def _agencies(slug: str) -> tuple[Agency, Agency]:
    partnership = shipped_policy(slug).partnership
    return (
        AgencyFactory(partnership=partnership, name=f"{slug} school (invented)"),
        AgencyFactory(partnership=partnership, name=f"{slug} health (invented)", kind="health"),
    )


def _raise_in(agencies: tuple[Agency, Agency]) -> None:
    raise_for(raised_by=PersonFactory(agency=agencies[0]), other_agency=agencies[1])


def _holding_a_raise(agencies: tuple[Agency, Agency]) -> None:
    """Takes the partnership's next reference and appends to its chain."""
    _raise_in(agencies)


def _holding_its_chain(agencies: tuple[Agency, Agency]) -> None:
    """Appends to the partnership's chain only, as a directory import would."""
    record(events.DIRECTORY_IMPORTED, actor=None, partnership=agencies[0].partnership)


@pytest.mark.parametrize(
    "hold", [_holding_a_raise, _holding_its_chain], ids=["a-raise", "its-chain"]
)
def test_a_raise_does_not_wait_while_another_partnership_holds_its_locks(
    hold: Callable[[tuple[Agency, Agency]], None],
) -> None:
    ours, theirs = _agencies("nel"), _agencies("cscp")
    _raise_in(theirs)  # their counter row exists: the hold below locks it, not creates it
    holding = threading.Event()
    release = threading.Event()

    def hold_theirs() -> None:
        with transaction.atomic():
            hold(theirs)
            holding.set()
            release.wait(WAIT)

    holder = Attempt(hold_theirs)
    queued = Attempt(lambda: _raise_in(theirs))  # in their partnership: must wait
    ours_attempt = Attempt(lambda: _raise_in(ours))
    holder.start()
    try:
        assert holding.wait(WAIT)
        queued.start()
        deadline = time.monotonic() + WAIT
        while not _someone_waits_for_a_lock():  # the lock held is real
            assert time.monotonic() < deadline, "a raise in their partnership never waited"
            time.sleep(0.05)

        started = time.monotonic()
        ours_attempt.start()
        ours_attempt.join(UNHINDERED)
        took = time.monotonic() - started

        assert ours_attempt.outcome == "saved", f"our raise did not finish in {took:.1f}s"
        assert holder.is_alive()  # they still held their locks all the while
        assert queued.is_alive()
    finally:
        release.set()
        holder.join(WAIT)
        queued.join(WAIT)
        ours_attempt.join(WAIT)

    assert (holder.outcome, queued.outcome) == ("saved", "saved")
    references = set(Escalation.objects.values_list("reference", flat=True))
    assert {"NEL-2026-000001", "CSCP-2026-000001", "CSCP-2026-000002"} <= references
    assert _every_chain_intact()
