"""A form's free text and the API's get the same answer for the same text (decision 23).

No database: the two fields alone, the form's ``TypedText`` and the API's ``ApiText``."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from escalate.api.fields import ApiText
from escalate.common.text import TypedText, text_validators

LIMIT = 12


def form_field(*, single_line: bool) -> forms.CharField:
    return TypedText(max_length=LIMIT, validators=text_validators(single_line=single_line))


def api_field(*, single_line: bool) -> ApiText:
    return ApiText(single_line=single_line, max_length=LIMIT)


def accepted_by_form(text: str, *, single_line: bool) -> str | None:
    try:
        return str(form_field(single_line=single_line).clean(text))
    except ValidationError:
        return None


def accepted_by_api(text: str, *, single_line: bool) -> str | None:
    try:
        return str(api_field(single_line=single_line).run_validation(text))
    except serializers.ValidationError:
        return None


def test_the_length_counts_the_text_as_typed() -> None:
    field = form_field(single_line=False)

    assert field.clean("ten chars!  ") == "ten chars!"  # 12 as typed
    with pytest.raises(ValidationError) as refused:
        field.clean("twelve chars ")  # 13 as typed, 12 once trimmed
    assert refused.value.code == "max_length"


def test_spaces_alone_are_no_answer() -> None:
    with pytest.raises(ValidationError) as refused:
        form_field(single_line=False).clean("   ")

    assert refused.value.code == "required"


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(exclude_categories=["Cs"]), max_size=LIMIT + 3))
@example(text="twelve chars ")
@example(text="\u202eRTL")
@example(text="\x00")
@example(text="\u200b")
def test_the_form_and_the_api_give_every_text_the_same_answer(text: str) -> None:
    for single_line in (False, True):
        assert accepted_by_form(text, single_line=single_line) == accepted_by_api(
            text, single_line=single_line
        ), (text, single_line)
