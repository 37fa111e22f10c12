"""GOV.UK components small enough to draw in Python, loaded into every template.

A tag was an ``{% include %}``: a lookup, a new context and a render for a dozen
characters, about 20 microseconds each, and a list draws three a row.
"""

from __future__ import annotations

from typing import Protocol

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from escalate.domain.figures import count_text

register = template.Library()


class Tag(Protocol):
    text: str
    css: str


@register.filter
def govuk_tag(tag: Tag | None) -> SafeString | str:
    """A GOV.UK tag for ``tag`` (``presenters.TagView``: text and modifier class), or
    nothing where there is none."""
    if not tag:
        return ""
    return format_html('<strong class="govuk-tag {}">{}</strong>', tag.css, tag.text)


@register.filter
def count(number: int | None) -> str:
    """A count as people read it: 83,032, not 83032."""
    return "" if number is None else count_text(number)
