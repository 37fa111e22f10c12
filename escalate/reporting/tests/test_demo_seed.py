from __future__ import annotations

import pytest
from django.core.management import call_command

from escalate.reporting.models import BoardAction, GoodPractice, PracticeIssue

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_learning_loop_made_through_the_services() -> None:
    call_command("load_policies", verbosity=0)

    call_command("seed_demo", stdout=None)

    assert PracticeIssue.objects.count() == 1
    assert sorted(BoardAction.objects.values_list("status", "outcome")) == [
        ("done", "training"),
        ("open", ""),
    ]
    assert GoodPractice.objects.count() == 1
    assert all("(invented)" in row.description for row in BoardAction.objects.all())
