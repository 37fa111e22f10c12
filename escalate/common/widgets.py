"""Form controls for lists' filters, drawn and filled without avoidable cost.

Django renders a select by rendering a template for every option. A list's filter offers
every agency of a partnership (forty or more), so that cost was most of the time it took
to draw a page with no rows at all. These widgets keep Django's own choice of which
options are selected (``Select.optgroups``) and attributes (``flatatt``, which writes
``True`` as a bare attribute and leaves out ``False`` and ``None``, as the widget templates
do); only the drawing moves from templates to ``format_html``. Option groups are not
drawn: no filter has them.

``ListedModelChoiceField`` reads its choices with one plain query. Django's own iterates
``queryset.iterator()``, which on PostgreSQL opens a server-side cursor: four round trips
to the database for a list of forty agencies.
"""

from __future__ import annotations

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
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(option["value"]), flatatt(option["attrs"]), option["label"])
                for _, group, _ in widget["optgroups"]
                for option in group
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options
        )


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
