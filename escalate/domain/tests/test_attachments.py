"""Which files may be attached, and who may attach them (decision 0021). No database."""

from __future__ import annotations

import pytest

from escalate.domain.attachments import (
    DOCX,
    JPEG,
    PDF,
    TEXT,
    AttachmentRefused,
    check_file,
    clean_file_name,
    describe_size,
    extension_of,
    looks_like_text,
)
from escalate.domain.engine import Status
from escalate.domain.moves import ATTACH_REFUSED, attach_refusal
from escalate.domain.tests.test_deadlines import shipped_rules
from escalate.domain.tests.test_moves import (
    BM,
    OFFICER,
    SCRUTINEER,
    SENCO,
    SUPPORT_WORKER,
    TEACHER,
    WORKER,
    case,
    inactive,
    person,
)

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "sniffed", "is_text", "accepted"),
    [
        ("minutes.pdf", "application/pdf", False, PDF),
        ("Letter.DOCX", DOCX.content_type, False, DOCX),
        ("photo.jpeg", "image/jpeg", False, JPEG),
        ("photo.jpg", "image/jpeg", False, JPEG),
        ("note.txt", None, True, TEXT),
    ],
    ids=["pdf", "docx-upper-case", "jpeg", "jpg", "text"],
)
def test_a_file_whose_content_matches_its_extension_is_accepted(
    name: str, sniffed: str | None, is_text: bool, accepted: object
) -> None:
    found = check_file(name=name, size=100, max_size=10 * MB, sniffed=sniffed, is_text=is_text)

    assert found is accepted


@pytest.mark.parametrize(
    ("name", "size", "sniffed", "is_text", "message"),
    [
        ("minutes.pdf", 0, None, True, "The selected file is empty"),
        ("minutes.pdf", 10 * MB + 1, "application/pdf", False, "smaller than 10MB"),
        ("program.exe", 100, "application/x-msdownload", False, "must be a PDF, DOCX"),
        ("no-extension", 100, "application/pdf", False, "must be a PDF, DOCX"),
        ("renamed.pdf", 100, "application/x-msdownload", False, "content is not a PDF"),
        ("renamed.docx", 100, "application/pdf", False, "not a Word document"),
        ("archive.docx", 100, "application/zip", False, "not a Word document"),
        ("binary.txt", 100, None, False, "not a plain text file"),
        ("pdf-as.txt", 100, "application/pdf", False, "not a plain text file"),
    ],
    ids=[
        "empty",
        "over-size",
        "program",
        "no-extension",
        "program-renamed-pdf",
        "pdf-renamed-docx",
        "zip-renamed-docx",
        "binary-renamed-txt",
        "pdf-renamed-txt",
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused(
    name: str, size: int, sniffed: str | None, is_text: bool, message: str
) -> None:
    with pytest.raises(AttachmentRefused, match=message):
        check_file(name=name, size=size, max_size=10 * MB, sniffed=sniffed, is_text=is_text)


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("minutes.pdf", "minutes.pdf"),
        ("C:\\Users\\sam\\Letter to school.docx", "Letter to school.docx"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("<img src=x onerror=alert(1)>.txt", "_img src_x onerror_alert(1)_.txt"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"),
        ("...", "attachment"),
        ("a" * 200 + ".pdf", "a" * 116 + ".pdf"),
    ],
    ids=["plain", "windows-path", "traversal", "markup", "control-characters", "dots", "long"],
)
def test_file_names_are_cleaned_for_display(given: str, shown: str) -> None:
    assert clean_file_name(given) == shown


def test_extension_is_lower_case_and_needs_a_stem() -> None:
    assert extension_of("A.PDF") == "pdf"
    assert extension_of(".pdf") == ""
    assert extension_of("pdf") == ""


def test_text_is_utf8_without_nul_even_when_cut_mid_character() -> None:
    assert looks_like_text("Minutes – agreed".encode())
    assert looks_like_text("é".encode()[:1])  # the sample may end inside a character
    assert not looks_like_text(b"abc\x00def")
    assert not looks_like_text(b"\xff\xfe\xfa")


def test_sizes_read_as_gov_uk_writes_them() -> None:
    assert describe_size(512) == "512 bytes"
    assert describe_size(12 * 1024) == "12KB"
    assert describe_size(int(1.5 * MB)) == "1.5MB"
    assert describe_size(10 * MB) == "10MB"


# --- who may attach -----------------------------------------------------------------------

RULES = shipped_rules("nel")


@pytest.mark.parametrize(
    ("person_id", "allowed"),
    [
        (TEACHER, True),  # raised it
        (SENCO, True),  # named on it
        (WORKER, True),  # the counterpart, named
        (BM, False),  # sees it, but the stage machine gives them no move at stage 1
        (SUPPORT_WORKER, False),  # in a party agency but not named, and may not act
        (OFFICER, False),  # an agency not in the disagreement
        (SCRUTINEER, False),  # reads the final stage only
    ],
    ids=[
        "raiser",
        "named",
        "counterpart",
        "business-manager",
        "unnamed",
        "unrelated",
        "scrutineer",
    ],
)
def test_who_may_attach_a_file_to_an_open_case(person_id: int, allowed: bool) -> None:
    refusal = attach_refusal(case(1), person(person_id), RULES)

    assert (refusal == "") is allowed
    if not allowed:
        assert refusal == ATTACH_REFUSED


def test_a_resolved_case_waiting_for_its_check_back_takes_files() -> None:
    assert attach_refusal(case(1, Status.RESOLVED), person(TEACHER), RULES) == ""


@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN], ids=["closed", "withdrawn"])
def test_a_finished_case_takes_no_files(status: Status) -> None:
    refusal = attach_refusal(case(1, status), person(TEACHER), RULES)

    assert "no longer attached" in refusal


def test_an_inactive_account_attaches_nothing() -> None:
    assert "not active" in attach_refusal(case(1), inactive(TEACHER), RULES)
