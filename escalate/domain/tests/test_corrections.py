"""Who may correct an entry of the record (decision 0025). No database."""

from __future__ import annotations

import pytest

from escalate.domain.engine import Status
from escalate.domain.moves import CORRECTION_REFUSED, Author, correction_refusal
from escalate.domain.tests.test_moves import (
    BM,
    CARE,
    CARE_LM,
    CHAIR,
    HEALTH_LM,
    OFFICER,
    SCHOOL,
    SCHOOL_DSL,
    SCHOOL_LM,
    SCRUTINEER,
    SENCO,
    TEACHER,
    WORKER,
    case,
    inactive,
    person,
)

TEACHERS_CONTACT = Author(person_id=TEACHER, agency_id=SCHOOL, line_manager_id=SCHOOL_LM)


@pytest.mark.parametrize(
    ("person_id", "allowed"),
    [
        (TEACHER, True),
        (SCHOOL_LM, True),
        (SCHOOL_DSL, True),
        (SENCO, False),
        (WORKER, False),
        (CARE_LM, False),
        (HEALTH_LM, False),
        (OFFICER, False),
        (BM, False),
        (CHAIR, False),
        (SCRUTINEER, False),
    ],
    ids=[
        "the-author",
        "their-line-manager",
        "a-senior-manager-of-their-agency",
        "a-colleague-at-the-same-rung",
        "the-other-agencys-practitioner",
        "the-other-agencys-manager",
        "a-manager-of-an-agency-not-in-the-case",
        "someone-outside-the-case",
        "the-business-manager",
        "the-chair",
        "the-scrutineer",
    ],
)
def test_who_may_correct_a_contact(person_id: int, allowed: bool) -> None:
    refusal = correction_refusal(case(1), person(person_id), TEACHERS_CONTACT)

    assert refusal == ("" if allowed else CORRECTION_REFUSED)


def test_a_line_manager_named_in_the_directory_may_correct_from_another_agency() -> None:
    """The directory's line manager may sit in another agency (a seconded worker)."""
    author = Author(person_id=WORKER, agency_id=CARE, line_manager_id=SCHOOL_LM)

    assert correction_refusal(case(1), person(SCHOOL_LM), author) == ""


def test_a_manager_of_the_authors_agency_must_be_involved_in_the_case() -> None:
    """A chair's decision, written by someone whose agency is not in the disagreement, is
    corrected by them or their line manager, not by their agency's managers at large."""
    author = Author(person_id=CHAIR, agency_id=None)

    assert correction_refusal(case(1), person(SCHOOL_DSL), author) == CORRECTION_REFUSED
    assert correction_refusal(case(1), person(CHAIR), author) == ""


@pytest.mark.parametrize("status", list(Status), ids=[status.value for status in Status])
def test_a_mistake_may_be_put_right_at_any_status(status: Status) -> None:
    assert correction_refusal(case(2, status), person(TEACHER), TEACHERS_CONTACT) == ""


def test_an_inactive_author_corrects_nothing() -> None:
    refusal = correction_refusal(case(1), inactive(TEACHER), TEACHERS_CONTACT)

    assert "not active" in refusal
