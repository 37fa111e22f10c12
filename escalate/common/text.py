"""What free text typed into a form may contain: checked in the forms, before any service runs.

Text is stored as typed and escaped wherever it is shown, so markup, template syntax and
spreadsheet formulas are harmless words here (exports neutralise formulas themselves).
What forms refuse is what cannot be shown faithfully anywhere:

- control characters other than tab and line breaks (a NUL byte, form feeds, escape
  codes): no one types them, and Word documents and PostgreSQL cannot hold some of them;
- in names, references and titles, the Unicode controls that reverse or embed the
  direction of text, which could make a name read as another on screen;
- text made only of invisible characters, which would look like a blank answer.

Every refusal is a form error the person can act on, so nothing is written in part.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

LONG_TEXT_MAX_LENGTH = 20_000
"""Narrative answers: about 3,000 words, far more than any answer in a procedure needs."""
SHORT_TEXT_MAX_LENGTH = 200

# The characters refused, as code point ranges: the API states them in its schema.
# NUL is refused by Django's own CharField validator; its message is set with the others.
CONTROL_RANGES = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F))
DIRECTION_RANGES = ((0x202A, 0x202E), (0x2066, 0x2069))


def _character_class(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in ranges) + "]")


_CONTROL = _character_class(((0x01, 0x08), *CONTROL_RANGES[1:]))
_DIRECTION_CONTROL = _character_class(DIRECTION_RANGES)
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs"})

CONTROL_CHARACTERS = "control_characters"
DIRECTION_CONTROLS = "direction_controls"
INVISIBLE = "invisible"
NULL_CHARACTERS = "null_characters_not_allowed"  # Django's code for a NUL byte


def whole_number(text: str, *, most_digits: int = 9) -> int | None:
    """``text`` as a whole number if it is 1 to ``most_digits`` ASCII digits, else None.

    ``str.isdigit`` alone accepts "²" and other digits ``int`` refuses, and no length
    limit lets a number overflow a date or a database column: both were server errors.
    """
    if not (0 < len(text) <= most_digits and text.isascii() and text.isdigit()):
        return None
    return int(text)


def no_control_characters(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError(
            "Remove the hidden control characters from this text, or type it again",
            code=CONTROL_CHARACTERS,
        )


def no_direction_controls(value: str) -> None:
    if _DIRECTION_CONTROL.search(value):
        raise ValidationError(
            "Remove the hidden characters that change the direction of the text",
            code=DIRECTION_CONTROLS,
        )


def is_invisible(character: str) -> bool:
    """A space, or a formatting or control character: nothing anyone can see."""
    return character.isspace() or unicodedata.category(character) in _INVISIBLE_CATEGORIES


def has_visible_characters(value: str) -> None:
    if value and all(is_invisible(character) for character in value):
        raise ValidationError("Enter some text you can see", code=INVISIBLE)


def text_validators(*, single_line: bool) -> list[Callable[[str], None]]:
    """Validators for a free-text field; ``single_line`` for names, references and titles."""
    validators: list[Callable[[str], None]] = [no_control_characters, has_visible_characters]
    if single_line:
        validators.append(no_direction_controls)
    return validators


def text_error_messages(label: str) -> dict[str, str]:
    """The refusals above, naming the field, as GOV.UK error messages do."""
    control = f"{label} must not contain hidden control characters"
    return {
        CONTROL_CHARACTERS: control,
        NULL_CHARACTERS: control,
        DIRECTION_CONTROLS: f"{label} must not contain hidden characters that change the "
        "direction of the text",
        INVISIBLE: f"{label} must contain some text you can see",
    }


def text_problem(
    value: str,
    label: str,
    *,
    required: bool = True,
    single_line: bool = False,
    max_length: int = LONG_TEXT_MAX_LENGTH,
) -> str:
    """What is wrong with ``value`` as the answer called ``label``, or "" when nothing is.

    The services ask this, so the API and commands refuse what the forms refuse, with the
    same words.
    """
    if "\x00" in value:
        return text_error_messages(label)[NULL_CHARACTERS]
    if not value.strip():
        return f"Enter {label.lower()}" if required else ""
    if len(value) > max_length:
        return f"{label} must be {max_length:,} characters or fewer"
    for check in text_validators(single_line=single_line):
        try:
            check(value)
        except ValidationError as error:
            return text_error_messages(label)[error.code or ""]
    return ""


SEARCH_MAX_LENGTH = 100
"""A search box's longest query, as the API's people search takes."""


def search_problem(query: str) -> str:
    """What is wrong with a search box's ``query``, or "" when it can be run.

    A search is typed text like any answer: one line, no control characters, and above all no
    NUL byte, which PostgreSQL cannot hold and so failed the whole page.
    """
    return text_problem(
        query, "Your search", required=False, single_line=True, max_length=SEARCH_MAX_LENGTH
    )


class TypedText(forms.CharField):
    """A form's free text, its length counted as typed and then trimmed of surrounding
    spaces: the API counts a text's length as sent (decision 23), so the same text gets
    the same answer at both doors. Django's own field trims first, so 20,000 characters
    and a trailing space passed the form and not the API."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strip=False, **kwargs)

    def to_python(self, value: Any) -> str:
        text = str(super().to_python(value))
        if self.max_length is not None and len(text) > self.max_length:
            raise ValidationError(
                self.error_messages.get("max_length", MaxLengthValidator.message),
                code="max_length",
                params={"limit_value": self.max_length, "show_value": len(text)},
            )
        return text.strip()
