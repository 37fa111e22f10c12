"""Files attached to an escalation: attaching one, listing and opening them, and removing them
at the end of the retention period (decision 0021).

Who may attach is the stage machine's answer (``domain/moves.attach_refusal``); which files
are accepted is ``domain/attachments.check_file``'s, from the file's own first bytes (sniffed
with ``filetype``), never its name or the browser's word. Who may download is who sees the
escalation (``access.get_for``). Files are kept through the ``attachments`` store of
``STORAGES`` under random keys; the audit history and logs carry the key's row id, the type,
size and hash, never the file's name, which may name the child.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import filetype  # type: ignore[import-untyped]  # ships no type hints
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.http import Http404, HttpRequest

from escalate.audit import events
from escalate.audit.services import record
from escalate.domain import engine, moves
from escalate.domain.access import Action
from escalate.domain.attachments import (
    AttachmentRefused,
    check_file,
    clean_file_name,
    describe_size,
    too_large,
)
from escalate.escalations import authority
from escalate.escalations.access import ensure_allowed, get_for
from escalate.escalations.models import (
    ATTACHMENTS_FOLDER,
    Attachment,
    Contact,
    Escalation,
    attachment_storage,
)
from escalate.escalations.presenters import moment
from escalate.organisations.models import Person

logger = logging.getLogger(__name__)

SNIFF_BYTES = 8192
"""How much of the start of a file the sniffer reads (``filetype`` reads no more)."""
CHOOSE_KIND = "Select what kind of file it is"
NO_SUCH_CONTACT = "Select a contact recorded on this escalation"

__all__ = ["AttachmentRefused", "attach_file", "attachment_for", "attachments_of"]


@dataclass(frozen=True)
class _Scanned:
    size: int
    sha256: str
    sniffed: str | None
    is_text: bool


def _scan(upload: File) -> _Scanned:  # type: ignore[type-arg]
    """Read the upload once: its size, its SHA-256, what its first bytes say it is, and
    whether all of it reads as UTF-8 text."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""
    size = 0
    is_text = True
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        if is_text:
            try:
                decoder.decode(chunk, final=False)
                is_text = b"\x00" not in chunk
            except UnicodeDecodeError:
                is_text = False
    upload.seek(0)
    return _Scanned(size, digest.hexdigest(), filetype.guess_mime(head) if head else None, is_text)


_TOO_LARGE = "_attachment_too_large"


