"""The request fields' schemas say exactly what the fields accept: for any text, the
document's pattern matches it if and only if the API takes it. No database."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from escalate.api.fields import (
    NHS_NUMBER_PATTERN,
    ApiNhsNumber,
    ApiText,
    ProcedureKey,
    schema_for,
    short_text,
    text_pattern,
)

# Text as people and attackers type it: any character, with the ones the rules are about
# (controls, direction marks, invisible and space characters) made common.
AWKWARD = "\x00\x01\x0b\x0c\x1b\x7f\x85\x9f\t\n\r \u00a0\u00ad\u200b\u202e\u2066\u3000\ufeff"
texts = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from(AWKWARD)), max_size=12)


def accepted(field: serializers.Field, value: str) -> bool:  # type: ignore[type-arg]
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return False
    return True


@pytest.mark.parametrize("single_line", [True, False])
@pytest.mark.parametrize("allow_blank", [True, False])
@given(value=texts)
@settings(max_examples=300, deadline=None)
@example(value="")
@example(value="   ")
@example(value="\u200b")
@example(value="a\u202e")
@example(value="\x0ca")
@example(value=" a ")
@example(value="\n")
def test_the_pattern_matches_exactly_what_the_field_accepts(
    single_line: bool, allow_blank: bool, value: str
) -> None:
    field = ApiText(single_line=single_line, max_length=50, required=False, allow_blank=allow_blank)
    pattern = schema_for(field)["pattern"]

    # fullmatch: ECMAScript's $ ends the text, where Python's also matches before a last \n.
    assert (re.fullmatch(pattern, value) is not None) == accepted(field, value)


def test_text_is_stored_without_surrounding_spaces() -> None:
    assert short_text().run_validation("  Alex Invented \n") == "Alex Invented"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("Alex\u202eInvented", "direction of the text"),
        ("Alex\x1b[31m", "control characters"),
        ("\u200b\u200b", "some text you can see"),
    ],
)
def test_refused_text_says_why(value: str, says: str) -> None:
    with pytest.raises(serializers.ValidationError, match=says):
        short_text().run_validation(value)


def test_the_single_line_pattern_is_the_same_in_both_dialects() -> None:
    """Every character is written as ``\\uXXXX`` (or as itself beyond the BMP), which
    ECMAScript and Python read alike: no ``\\x``, ``\\p`` or flags."""
    pattern = text_pattern(single_line=True, allow_blank=False)

    assert not re.search(r"\\[xpPU]|\(\?[a-z]", pattern)


@given(digits=st.text("0123456789", min_size=10, max_size=10))
def test_an_nhs_number_of_the_documented_form_is_refused_only_for_its_check_digit(
    digits: str,
) -> None:
    spaced = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    assert re.fullmatch(NHS_NUMBER_PATTERN, spaced)
    field = ApiNhsNumber()

    try:
        stored = field.run_validation(spaced)
    except serializers.ValidationError as refusal:
        assert "valid NHS number" in str(refusal.detail) or "10 digits" in str(refusal.detail)
    else:
        assert stored == digits


def test_a_procedure_key_refuses_a_nul_and_the_schema_says_so() -> None:
    """Schemathesis sent a category holding a NUL that the document allowed (a 400 to a
    schema-valid request); the schema now refuses what the field refuses."""
    key = ProcedureKey()

    assert schema_for(key) == {"pattern": "^[^\\u0000]*$"}
    assert key.run_validation(" early_help ") == " early_help "  # as given, not trimmed
    with pytest.raises(serializers.ValidationError):
        key.run_validation("early\x00help")
