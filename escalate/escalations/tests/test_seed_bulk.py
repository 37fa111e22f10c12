"""The bulk seeder writes what the services would: visibility, the chain and raising after."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from escalate.audit.services import verify_chains
from escalate.domain import access
from escalate.domain.policy import LadderRole, SubjectKind
from escalate.escalations import bulk_seed, services
from escalate.escalations.access import escalations_visible_to
from escalate.escalations.models import Escalation, Involvement, StageEntry
from escalate.organisations.models import Person
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
        stored = {row.as_fact() for row in Involvement.objects.filter(escalation=escalation)}
        assert stored == set(access.involvements(escalation.access_facts()))


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
        subject=services.SubjectDetails(kind=SubjectKind.CHILD, name="Robin Invented"),
        other_agency=other.agency,
        counterpart=other,
        category="threshold",
        decision_disputed="The referral was judged below threshold.",
        evidence="",
        desired_outcome="An assessment.",
        today=TODAY,
    )
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
