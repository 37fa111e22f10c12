"""Attached files (decision 0021): the service, the pages, the documents, subject access and
retention. Files are stored under the run's temporary MEDIA_ROOT (the root conftest)."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from escalate.audit import events
from escalate.audit.models import AuditEvent, ReadEvent
from escalate.domain import engine
from escalate.escalations import services
from escalate.escalations.access import ActionForbidden
from escalate.escalations.attachments import AttachmentRefused, attach_file
from escalate.escalations.documents import build_record, render_docx, render_pdf
from escalate.escalations.models import Attachment, Escalation, attachment_storage
from escalate.escalations.retention import apply_retention
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
)
from escalate.organisations.models import Person
from escalate.policies.models import RetentionRule

pytestmark = pytest.mark.django_db

RAISED = date(2026, 12, 18)
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def docx_bytes() -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("Minutes of the strategy discussion.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class World:
    def __init__(self) -> None:
        self.school = AgencyFactory(name="Brookfield Primary")
        self.social_care = AgencyFactory(
            name="Children's Social Care", kind="childrens_social_care"
        )
        self.police = AgencyFactory(name="Invented Police", kind="police")
        self.raiser = PersonFactory(agency=self.school, name="Sam Raiser")
        self.counterpart = PersonFactory(agency=self.social_care, name="Kim Other")
        self.outsider = PersonFactory(
            agency=self.police, name="Pat Outsider", ladder_role="line_manager"
        )
        self.escalation = raise_for(
            raised_by=self.raiser,
            other_agency=self.social_care,
            counterpart=self.counterpart,
            today=RAISED,
        )


@pytest.fixture
def world() -> World:
    return World()


def upload(name: str = "minutes.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def attach(world: World, *, actor: Person | None = None, **kwargs: object) -> Attachment:
    arguments: dict[str, object] = {"upload": upload(), "kind": "minutes"}
    arguments.update(kwargs)
    return attach_file(escalation=world.escalation, actor=actor or world.raiser, **arguments)


def stored_keys() -> list[str]:
    storage = attachment_storage()
    return sorted(storage.listdir("attachments")[1]) if storage.exists("attachments") else []


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


# --- the service ------------------------------------------------------------------------


def test_attaching_stores_the_file_under_a_random_key_and_records_it(world: World) -> None:
    attachment = attach(world, upload=upload("Letter to Alex Invented.pdf"))

    assert attachment.name == "Letter to Alex Invented.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF_BYTES)
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert attachment.stage_number == 1
    assert attachment.uploaded_by == world.raiser
    key = attachment.file.name
    assert key.startswith("attachments/")
    assert "Alex" not in key and "Letter" not in key and not key.endswith(".pdf")
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF_BYTES
    event = AuditEvent.objects.get(event=events.ATTACHMENT_ADDED)
    assert event.actor == world.raiser
    assert event.escalation_id == world.escalation.pk
    assert event.data["attachment"] == attachment.pk
    assert event.data["sha256"] == attachment.sha256
    assert "Alex" not in json.dumps(event.data)  # the file's name is never in the history


@pytest.mark.parametrize(
    ("name", "content", "accepted_type"),
    [
        ("letter.docx", docx_bytes(), "wordprocessingml"),
        ("photo.png", PNG_BYTES, "image/png"),
        ("note.txt", "Agreed the plan – see minutes.".encode(), "text/plain"),
    ],
    ids=["docx", "png", "text"],
)
def test_each_accepted_type_is_stored_with_its_sniffed_type(
    world: World, name: str, content: bytes, accepted_type: str
) -> None:
    attachment = attach(world, upload=upload(name, content), kind="letter")

    assert accepted_type in attachment.content_type


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("minutes.pdf", b"", "The selected file is empty"),
        ("program.pdf", b"MZ\x90\x00" + b"\x00" * 60, "content is not a PDF"),
        ("minutes.docx", PDF_BYTES, "not a Word document"),
        ("binary.txt", b"\x00\x01\x02\xff", "not a plain text file"),
        ("script.exe", PDF_BYTES, "must be a PDF, DOCX"),
    ],
    ids=["empty", "program-as-pdf", "pdf-as-docx", "binary-as-text", "extension"],
)
def test_a_refused_file_leaves_nothing_stored(
    world: World, name: str, content: bytes, message: str
) -> None:
    before = stored_keys()

    with pytest.raises(AttachmentRefused, match=message):
        attach(world, upload=upload(name, content))

    assert stored_keys() == before
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(event=events.ATTACHMENT_ADDED).exists()


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_an_over_size_file_is_refused_before_it_is_read(world: World) -> None:
    before = stored_keys()

    with pytest.raises(AttachmentRefused, match="smaller than 1KB"):
        attach(world, upload=upload("big.pdf", PDF_BYTES + b"0" * 2048))

    assert stored_keys() == before
    assert not Attachment.objects.exists()


def test_someone_who_may_not_act_is_refused_with_the_stage_machines_reason(
    world: World,
) -> None:
    colleague = PersonFactory(agency=world.social_care, name="Unnamed Worker")
    # A practitioner of a party agency, named nowhere: they cannot even see the case.
    with pytest.raises(ActionForbidden):
        attach(world, actor=colleague)
    business_manager = partnership_person(role="business_manager")
    # The business manager sees it but has no move at stage 1.
    with pytest.raises(engine.TransitionRefused, match="Only the people named"):
        attach(world, actor=business_manager)

    assert not Attachment.objects.exists()


def test_a_contact_of_another_escalation_is_refused(world: World) -> None:
    other = raise_for(raised_by=world.raiser, other_agency=world.social_care, today=RAISED)
    contact = services.record_contact(
        escalation=other,
        actor=world.raiser,
        kind="telephone",
        between="Raiser and duty worker",
        summary="Talked.",
        outcome="Talk again.",
        decision_makers="",
        happened_on=RAISED,
        today=RAISED,
    )

    with pytest.raises(engine.TransitionRefused, match="Select a contact"):
        attach(world, contact_id=contact.pk)


def test_a_withdrawn_escalation_takes_no_files(world: World) -> None:
    services.withdraw_escalation(
        escalation=world.escalation, actor=world.raiser, reason="Moved away.", today=RAISED
    )
    world.escalation.refresh_from_db()

    with pytest.raises(engine.TransitionRefused, match="no longer attached"):
        attach(world)


# --- the pages --------------------------------------------------------------------------


def test_the_escalation_page_lists_its_files_and_offers_to_attach(world: World) -> None:
    attachment = attach(world, upload=upload("Strategy minutes.pdf"))

    page = client_for(world.raiser).get(world.escalation.get_absolute_url()).content.decode()

    assert "Strategy minutes.pdf" in page
    assert attachment.get_absolute_url() in page
    assert reverse("escalations:attach", args=[world.escalation.pk]) in page


def test_a_file_about_a_contact_says_so_on_the_page(world: World) -> None:
    contact = services.record_contact(
        escalation=world.escalation,
        actor=world.raiser,
        kind="meeting",
        between="Raiser and team manager",
        summary="Talked.",
        outcome="Strategy discussion booked.",
        decision_makers="",
        happened_on=RAISED,
        today=RAISED,
    )
    url = reverse("escalations:attach", args=[world.escalation.pk])
    client = client_for(world.raiser)

    assert "Stage 1: Meeting on 18 December 2026" in client.get(url).content.decode()
    client.post(url, {"kind": "minutes", "contact": str(contact.pk), "file": upload()})

    assert Attachment.objects.get().contact == contact
    page = client.get(world.escalation.get_absolute_url()).content.decode()
    assert "About the meeting contact of 18 December 2026" in page


def test_attaching_from_the_page(world: World) -> None:
    url = reverse("escalations:attach", args=[world.escalation.pk])
    client = client_for(world.raiser)

    assert 'enctype="multipart/form-data"' in client.get(url).content.decode()
    response = client.post(url, {"kind": "letter", "file": upload("letter.pdf")})

    assert response.status_code == 302
    assert Attachment.objects.get().name == "letter.pdf"


def test_a_mismatched_file_is_an_error_on_the_file_field(world: World) -> None:
    url = reverse("escalations:attach", args=[world.escalation.pk])

    response = client_for(world.raiser).post(
        url, {"kind": "letter", "file": upload("letter.docx", PDF_BYTES)}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-file-upload--error" in page
    assert "not a Word document" in page
    assert 'href="#id_file"' in page
    assert not Attachment.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_an_over_size_file_is_left_unread_and_the_form_says_why(world: World) -> None:
    url = reverse("escalations:attach", args=[world.escalation.pk])
    before = stored_keys()

    response = client_for(world.raiser).post(
        url, {"kind": "letter", "file": upload("big.pdf", PDF_BYTES + b"0" * 200_000)}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The selected file must be smaller than 1KB" in page
    assert "Select a file" not in page
    assert stored_keys() == before
    assert not Attachment.objects.exists()


def test_attaching_still_checks_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.raiser.user)
    url = reverse("escalations:attach", args=[world.escalation.pk])

    response = client.post(url, {"kind": "letter", "file": upload()})

    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_no_file_chosen_is_an_error_on_the_form(world: World) -> None:
    url = reverse("escalations:attach", args=[world.escalation.pk])

    page = client_for(world.raiser).post(url, {"kind": "letter"}).content.decode()

    assert "Select a file" in page


def test_downloading_streams_the_file_and_records_the_read(world: World) -> None:
    attachment = attach(world, upload=upload("Strategy minutes.pdf"))

    response = client_for(world.counterpart).get(attachment.get_absolute_url())

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Strategy minutes.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    read = ReadEvent.objects.get(reader=world.counterpart, what=ReadEvent.What.DOCUMENT)
    assert read.escalation_id == world.escalation.pk
    assert read.detail == f"attachment {attachment.pk}"


def test_a_file_the_store_lost_is_404_not_a_server_error(world: World) -> None:
    attachment = attach(world)
    attachment_storage().delete(attachment.file.name)

    assert client_for(world.raiser).get(attachment.get_absolute_url()).status_code == 404


def test_an_outsider_gets_404_and_leaves_no_read(world: World) -> None:
    attachment = attach(world)
    client = client_for(world.outsider)

    download = client.get(attachment.get_absolute_url())
    form = client.get(reverse("escalations:attach", args=[world.escalation.pk]))

    assert download.status_code == 404
    assert form.status_code == 404
    assert not ReadEvent.objects.filter(reader=world.outsider).exists()


def test_a_file_of_another_escalation_is_404(world: World) -> None:
    attachment = attach(world)
    other = raise_for(raised_by=world.raiser, other_agency=world.social_care, today=RAISED)
    url = reverse("escalations:attachment", kwargs={"pk": other.pk, "attachment_id": attachment.pk})

    assert client_for(world.raiser).get(url).status_code == 404


def test_someone_who_sees_but_may_not_attach_gets_the_refusal(world: World) -> None:
    business_manager = partnership_person(role="business_manager")
    client = client_for(business_manager)

    form = client.get(reverse("escalations:attach", args=[world.escalation.pk]))
    page = client.get(world.escalation.get_absolute_url()).content.decode()

    assert form.status_code == 403
    assert "Only the people named" in form.content.decode()
    assert reverse("escalations:attach", args=[world.escalation.pk]) not in page


# --- documents, subject access, retention -----------------------------------------------


def test_the_record_lists_the_files_but_not_their_content(world: World) -> None:
    attach(world, upload=upload("Strategy minutes.pdf"))

    record = build_record(world.escalation, prepared_on=RAISED)

    assert [(line.name, line.kind) for line in record.attachments] == [
        ("Strategy minutes.pdf", "Minutes")
    ]
    from docx import Document

    document = Document(io.BytesIO(render_docx(record)))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "Strategy minutes.pdf" in cells
    assert "Minutes" in cells
    assert render_pdf(record).startswith(b"%PDF")


def test_the_pdf_html_lists_the_files(world: World) -> None:
    from escalate.escalations.documents import record_html

    attach(world, upload=upload("Strategy minutes.pdf"))

    html = record_html(build_record(world.escalation, prepared_on=RAISED))

    assert "Attached files" in html
    assert "Strategy minutes.pdf" in html


def test_the_subject_access_export_lists_the_files(world: World) -> None:
    attachment = attach(world, upload=upload("Strategy minutes.pdf"))
    officer = partnership_person(role="data_protection_officer")

    response = client_for(officer).get(
        reverse("subject_access_export", args=[world.escalation.subject_id])
    )

    files = json.loads(response.content)["escalations"][0]["attachments"]
    assert files == [
        {
            "name": "Strategy minutes.pdf",
            "kind": "minutes",
            "content_type": "application/pdf",
            "size": len(PDF_BYTES),
            "sha256": attachment.sha256,
            "stage_number": 1,
            "uploaded_by": "Sam Raiser",
            "uploaded_at": json.loads(response.content)["escalations"][0]["attachments"][0][
                "uploaded_at"
            ],
        }
    ]


def test_retention_deletes_the_files_and_their_rows(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    attachment = attach(world)
    key = attachment.file.name
    other = raise_for(raised_by=world.raiser, other_agency=world.social_care, today=RAISED)
    kept = attach_file(escalation=other, actor=world.raiser, upload=upload(), kind="note")
    services.withdraw_escalation(
        escalation=world.escalation, actor=world.raiser, reason="Moved away.", today=RAISED
    )
    RetentionRule.objects.create(
        partnership=world.escalation.partnership,
        record_type=RetentionRule.RecordType.WITHDRAWN_ESCALATION,
        keep_for_days=365,
    )
    assert attachment_storage().exists(key)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        report = apply_retention(now=timezone.now() + timedelta(days=366))

    assert report.anonymised["nel"] == 1
    assert not Attachment.objects.filter(escalation=world.escalation).exists()
    assert not attachment_storage().exists(key)
    assert attachment_storage().exists(kept.file.name)  # another case's files stay
    deleted = AuditEvent.objects.get(event=events.ATTACHMENT_DELETED)
    assert deleted.escalation_id == world.escalation.pk
    assert deleted.data == {"attachment": attachment.pk, "sha256": attachment.sha256}
    assert Escalation.objects.get(pk=world.escalation.pk).anonymised_at is not None


def test_a_failing_store_does_not_undo_the_anonymisation(
    world: World, django_capture_on_commit_callbacks: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    attach(world)
    services.withdraw_escalation(
        escalation=world.escalation, actor=world.raiser, reason="Moved away.", today=RAISED
    )
    RetentionRule.objects.create(
        partnership=world.escalation.partnership,
        record_type=RetentionRule.RecordType.WITHDRAWN_ESCALATION,
        keep_for_days=1,
    )

    def refuse(name: str) -> None:
        raise OSError("store unavailable")

    monkeypatch.setattr(attachment_storage(), "delete", refuse)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        apply_retention(now=timezone.now() + timedelta(days=2))

    assert Escalation.objects.get(pk=world.escalation.pk).anonymised_at is not None
    assert not Attachment.objects.exists()


def test_storage_keys_hold_nothing_of_the_upload(world: World) -> None:
    first = attach(world, upload=upload("same.pdf"))
    second = attach(world, upload=upload("same.pdf"))

    assert first.file.name != second.file.name  # random keys, not the name or the content


# --- where the files are kept -----------------------------------------------------------


def test_the_files_are_kept_on_the_file_system_unless_s3_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    from config.settings import attachments as attachment_settings

    monkeypatch.setenv("ESCALATE_ATTACHMENT_STORAGE", "s3")
    monkeypatch.setenv("ESCALATE_ATTACHMENT_BUCKET", "invented-bucket")
    s3 = importlib.reload(attachment_settings).STORAGES["attachments"]
    monkeypatch.delenv("ESCALATE_ATTACHMENT_STORAGE")
    default = importlib.reload(attachment_settings).STORAGES["attachments"]

    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"]["bucket_name"] == "invented-bucket"
    assert s3["OPTIONS"]["default_acl"] == "private"
    assert s3["OPTIONS"]["file_overwrite"] is False
    assert default == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


# --- the store checked against the rows --------------------------------------------------


@pytest.fixture
def own_store(settings: Any, tmp_path: Path) -> None:
    """A store of this test's own: the run's shared folder holds other tests' files."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_checking_the_store_finds_missing_changed_and_unreferenced_files(
    world: World, own_store: None
) -> None:
    from django.core.management import CommandError, call_command

    from escalate.escalations.attachments import check_store

    kept, lost, altered = attach(world), attach(world), attach(world)
    storage = attachment_storage()
    storage.delete(lost.file.name)
    with open(storage.path(altered.file.name), "ab") as stored:
        stored.write(b"changed")
    stray = storage.save("attachments/0123456789abcdef0123456789abcdef", io.BytesIO(b"x"))
    now = timezone.now()

    quick = check_store(now=now)
    thorough = check_store(now=now, read_contents=True, delete_unreferenced=True)

    assert quick.missing == [lost.pk]
    assert quick.changed == []  # reading every file is asked for
    assert quick.unreferenced == [stray]
    assert thorough.changed == [altered.pk]
    assert stray in thorough.unreferenced  # too new to be anything but an upload under way
    assert kept.pk not in thorough.missing + thorough.changed
    with pytest.raises(CommandError):
        call_command("check_attachments", stdout=io.StringIO())


def test_an_unreferenced_file_an_hour_old_is_deleted_when_asked(
    world: World, own_store: None
) -> None:
    from escalate.escalations.attachments import check_store

    kept = attach(world)
    storage = attachment_storage()
    stray = storage.save("attachments/0123456789abcdef0123456789abcdef", io.BytesIO(b"x"))

    report = check_store(
        now=timezone.now() + timedelta(hours=2), read_contents=True, delete_unreferenced=True
    )

    assert report.deleted == [stray]
    assert not storage.exists(stray)
    assert storage.exists(kept.file.name)
    assert report.is_sound
