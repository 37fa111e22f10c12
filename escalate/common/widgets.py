"""Form controls for lists' filters, drawn and filled without avoidable cost.

Django renders a select by rendering a template for every option. A list's filter offers
every agency of a partnership (forty or more), so that cost was most of the time it took
to draw a page with no rows at all. These widgets draw what Django's select draws (its
attributes through ``flatatt``, which writes ``True`` as a bare attribute and leaves out
``False`` and ``None``, as the widget templates do; the first chosen option selected), with
``format_html`` in place of templates and of a dict per option. Option groups are not
drawn: no filter has them.

``ListedModelChoiceField`` reads its choices with one plain query. Django's own iterates
``queryset.iterator()``, which on PostgreSQL opens a server-side cursor: four round trips
to the database for a list of forty agencies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class GovukSelect(forms.Select):
    """A ``<select>`` with GOV.UK's class, drawn without a template per option."""

    def __init__(self, attrs: dict[str, Any] | None = None, choices: Any = ()) -> None:
        super().__init__({"class": "govuk-select", **(attrs or {})}, choices)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        # Widget's context, not ChoiceWidget's: that one also builds a dict of attributes per
        # option (``optgroups``), most of what drawing a filter of forty agencies cost.
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            self._options(set(widget["value"])),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options
        )

    def _options(self, chosen: set[str]) -> Iterator[tuple[str, str, Any]]:
        """Each option's value, ``selected`` attribute and label. As Django's select, only
        the first option whose value was chosen is selected."""
        selected_one = False
        for option_value, label in self.choices:
            text = "" if option_value is None else str(option_value)
            is_selected = not selected_one and text in chosen
            selected_one = selected_one or is_selected
            yield text, " selected" if is_selected else "", label


class _ListedChoices(ModelChoiceIterator):
    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # one query, not a server-side cursor
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A ``ModelChoiceField`` for a short list, drawn by ``GovukSelect``."""

    iterator = _ListedChoices
    widget = GovukSelect
