"""In a real browser: attach a file from the escalation's page (a plain form post, no
script needed), see it listed, download it, and a refused file's error; each page passes axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from escalate.audit.models import ReadEvent
from escalate.escalations.models import Attachment, Escalation
from escalate.escalations.tests import test_browser_documents as documents
from escalate.escalations.tests.test_browser_documents import sign_in
from escalate.organisations.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINUTES = b"Minutes of the strategy discussion (invented).\n"


raiser = documents.raiser  # the same invented raiser, school and police, one escalation


def test_attaching_a_file_from_the_page_and_downloading_it(
    page: Any, live_server: Any, axe: Any, raiser: Person, tmp_path: Path
) -> None:
    escalation = Escalation.objects.get()
    minutes = tmp_path / "Strategy minutes.txt"
    minutes.write_bytes(MINUTES)
    disguised = tmp_path / "Letter.pdf"
    disguised.write_bytes(MINUTES)  # text, named as a PDF
    sign_in(page, live_server.url, raiser)
    page.goto(f"{live_server.url}{escalation.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Attachments")).to_be_visible()
    expect(page.get_by_text("No files attached yet.")).to_be_visible()

    page.get_by_role("link", name="Attach a file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attach a file")
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()

    page.get_by_label("Upload a file").set_input_files(str(disguised))
    page.get_by_label("Letter").check()
    page.get_by_role("button", name="Attach file").click()
    expect(page.get_by_role("alert")).to_contain_text("content is not a PDF")
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    assert not Attachment.objects.exists()

    page.get_by_label("Upload a file").set_input_files(str(minutes))
    page.get_by_label("Minutes").check()
    page.get_by_role("button", name="Attach file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(escalation.reference)
    expect(page.get_by_role("alert", name="Success")).to_contain_text("File attached")
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()

    with page.expect_download() as info:
        page.get_by_role("link", name="Strategy minutes.txt").click()
    download = info.value
    assert download.suggested_filename == "Strategy minutes.txt"
    assert Path(download.path()).read_bytes() == MINUTES
    attachment = Attachment.objects.get()
    assert ReadEvent.objects.filter(
        reader=raiser, what=ReadEvent.What.DOCUMENT, detail=f"attachment {attachment.pk}"
    ).exists()
