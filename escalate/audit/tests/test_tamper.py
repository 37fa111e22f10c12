"""Each way of tampering with the record is refused by the database or found by verify
(decision record 0022), on SQLite and PostgreSQL; the PostgreSQL-only attacks skip on SQLite.

The five that the audit-trail review found getting through (issue 13): removing the last
events; a changed row with its chain recomputed with plain SHA-256; opening the purge door
with one session setting; a superuser's replica mode; an application connected as the
database superuser (the guide now gives it a role that owns nothing: ``test_roles.py``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from escalate.audit import events
from escalate.audit import services as audit_services
from escalate.audit.chain import GENESIS, BrokenLink, ChainReport, event_hash
from escalate.audit.content import ANONYMISED_VALUES, REMOVED_TEXT
from escalate.audit.models import AuditEvent, Checkpoint, EventText
from escalate.audit.services import _content, take_checkpoints, verify_chains
from escalate.audit.tests.support import append_only_lifted
from escalate.audit.tests.test_chain import chain_report, tamper
from escalate.escalations import retention
from escalate.escalations.models import Contact, Escalation, ResolutionProposal, StageEntry

pytestmark = pytest.mark.django_db

ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL attack: SQLite has no roles"
)


def _remove(*rows: AuditEvent) -> None:
    """Delete events behind the application's back (an owner who dropped the triggers)."""
    with append_only_lifted(), connection.cursor() as cursor:
        for row in rows:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _escalation(history: list[AuditEvent]) -> Escalation:
    return Escalation.objects.get(history=history[0])


def _verify(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


# --- 1. removing the last events ------------------------------------------------------


def test_removing_the_last_events_is_found_against_the_latest_checkpoint(
    history: list[AuditEvent],
) -> None:
    take_checkpoints()

    _remove(*history[-2:])

    report = chain_report(history[:-2])
    assert (report.checked, report.broken, report.tail_missing) == (len(history) - 2, None, 2)
    code, _, err = _verify()
    assert code == 1
    assert f"2 events missing from its end: the latest checkpoint saw {len(history)}." in err


def test_checkpointing_refuses_to_sign_over_removed_events(history: list[AuditEvent]) -> None:
    take_checkpoints()
    _remove(history[-1])
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "checkpoint", stdout=out, stderr=err)

    assert exit_.value.code == 1
    assert err.getvalue().startswith(
        f"nel: not checkpointed: it no longer has the {len(history)} events its checkpoint of "
    )
    assert chain_report(history[:-1]).tail_missing == 1  # still found, not signed away


def test_a_quiet_chain_adds_no_checkpoint_rows(history: list[AuditEvent]) -> None:
    first = dict(take_checkpoints())
    count = Checkpoint.objects.count()

    again = dict(take_checkpoints())

    assert Checkpoint.objects.count() == count
    assert again["nel"] == first["nel"]


def test_removing_events_and_the_checkpoints_is_found_against_the_published_ones(
    history: list[AuditEvent], tmp_path: Path
) -> None:
    published = tmp_path / "checkpoints.jsonl"
    call_command("audit", "checkpoint", "--out", str(published), stdout=StringIO())
    [line] = [json.loads(text) for text in published.read_text().splitlines() if "nel" in text]
    assert (line["chain"], line["events"], line["last_hash"]) == (
        "nel",
        len(history),
        history[-1].hash,
    )

    _remove(*history[-3:])
    with append_only_lifted():
        Checkpoint.objects.all().delete()

    assert _verify()[0] == 0  # the database alone no longer knows
    code, _, err = _verify("--checkpoints", str(published))
    assert code == 1
    assert "3 events missing from its end" in err


def test_a_forged_checkpoint_is_reported_and_not_believed(history: list[AuditEvent]) -> None:
    Checkpoint.objects.create(
        partnership_id=history[0].partnership_id,
        taken_at=datetime(2027, 1, 1, tzinfo=UTC),
        events=1,
        last_event_id=history[0].pk,
        last_hash=history[0].hash,
        key_id="0" * 12,
        signature="0" * 64,
    )

    report = chain_report(history)
    assert (report.checked, report.broken, report.tail_missing) == (len(history), None, None)
    assert [m.reason for m in report.mismatches] == [
        "its signature does not verify with any configured audit key"
    ]


