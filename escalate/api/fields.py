"""Request fields that check what the forms check, and tell the OpenAPI document exactly that.

A client reading the document should be able to build a request the API accepts: every
rule the server applies to a single value is in the value's schema (a pattern, a length,
a format), so a schema-valid value is never refused as malformed. Rules that need the
database (a category of this partnership's procedure, an agency of this partnership) are
answered 403, 404 or 409, never 400.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from escalate.calendars import FIRST_YEAR, LAST_YEAR
from escalate.common.text import (
    CONTROL_RANGES,
    DIRECTION_RANGES,
    LONG_TEXT_MAX_LENGTH,
    is_invisible,
    text_validators,
)
from escalate.escalations.identifiers import nhs_number_problem, normalise_nhs_number

NHS_NUMBER_FORMAT = "nhs-number"
"""Ten digits, optionally spaced 3-3-4, whose last digit is the modulus 11 check digit."""


class ApiText(serializers.CharField):
    """Free text, trimmed and then checked by the shared text rules (``common.text``), as
    the forms trim and check it, so each text gets the same answer at every door.

    The length is checked on the text as sent as well as trimmed, so the ``maxLength``
    the document states is never more than the field takes.
    """

    def __init__(self, *, single_line: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.single_line = single_line
        self.validators.extend(text_validators(single_line=single_line))

    def run_validation(self, data: Any = empty) -> Any:
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


def text_pattern(*, single_line: bool, allow_blank: bool) -> str:
    """A regular expression for exactly the text ``ApiText`` accepts: once the spaces
    around it are trimmed, no refused control character and at least one character that
    can be seen (or only spaces, where blank is allowed). Every character is written as
    ``\\uXXXX`` or as itself, which Python and ECMAScript read alike; ``\\s`` is not used,
    as the two dialects disagree on which characters it matches."""
    refused = CONTROL_RANGES + (DIRECTION_RANGES if single_line else ())
    space = f"[{_class(_space_ranges())}]*"
    allowed = f"[^{_class(refused)}]"
    visible = f"[^{_class(refused + _invisible_ranges())}]"
    # Alternatives at the top: written as one run, ``[A]*[V][A]*``, Schemathesis folds the
    # length into each repeat, and its regex engine cannot hold the result.
    branches = [
        f"{space}{visible}{allowed}*{space}",
        f"{space}{allowed}+{visible}{allowed}*{space}",
    ]
    if allow_blank:
        branches.append(space)
    return f"^(?:{'|'.join(branches)})$"


@cache
def _space_ranges() -> tuple[tuple[int, int], ...]:
    """What ``str.strip`` trims."""
    return _ranges_where(str.isspace)


@cache
def _invisible_ranges() -> tuple[tuple[int, int], ...]:
    """Code points ``common.text.is_invisible``: spaces, formatting and control characters."""
    return _ranges_where(is_invisible)


def _ranges_where(test: Callable[[str], bool]) -> tuple[tuple[int, int], ...]:
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if test(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return tuple(ranges)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(
        _escaped(low) if low == high else f"{_escaped(low)}-{_escaped(high)}"
        for low, high in ranges
    )


def _escaped(code: int) -> str:
    """A code point inside a character class: escaped in the BMP, where both dialects read
    ``\\uXXXX``; beyond it the character itself, which both read as one."""
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


class FilterText(serializers.CharField):
    """A text filter in a query string: blank filters nothing; a NUL, which no database
    column holds, is refused, and the schema says so."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_blank=True, **kwargs)


class ProcedureKey(serializers.CharField):
    """One of the procedure's keys (a category, an entry route), as given: the procedure
    refuses any other (409). A NUL, which no column holds, is refused here, and the schema
    says so, as for ``FilterText``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=60, trim_whitespace=False, **kwargs)


def long_text(**kwargs: Any) -> ApiText:
    """A narrative answer: several lines."""
    return ApiText(single_line=False, max_length=LONG_TEXT_MAX_LENGTH, **kwargs)


def optional_long_text(**kwargs: Any) -> ApiText:
    return long_text(required=False, allow_blank=True, default="", **kwargs)


def short_text(*, max_length: int = 200, **kwargs: Any) -> ApiText:
    """A name, reference or title: one line, no direction controls."""
    return ApiText(single_line=True, max_length=max_length, **kwargs)


NHS_NUMBER_PATTERN = "^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$"


class ApiNhsNumber(serializers.CharField):
    """An NHS number as people write it (``943 476 5919``), stored as its ten digits.
    Its check digit is the one rule no pattern states: the document names the format."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            trim_whitespace=False,
            max_length=12,
            required=False,
            allow_blank=True,
            default="",
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not re.fullmatch(NHS_NUMBER_PATTERN, value):
            raise serializers.ValidationError(
                "NHS number must be 10 digits, written together or as 3, 3 and 4 digits"
            )
        problem = nhs_number_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return normalise_nhs_number(value)


def schema_for(field: Any) -> dict[str, Any]:
    """What the document adds to the schema drf-spectacular makes for ``field``."""
    if isinstance(field, ApiText):
        return {
            "pattern": text_pattern(single_line=field.single_line, allow_blank=field.allow_blank)
        }
    if isinstance(field, FilterText | ProcedureKey):
        return {"pattern": "^[^\\u0000]*$"}
    if isinstance(field, ApiNhsNumber):
        return {"pattern": f"^(?:{NHS_NUMBER_PATTERN[1:-1]})?$", "format": NHS_NUMBER_FORMAT}
    if isinstance(field, DayInCalendar):
        return {"pattern": _years_pattern(FIRST_YEAR, LAST_YEAR)}
    if isinstance(field, serializers.ListSerializer):
        limits = {
            "minItems": getattr(field, "min_length", None),
            "maxItems": getattr(field, "max_length", None),
        }
        return {key: value for key, value in limits.items() if value is not None}
    return {}


class DayInCalendar(serializers.DateField):
    """A day in the years the working-day calendars cover (``escalate.calendars``)."""

    def to_internal_value(self, value: Any) -> Any:
        day = super().to_internal_value(value)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise serializers.ValidationError(
                f"Give a day from {FIRST_YEAR} to {LAST_YEAR}, the years the calendars cover."
            )
        return day


def _years_pattern(first: int, last: int) -> str:
    years = "|".join(str(year) for year in range(first, last + 1))
    return f"^(?:{years})-[0-9]{{2}}-[0-9]{{2}}$"
