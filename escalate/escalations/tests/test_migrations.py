"""Escalations raised before parties and whose-move existed keep working after migrating."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("escalations", "0003_escalation_anonymised_at_escalation_legal_hold_and_more"),
    ("policies", "0002_retentionrule"),  # before partnerships had reference codes
]
RAISED_ON = date(2026, 11, 2)


def _migrate(targets: list[tuple[str, str]] | None) -> Any:
    """Migrate to ``targets``, or every app to its latest migration (None), and return the
    models as they were then."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_escalations_get_their_parties_and_whose_move() -> None:
    old = _migrate(BEFORE)
    partnership = old.get_model("policies", "Partnership").objects.create(
        slug="migrating", name="Migrating (invented)"
    )
    # A procedure that loads: the stage machine's facts read it (the notification form's rule)
    text = (settings.BASE_DIR / "escalate" / "policies" / "shipped" / "nel.toml").read_text()
    policy = old.get_model("policies", "Policy").objects.create(
        partnership=partnership, version=1, title="Invented", source="x", text=text, sha256="0"
    )
    agency = old.get_model("organisations", "Agency")
    school = agency.objects.create(partnership=partnership, name="School", kind="education")
    care = agency.objects.create(partnership=partnership, name="Care", kind="childrens_social_care")
    person = old.get_model("organisations", "Person")
    teacher = person.objects.create(name="Tess", email="tess@example.org", agency=school)
    worker = person.objects.create(name="Sol", email="sol@example.org", agency=care)
    subject = old.get_model("escalations", "Subject").objects.create(
        partnership=partnership, kind="child", name="Invented"
    )
    escalation = old.get_model("escalations", "Escalation")
    common = {
        "partnership": partnership,
        "policy": policy,
        "subject": subject,
        "raised_by": teacher,
        "raising_agency": school,
        "other_agency": care,
        "final_stage_number": 5,
        "raised_on": RAISED_ON,
        "category": "threshold",
        "decision_disputed": "Invented.",
        "desired_outcome": "Invented.",
    }
    states = {
        "open": ("open", 2, worker),
        "final": ("open", 5, None),
        "resolved": ("resolved", 1, worker),
        "closed": ("closed", 3, None),
        "withdrawn": ("withdrawn", 1, None),
    }
    for name, (status, stage, counterpart) in states.items():
        escalation.objects.create(
            reference=f"ESC-M-{name}",
            status=status,
            stage_number=stage,
            counterpart=counterpart,
            **common,
        )

    new = _migrate(None)  # every app back to its latest, for the tests that follow

    assert new.get_model("policies", "Partnership").objects.get().code == "MIGRATIN"
    migrated = new.get_model("escalations", "Escalation").objects
    waiting = dict(migrated.values_list("reference", "waiting_on"))
    assert waiting == {
        "ESC-M-open": "parties",
        "ESC-M-final": "decision",
        "ESC-M-resolved": "check_back",
        "ESC-M-closed": "nobody",
        "ESC-M-withdrawn": "nobody",
    }
    parties = new.get_model("escalations", "Party").objects
    assert set(
        parties.filter(escalation__reference="ESC-M-open").values_list(
            "agency__name", "side", "practitioner__name", "is_told"
        )
    ) == {("School", "raising", "Tess", True), ("Care", "challenged", "Sol", True)}
    assert parties.count() == 2 * len(states)
    involvement = new.get_model("escalations", "Involvement").objects
    # Everyone who saw an escalation before can find it through the rows after: the raiser,
    # the counterpart whose side was told, and both agencies' overseeing rungs.
    assert set(
        involvement.filter(escalation__reference="ESC-M-open").values_list(
            "why", "person__name", "agency__name"
        )
    ) == {
        ("named", "Tess", None),
        ("named", "Sol", None),
        ("party", None, "School"),
        ("party", None, "Care"),
    }
    assert involvement.filter(escalation__reference="ESC-M-final", person=worker.pk).count() == 0
    # Each row carries its escalation's sort keys, for the lists read from these rows.
    keys = set(involvement.values_list("escalation__reference", "is_open", "due_key", "raised_on"))
    assert {(ref, is_open) for ref, is_open, _, _ in keys} == {
        (f"ESC-M-{name}", status == "open") for name, (status, _, _) in states.items()
    }
    assert {(due, raised) for _, _, due, raised in keys} == {(date(9999, 12, 31), RAISED_ON)}
    # The stage machine's facts, for the lists, are those its rows say (migration 0009).
    from escalate.escalations import authority
    from escalate.escalations.models import Escalation

    for migrated_escalation in Escalation.objects.all():
        assert migrated_escalation.case_facts["parties"]
        stored = authority.stored_case(migrated_escalation)
        assert stored == authority.case_of(migrated_escalation)
