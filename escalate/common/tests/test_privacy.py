import logging

from escalate.common.privacy import leaked_identifiers


def test_a_logged_subject_name_is_caught() -> None:
    assert leaked_identifiers(["Raised ESC-2026-000001 about Alex Invented"]) == ["Alex Invented"]


def test_references_and_counts_are_not_identifiers() -> None:
    assert leaked_identifiers(["Raised ESC-2026-000001 at stage 1 for agency 4"]) == []


def test_the_suite_wide_check_sees_this_tests_logs(caplog) -> None:
    logging.getLogger("escalate").info("stage escalated for ESC-2026-000001")

    assert leaked_identifiers(record.getMessage() for record in caplog.records) == []
    assert caplog.records, "the autouse check must be capturing log records"
