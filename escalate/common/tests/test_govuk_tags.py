"""The GOV.UK tag every template draws with ``govuk_tag``, without loading anything."""

from __future__ import annotations

from django.template import engines

from escalate.escalations.presenters import TagView


def draw(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


def test_a_tag_is_drawn_with_its_modifier() -> None:
    drawn = draw("{{ tag|govuk_tag }}", tag=TagView("Overdue", "govuk-tag--red"))

    assert drawn == '<strong class="govuk-tag govuk-tag--red">Overdue</strong>'


def test_no_tag_draws_nothing() -> None:
    assert draw("[{{ tag|govuk_tag }}]", tag=None) == "[]"


def test_a_tag_s_words_are_escaped() -> None:
    drawn = draw("{{ tag|govuk_tag }}", tag=TagView("<b>Invented</b>", "govuk-tag--grey"))

    assert "<b>" not in drawn
    assert "&lt;b&gt;Invented&lt;/b&gt;" in drawn
