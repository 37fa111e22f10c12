"""The filters' select draws what Django's template-drawn select draws, and the listed
choice field reads its choices in one plain query."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate.common.widgets import GovukSelect, ListedModelChoiceField
from escalate.escalations.tests.factories import AgencyFactory, shipped_policy
from escalate.organisations.models import Agency

CHOICES = [("", "All stages"), ("1", "Stage 1"), ("2", 'Stage <2> & "more"'), ("3", "Stage 3")]


def attributes(html: str) -> tuple[int, list[tuple[str, ...]]]:
    """How many options, and each tag with its attributes sorted and its text."""
    tags = re.findall(r"<(\w+)([^>]*)>([^<]*)", html)
    return html.count("<option"), [
        (name, *sorted(re.findall(r'(\w[\w-]*)(?:="([^"]*)")?', attrs)), text)
        for name, attrs, text in ((n, a, t.strip()) for n, a, t in tags)
    ]


class Both(forms.Form):
    django = forms.ChoiceField(choices=CHOICES, required=False)
    ours = forms.ChoiceField(choices=CHOICES, required=False, widget=GovukSelect)


@pytest.mark.parametrize("chosen", ["", "2", "3", "not a choice"])
def test_it_draws_the_same_select_as_django(chosen: str) -> None:
    form = Both({"django": chosen, "ours": chosen})
    form.is_valid()
    form.fields["django"].widget.attrs["class"] = "govuk-select"

    django_html = str(form["django"]).replace('"django"', '"X"').replace("id_django", "id_X")
    ours_html = str(form["ours"]).replace('"ours"', '"X"').replace("id_ours", "id_X")

    assert attributes(ours_html) == attributes(django_html)
    assert "&lt;2&gt; &amp; &quot;more&quot;" in ours_html  # labels are escaped
    if chosen == "not a choice":  # the error is announced to screen readers as Django does
        assert 'aria-invalid="true"' in ours_html


@pytest.mark.django_db
def test_the_listed_field_reads_its_choices_in_one_query() -> None:
    partnership = shipped_policy("nel").partnership
    for number in range(5):
        AgencyFactory(partnership=partnership, name=f"Invented Agency {number}")

    class Filter(forms.Form):
        agency = ListedModelChoiceField(
            queryset=Agency.objects.filter(partnership=partnership).order_by("name"),
            required=False,
            empty_label="All agencies",
        )

    with CaptureQueriesContext(connection) as queries:
        html = str(Filter({"agency": ""})["agency"])

    assert len(queries) == 1
    assert "DECLARE" not in queries[0]["sql"].upper()  # not a server-side cursor
    assert html.count("<option") == 6 and 'class="govuk-select"' in html
    chosen = Agency.objects.get(name="Invented Agency 3")
    drawn = str(Filter({"agency": str(chosen.pk)})["agency"])
    assert f'<option value="{chosen.pk}" selected>Invented Agency 3</option>' in drawn
    assert drawn.count(" selected") == 1
