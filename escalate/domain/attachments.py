"""Files attached to an escalation: which kinds are accepted, and what makes one refused.

Pure: the adapter (``escalations/attachments.py``) reads the upload, asks a sniffer what its
first bytes say it is, and passes plain facts here. The accepted types are decision 0021's:
PDF, Word (DOCX), OpenDocument text (ODT), plain text, PNG and JPEG, the formats partners
send minutes and letters in and that open without macros.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class AttachmentKind(StrEnum):
    MINUTES = "minutes"
    LETTER = "letter"
    NOTE = "note"
    OTHER = "other"


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", ("pdf",))
DOCX = FileType(
    "Word document (DOCX)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
)
ODT = FileType("OpenDocument text (ODT)", "application/vnd.oasis.opendocument.text", ("odt",))
TEXT = FileType("plain text file", "text/plain", ("txt",))
PNG = FileType("PNG image", "image/png", ("png",))
JPEG = FileType("JPEG image", "image/jpeg", ("jpg", "jpeg"))
ACCEPTED: tuple[FileType, ...] = (PDF, DOCX, ODT, TEXT, PNG, JPEG)
ACCEPTED_WORDS = "PDF, DOCX, ODT, TXT, PNG or JPG"
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for kind in ACCEPTED for ext in kind.extensions)

NAME_MAX_LENGTH = 120
_UNSAFE = re.compile(r"[^\w .()'&,+-]+")


class AttachmentRefused(ValueError):
    """A file that may not be attached; the message is for the person who chose it."""


class AttachmentTooLarge(AttachmentRefused):
    """Refused for its size alone (the API answers 413 rather than 415)."""


def extension_of(name: str) -> str:
    """The lower-case extension of ``name`` without its dot; "" when it has none."""
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def type_for_extension(extension: str) -> FileType | None:
    return next((kind for kind in ACCEPTED if extension in kind.extensions), None)


def clean_file_name(name: str) -> str:
    """The name to show for an uploaded file: its last path part, without control or markup
    characters, at most ``NAME_MAX_LENGTH`` characters with its extension kept. Never used in
    a storage path: the store holds each file under a random key."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", _UNSAFE.sub("_", name)).strip(" .")
    extension = extension_of(name)
    if len(name) > NAME_MAX_LENGTH:
        keep = NAME_MAX_LENGTH - len(extension) - 1
        name = f"{name[:keep].rstrip(' .')}.{extension}" if extension else name[:NAME_MAX_LENGTH]
    return name or "attachment"


def looks_like_text(sample: bytes) -> bool:
    """Whether ``sample`` (the start of a file) reads as UTF-8 text with no NUL byte."""
    if b"\x00" in sample:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def check_file(
    *, name: str, size: int, max_size: int, sniffed: str | None, is_text: bool
) -> FileType:
    """The accepted type of an upload, or ``AttachmentRefused`` saying why it is not.

    ``sniffed`` is the media type its first bytes declare (None when they declare none);
    ``is_text`` whether those bytes read as text. The extension and the content must agree:
    a program renamed ``.pdf`` is refused, and so is a PDF renamed ``.docx``.
    """
    if size <= 0:
        raise AttachmentRefused("The selected file is empty")
    if size > max_size:
        raise AttachmentTooLarge(too_large(max_size))
    wanted = type_for_extension(extension_of(name))
    if wanted is None:
        raise AttachmentRefused(f"The selected file must be a {ACCEPTED_WORDS}")
    # Plain text declares nothing in its first bytes: it must read as text throughout.
    matches = (sniffed is None and is_text) if wanted is TEXT else sniffed == wanted.content_type
    if not matches:
        raise AttachmentRefused(
            f"The selected file's content is not {_article(wanted.label)}: "
            "check it is the file you meant and that its name ends in the right extension"
        )
    return wanted


def too_large(max_size: int) -> str:
    """The refusal of a file over ``max_size`` bytes."""
    return f"The selected file must be smaller than {_megabytes(max_size)}"


def _megabytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:g}MB" if megabytes >= 1 else f"{size // 1024}KB"


def _article(label: str) -> str:
    return f"an {label}" if label[0].lower() in "aeiou" else f"a {label}"


def describe_size(size: int) -> str:
    """'12KB', '1.5MB': how GOV.UK pages write a file's size."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)}KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + "MB"