# --- 2. a chain recomputed without the key --------------------------------------------


def test_a_changed_event_with_the_whole_chain_recomputed_by_plain_sha256_does_not_verify(
    history: list[AuditEvent],
) -> None:
    history[2].data = {"contact": history[2].data["contact"], "kind": "meeting"}
    previous = GENESIS
    for row in history:  # what the review did: rewrite every link from the start
        row.previous_hash = previous
        row.hash = event_hash(previous_hash=previous, content=_content(row))
        tamper(row, data=row.data, previous_hash=row.previous_hash, hash=row.hash)
        previous = row.hash

    assert chain_report(history).broken == BrokenLink(
        history[0].pk, "its content no longer matches its hash"
    )


# --- silent edits to the record -------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "column"),
    [
        (Contact, "summary"),
        (Escalation, "decision_disputed"),
        (ResolutionProposal, "agreed_outcome"),
        (StageEntry, "outcome_reason"),
    ],
    ids=["contact summary", "disputed decision", "agreed outcome", "stage's reason"],
)
def test_a_silent_edit_of_what_a_change_wrote_is_found(
    history: list[AuditEvent], model: type[Model], column: str
) -> None:
    escalation_id = history[0].escalation_id
    rows = model._default_manager.filter(
        **({"pk": escalation_id} if model is Escalation else {"escalation_id": escalation_id})
    )
    row = rows.exclude(**{column: ""}).order_by("pk").first()
    assert row is not None
    label = model._meta.label_lower

    # An ordinary UPDATE, as anyone with the application's rights could run it.
    model._default_manager.filter(pk=row.pk).update(**{column: "Rewritten later."})

    report = chain_report(history)
    assert report.broken is None
    assert {m.place for m in report.mismatches} == {f"{label}:{row.pk}.{column}"}
    assert {m.reason for m in report.mismatches} == {"it no longer reads as written"}
    code, _, err = _verify()
    assert code == 1
    assert f"{label}:{row.pk}.{column}: it no longer reads as written" in err


def test_a_deleted_contact_is_found(history: list[AuditEvent]) -> None:
    contact = Contact.objects.get(escalation=_escalation(history))
    Contact.objects.filter(pk=contact.pk).delete()

    [mismatch] = chain_report(history).mismatches
    assert (mismatch.place, mismatch.reason) == (
        f"escalations.contact:{contact.pk}",
        "the row is gone",
    )


# --- reasons kept beside the events ---------------------------------------------------


def test_reasons_are_not_in_the_append_only_rows_but_their_digest_is(
    history: list[AuditEvent],
) -> None:
    escalated = next(e for e in history if e.event == events.STAGE_ESCALATED)

    assert "reason" not in escalated.data
    assert set(escalated.text_digests or {}) == {"reason"}
    assert escalated.texts.get(name="reason").text == "No agreement."


def test_a_changed_reason_is_found(history: list[AuditEvent]) -> None:
    text = EventText.objects.get(event__in=history, name="reason")
    EventText.objects.filter(pk=text.pk).update(text="A kinder reason.")

    [mismatch] = chain_report(history).mismatches
    assert (mismatch.event_id, mismatch.reason) == (text.event_id, "it no longer reads as written")


def test_a_reason_blanked_without_a_recorded_anonymisation_is_found(
    history: list[AuditEvent],
) -> None:
    text = EventText.objects.get(event__in=history, name="reason")
    EventText.objects.filter(pk=text.pk).update(
        text=REMOVED_TEXT, anonymised_at=datetime(2027, 1, 1, tzinfo=UTC)
    )

    [mismatch] = chain_report(history).mismatches
    assert mismatch.reason == "it was blanked with no anonymisation recorded"


