"""The database itself refuses to change or remove history, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from escalate.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _refused(sql: str, params: list[object] | None = None) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_updating_an_event_with_sql_is_refused(history: list[AuditEvent]) -> None:
    first = history[0]

    _refused("UPDATE audit_auditevent SET event = 'escalation.withdrawn' WHERE id = %s", [first.pk])

    assert AuditEvent.objects.get(pk=first.pk).event == first.event


def test_deleting_an_event_with_sql_is_refused(history: list[AuditEvent]) -> None:
    _refused("DELETE FROM audit_auditevent WHERE id = %s", [history[-1].pk])

    assert AuditEvent.objects.count() == len(history)


def test_the_orm_cannot_change_or_remove_history_either(history: list[AuditEvent]) -> None:
    events = AuditEvent.objects.filter(pk=history[0].pk)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        events.update(data={"rewritten": True})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        events.delete()

    assert AuditEvent.objects.get(pk=history[0].pk).data == history[0].data


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncating_history_is_refused(history: list[AuditEvent]) -> None:
    with connection.cursor() as cursor:  # settle the deferred foreign key checks first
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    _refused("TRUNCATE audit_auditevent CASCADE")

    assert AuditEvent.objects.count() == len(history)