class _SizeLimitedUpload(FileUploadHandler):
    """First of the request's upload handlers: passes each file's bytes on to the others
    until the file passes the attachment limit, then skips the rest of it, so an over-size
    file is never written out whole, and marks the request so the form can say why."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args: object, **kwargs: object) -> None:
        super().new_file(*args, **kwargs)  # type: ignore[arg-type]
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            setattr(self.request, _TOO_LARGE, True)
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or a temporary file) keeps the file


def limit_upload(request: HttpRequest) -> None:
    """Before the body is read: stop reading any uploaded file at the attachment limit."""
    limit = _SizeLimitedUpload(request, settings.ATTACHMENT_MAX_BYTES)
    request.upload_handlers = [limit, *request.upload_handlers]  # refused once the body is read


def upload_refusal(request: HttpRequest) -> str:
    """Once the body is read: why its file was left out ("" if it was not)."""
    if getattr(request, _TOO_LARGE, False):
        return too_large(settings.ATTACHMENT_MAX_BYTES)
    return ""


def check_upload(upload: File) -> tuple[str, _Scanned, str]:  # type: ignore[type-arg]
    """The cleaned name, the scan and the accepted media type of ``upload``; raises
    ``AttachmentRefused`` with a sentence for the form when it may not be attached."""
    name = clean_file_name(upload.name or "")
    max_size = settings.ATTACHMENT_MAX_BYTES
    declared = upload.size or 0
    if declared > max_size:  # refused before it is read at all
        check_file(name=name, size=declared, max_size=max_size, sniffed=None, is_text=False)
    scanned = _scan(upload)
    accepted = check_file(
        name=name,
        size=scanned.size,
        max_size=max_size,
        sniffed=scanned.sniffed,
        is_text=scanned.is_text,
    )
    return name, scanned, accepted.content_type


def attach_file(
    *,
    escalation: Escalation,
    actor: Person,
    upload: File,  # type: ignore[type-arg]
    kind: str,
    contact_id: int | None = None,
) -> Attachment:
    """Store ``upload`` and record it on ``escalation``, with its history event.

    Raises ``AttachmentRefused`` for a file that may not be attached (type, size, content),
    ``engine.TransitionRefused`` when the stage machine refuses the actor or the kind or
    contact is not one of this escalation's, ``ActionForbidden`` when the actor cannot see
    it. Nothing is kept when it is refused: the file is checked before it is stored, and
    removed again if recording it fails."""
    if kind not in Attachment.Kind.values:
        raise engine.TransitionRefused(CHOOSE_KIND)
    name, scanned, content_type = check_upload(upload)
    attachment = Attachment(
        kind=kind,
        name=name,
        content_type=content_type,
        size=scanned.size,
        sha256=scanned.sha256,
        uploaded_by=actor,
    )
    with transaction.atomic():
        current = _locked_for_attaching(escalation, actor)
        if (
            contact_id is not None
            and not Contact.objects.filter(escalation=current, pk=contact_id).exists()
        ):
            raise engine.TransitionRefused(NO_SUCH_CONTACT)
        attachment.escalation = current
        attachment.stage_number = current.stage_number
        attachment.contact_id = contact_id
        attachment.file.save(name, upload, save=False)  # under a random key: attachment_key
        try:
            attachment.save(force_insert=True)
            record(
                events.ATTACHMENT_ADDED,
                actor=actor,
                escalation=current,
                stage_number=current.stage_number,
                data={
                    "attachment": attachment.pk,
                    "kind": kind,
                    "content_type": content_type,
                    "size": scanned.size,
                    "sha256": scanned.sha256,
                    "contact": contact_id,
                },
            )
        except BaseException:
            attachment_storage().delete(attachment.file.name)
            raise
    return attachment


def _locked_for_attaching(escalation: Escalation, actor: Person) -> Escalation:
    current = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("policy", "partnership")
        .get(pk=escalation.pk)
    )
    ensure_allowed(actor, Action.VIEW, current)
    refusal = attach_refusal_for(actor, current)
    if refusal:
        raise engine.TransitionRefused(refusal)
    return current


def attach_refusal_for(person: Person, escalation: Escalation) -> str:
    """Why ``person`` may not attach a file to ``escalation`` now ("" if they may), from its
    current rows: the service asks this under the lock."""
    return moves.attach_refusal(
        authority.case_of(escalation),
        authority.actor_of(person, escalation.partnership_id),
        escalation.policy.rules,
    )


def may_attach_on_page(person: Person, escalation: Escalation) -> bool:
    """Whether a page shows the way to attach a file: asked of the facts the escalation's
    row stores (``authority.stored_case``), so the page reads nothing more for it."""
    refusal = moves.attach_refusal(
        authority.stored_case(escalation),
        authority.actor_of(person, escalation.partnership_id),
        escalation.policy.rules,
    )
    return not refusal


def attachments_of(escalation: Escalation) -> list[Attachment]:
    """The escalation's attachments, oldest first, with who uploaded each and the contact
    each is about: one query."""
    return list(
        Attachment.objects.filter(escalation=escalation)
        .select_related("uploaded_by", "contact")
        .order_by("uploaded_at", "pk")
    )


def attachment_for(person: Person, pk: str, attachment_id: int) -> Attachment:
    """One attachment of an escalation ``person`` sees; 404 otherwise, the same 404 whether
    the escalation, or the attachment on it, does not exist or may not be seen."""
    return attachment_of(get_for(person, pk), attachment_id)


def attachment_of(escalation: Escalation, attachment_id: int) -> Attachment:
    """One attachment of ``escalation``, already fetched through access; 404 otherwise."""
    attachment = Attachment.objects.filter(escalation=escalation, pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such file.")
    attachment.escalation = escalation
    return attachment


@dataclass(frozen=True)
class AttachmentRow:
    """One attachment as pages show it."""

    name: str
    kind: str
    size: str
    uploaded_by: str
    uploaded_at: str
    """'18 Dec 2026 at 2:05pm', as every page writes a moment."""
    stage_number: int
    url: str
    about: str
    """The contact it is about, as "the telephone contact of 18 December 2026", or ""."""


def attachment_rows(attachments: Iterable[Attachment]) -> list[AttachmentRow]:
    return [
        AttachmentRow(
            name=attachment.name,
            kind=attachment.get_kind_display(),
            size=describe_size(attachment.size),
            uploaded_by=attachment.uploaded_by.name,
            uploaded_at=moment(attachment.uploaded_at),
            stage_number=attachment.stage_number,
            url=attachment.get_absolute_url(),
            about=_about(attachment.contact),
        )
        for attachment in attachments
    ]


def _about(contact: Contact | None) -> str:
    if contact is None:
        return ""
    day = contact.happened_on
    return f"the {contact.get_kind_display().lower()} contact of {day.day} {day:%B %Y}"


def delete_attachments(escalation: Escalation) -> int:
    """Remove every file attached to ``escalation`` and its row, each with its history
    event; the files leave the store once the transaction commits, so a rolled-back
    anonymisation keeps them. Runs inside the caller's transaction (retention)."""
    keys = []
    attachments = list(Attachment.objects.filter(escalation=escalation).order_by("pk"))
    for attachment in attachments:
        record(
            events.ATTACHMENT_DELETED,
            actor=None,
            escalation=escalation,
            stage_number=attachment.stage_number,
            data={"attachment": attachment.pk, "sha256": attachment.sha256},
        )
        keys.append(attachment.file.name)
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    if keys:
        transaction.on_commit(lambda: _remove_from_store(keys))
    return len(attachments)