def test_after_retention_anonymises_the_escalation_every_chain_still_verifies(
    history: list[AuditEvent],
) -> None:
    escalation = _escalation(history)

    retention.anonymise(escalation, now=datetime(2033, 1, 1, tzinfo=UTC))

    assert set(EventText.objects.values_list("text", flat=True)) == {REMOVED_TEXT}
    report = next(r for r in verify_chains() if r.partnership_id == escalation.partnership_id)
    assert (report.checked, report.broken, report.mismatches) == (len(history) + 1, None, ())
    assert report.anonymised > 5  # the reason, the contact, the raise's narrative, ...
    assert _verify()[0] == 0


def test_a_later_edit_of_an_anonymised_record_is_still_found(history: list[AuditEvent]) -> None:
    escalation = _escalation(history)
    retention.anonymise(escalation, now=datetime(2033, 1, 1, tzinfo=UTC))
    contact = Contact.objects.get(escalation=escalation)

    Contact.objects.filter(pk=contact.pk).update(summary="Invented.")

    assert [m.place for m in chain_report(history).mismatches] == [
        f"escalations.contact:{contact.pk}.summary"
    ]


def test_what_audit_reads_as_anonymised_is_what_retention_writes() -> None:
    assert retention.REMOVED == REMOVED_TEXT
    assert REMOVED_TEXT in ANONYMISED_VALUES


# --- 3. and 4. the purge door and replica mode on PostgreSQL --------------------------


@ON_POSTGRES
def test_replica_mode_does_not_skip_the_triggers(history: list[AuditEvent]) -> None:
    """The test connects as a superuser, the only kind that may set replica mode here."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("SET LOCAL session_replication_role = replica", [])
        _sql("DELETE FROM audit_auditevent WHERE id = %s", [history[-1].pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("SET LOCAL session_replication_role = replica", [])
        _sql("UPDATE audit_auditevent SET data = '{}' WHERE id = %s", [history[2].pk])

    assert AuditEvent.objects.count() == len(history)


@ON_POSTGRES
def test_the_purge_setting_alone_does_not_open_the_door_for_a_role_outside_the_purge_role(
    history: list[AuditEvent],
) -> None:
    """What the review did: one SET, then DELETE. Now the role must be a purger too."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("CREATE ROLE escalate_tamper_outsider NOLOGIN")  # rolled back after
        cursor.execute("GRANT SELECT, DELETE ON audit_auditevent TO escalate_tamper_outsider")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("SET LOCAL ROLE escalate_tamper_outsider", [])
        _sql("SET LOCAL escalate.audit_purge = 'on'", [])
        _sql("DELETE FROM audit_auditevent WHERE id = %s", [history[-1].pk])

    assert AuditEvent.objects.count() == len(history)


def test_the_checkpoints_are_append_only_too(history: list[AuditEvent]) -> None:
    take_checkpoints()
    checkpoint = Checkpoint.objects.get(partnership=_escalation(history).partnership)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("UPDATE audit_checkpoint SET events = 1 WHERE id = %s", [checkpoint.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("DELETE FROM audit_checkpoint WHERE id = %s", [checkpoint.pk])


def test_an_intact_history_reports_every_check_per_partnership(history: list[AuditEvent]) -> None:
    take_checkpoints()

    code, out, err = _verify()

    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"nel: {len(history)} events checked; chain intact; content as written; "
        f"none missing since the checkpoint of {len(history)}"
    )
    assert chain_report(history) == ChainReport(
        history[0].partnership_id,
        "nel",
        len(history),
        tail_missing=0,
        checkpoint_events=len(history),
    )


def test_content_is_checked_a_batch_at_a_time_with_the_same_answers(
    history: list[AuditEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_services, "_CONTENT_BATCH", 1)
    escalation = _escalation(history)
    retention.anonymise(escalation, now=datetime(2033, 1, 1, tzinfo=UTC))
    contact = Contact.objects.get(escalation=escalation)
    Contact.objects.filter(pk=contact.pk).update(summary="Invented.")

    report = chain_report(history)

    assert [m.place for m in report.mismatches] == [f"escalations.contact:{contact.pk}.summary"]
    assert report.anonymised > 5
