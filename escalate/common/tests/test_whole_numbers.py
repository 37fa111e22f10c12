"""Numbers typed or sent anywhere are plain ASCII digits of a sensible length: "²" or a
twenty-digit day gets a clear refusal, never a server error."""

from __future__ import annotations

import pytest
from django import forms
from django.test import Client

from escalate.board.dimensions import BadFigure, Figure
from escalate.common.second_factor import CodeForm
from escalate.common.text import whole_number
from escalate.escalations.forms import GovukDateField
from escalate.escalations.tests.factories import PersonFactory


@pytest.mark.parametrize(
    ("text", "number"),
    [("7", 7), ("0042", 42), ("²", None), ("٣", None), ("", None), ("1 ", None), ("-1", None)],
)
def test_a_whole_number_is_ascii_digits_only(text: str, number: int | None) -> None:
    assert whole_number(text) == number


def test_a_whole_number_has_at_most_so_many_digits() -> None:
    assert whole_number("9" * 9) == 999_999_999
    assert whole_number("9" * 10) is None
    assert whole_number("12345", most_digits=4) is None


@pytest.mark.parametrize(
    "parts",
    [["²", "1", "2026"], ["99999999999999999999", "1", "2026"], ["1", "1", "２０２６"]],
)
def test_a_date_that_is_no_date_is_a_form_error(parts: list[str]) -> None:
    field = GovukDateField(label="Date of the contact")

    with pytest.raises(forms.ValidationError, match="must be a real date"):
        field.clean(parts)


def test_a_figure_with_a_number_that_is_no_number_is_refused() -> None:
    with pytest.raises(BadFigure):
        Figure.parse("stage_reached:²")


def test_a_second_factor_code_of_other_digits_is_a_form_error() -> None:
    form = CodeForm(data={"code": "²²²²²²"})

    assert not form.is_valid()
    assert form.errors["code"] == ["The code is 6 digits, like 123456"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/notifications/99999999999999999999/read/",
        "/directory/people/99999999999999999999/edit/",
        "/register/board-actions/99999999999999999999/done/",
    ],
)
def test_an_id_too_long_for_the_database_finds_no_page(client: Client, path: str) -> None:
    client.force_login(PersonFactory().user)

    assert client.post(path).status_code == 404
