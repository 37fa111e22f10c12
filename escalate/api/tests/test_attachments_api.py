"""Attached files through the API (decision 0021): the same service and rules as the pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from escalate.api.tests.conftest import API_URLS, World, client_for
from escalate.audit import events
from escalate.audit.models import AuditEvent, ReadEvent
from escalate.escalations.models import Attachment
from escalate.escalations.tests.attached import MINUTES, attached_to

pytestmark = pytest.mark.urls(API_URLS)

PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"


def url(world: World, rest: str = "") -> str:
    return f"/api/v1/escalations/{world.escalation.pk}/attachments/{rest}"


def test_attaching_a_file_with_a_write_token(world: World) -> None:
    response = client_for(world.raiser).post(
        url(world),
        {"kind": "letter", "file": SimpleUploadedFile("Letter.pdf", PDF_BYTES)},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    attachment = Attachment.objects.get()
    assert body["id"] == attachment.pk
    assert body["name"] == "Letter.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF_BYTES)
    assert body["download"] == url(world, f"{attachment.pk}/")
    assert AuditEvent.objects.filter(event=events.ATTACHMENT_ADDED).count() == 1


def test_a_file_whose_content_is_not_its_type_is_a_problem_on_the_file_field(
    world: World,
) -> None:
    response = client_for(world.raiser).post(
        url(world),
        {"kind": "letter", "file": SimpleUploadedFile("Letter.docx", PDF_BYTES)},
        format="multipart",
    )

    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["pointer"] == "#/file"
    assert "not a Word document" in str(response.json())
    assert not Attachment.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_an_over_size_file_is_a_problem_on_the_file_field(world: World) -> None:
    response = client_for(world.raiser).post(
        url(world),
        {"kind": "letter", "file": SimpleUploadedFile("Big.pdf", PDF_BYTES + b"0" * 200_000)},
        format="multipart",
    )

    assert response.status_code == 413
    assert "smaller than 1KB" in str(response.json())
    assert not Attachment.objects.exists()


def test_a_read_token_may_not_attach(world: World) -> None:
    response = client_for(world.raiser, scope="read").post(
        url(world),
        {"kind": "letter", "file": SimpleUploadedFile("Letter.pdf", PDF_BYTES)},
        format="multipart",
    )

    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_someone_the_stage_machine_refuses_gets_409(world: World) -> None:
    response = client_for(world.business_manager).post(
        url(world),
        {"kind": "letter", "file": SimpleUploadedFile("Letter.pdf", PDF_BYTES)},
        format="multipart",
    )

    assert response.status_code == 409
    assert "Only the people named" in response.json()["detail"]


def test_listing_and_downloading_with_a_read_token(world: World) -> None:
    attachment = attached_to(world.escalation)
    client = client_for(world.counterpart, scope="read")

    listed = client.get(url(world))
    download = client.get(url(world, f"{attachment.pk}/"), HTTP_ACCEPT="text/plain")

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [attachment.pk]
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == MINUTES  # type: ignore[attr-defined]
    assert download["Content-Type"] == "text/plain"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "no-store"
    assert ReadEvent.objects.filter(
        reader=world.counterpart, detail=f"API: attachment {attachment.pk}"
    ).exists()


@pytest.mark.parametrize("rest", ["", "1/"], ids=["list", "download"])
def test_someone_who_cannot_see_the_escalation_gets_404(world: World, rest: str) -> None:
    attachment = attached_to(world.escalation)
    rest = rest.replace("1", str(attachment.pk))

    response = client_for(world.outsider).get(url(world, rest))

    assert response.status_code == 404
    assert not ReadEvent.objects.filter(reader=world.outsider).exists()


@pytest.mark.parametrize(
    "attachment_id", ["999999", "x", "1" * 30], ids=["unknown", "word", "long"]
)
def test_an_unknown_file_is_404(world: World, attachment_id: str) -> None:
    assert client_for(world.raiser).get(url(world, f"{attachment_id}/")).status_code == 404