def _remove_from_store(keys: list[str]) -> None:
    storage = attachment_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # a store that is down must not undo the anonymisation
            logger.exception("Could not delete the stored file %s; delete it by hand.", key)


def attachment_metadata(escalation: Escalation) -> list[dict[str, object]]:
    """What a subject access export says of each attached file."""
    return [
        {
            "name": attachment.name,
            "kind": attachment.kind,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "stage_number": attachment.stage_number,
            "uploaded_by": attachment.uploaded_by.name,
            "uploaded_at": attachment.uploaded_at,
        }
        for attachment in attachments_of(escalation)
    ]


def on_page(person: Person, escalation: Escalation) -> dict[str, object]:
    """The escalation page's ``attachments`` and ``attach_url`` (one query, for the list)."""
    from django.urls import reverse

    may_attach = may_attach_on_page(person, escalation)
    return {
        "attachments": attachment_rows(attachments_of(escalation)),
        "attach_url": reverse("escalations:attach", args=[escalation.pk]) if may_attach else "",
    }


# --- the store and the rows, checked against each other ----------------------------------

UNREFERENCED_GRACE = timedelta(hours=1)
"""A stored file no row names yet may be an upload whose transaction has not committed."""


@dataclass
class StoreReport:
    missing: list[int] = field(default_factory=list)
    """Attachments whose file the store does not have."""
    changed: list[int] = field(default_factory=list)
    """Attachments whose stored file no longer has the SHA-256 recorded when it was attached."""
    unreferenced: list[str] = field(default_factory=list)
    """Keys in the store that no attachment names (a failed deletion, an interrupted upload)."""
    deleted: list[str] = field(default_factory=list)

    @property
    def is_sound(self) -> bool:
        return not self.missing and not self.changed

    def lines(self) -> list[str]:
        lines = [f"Attachment {pk}: its file is missing from the store." for pk in self.missing]
        lines += [f"Attachment {pk}: its file no longer matches its hash." for pk in self.changed]
        lines += [f"Stored file {key} belongs to no attachment." for key in self.unreferenced]
        lines += [
            f"Deleted stored file {key}, which belonged to no attachment." for key in self.deleted
        ]
        return lines or ["Every attachment's file is in the store, and nothing else is."]


def check_store(
    *, now: datetime, read_contents: bool = False, delete_unreferenced: bool = False
) -> StoreReport:
    """Every attachment against the store: files missing, files changed (with
    ``read_contents``, which reads each file), and stored files no row names; with
    ``delete_unreferenced``, those last deleted once older than ``UNREFERENCED_GRACE``."""
    storage = attachment_storage()
    report = StoreReport()
    named: set[str] = set()
    for pk, key, sha256 in Attachment.objects.order_by("pk").values_list("pk", "file", "sha256"):
        named.add(key)
        if not storage.exists(key):
            report.missing.append(pk)
        elif read_contents and _sha256_of(storage, key) != sha256:
            report.changed.append(pk)
    folder = ATTACHMENTS_FOLDER
    stored = storage.listdir(folder)[1] if storage.exists(folder) else []
    for name in sorted(stored):
        key = f"{folder}/{name}"
        if key in named:
            continue
        if delete_unreferenced and storage.get_modified_time(key) < now - UNREFERENCED_GRACE:
            storage.delete(key)
            report.deleted.append(key)
        else:
            report.unreferenced.append(key)
    return report


def _sha256_of(storage: Storage, key: str) -> str:
    digest = hashlib.sha256()
    with storage.open(key, "rb") as stored:
        for chunk in stored.chunks():
            digest.update(chunk)
    return digest.hexdigest()
