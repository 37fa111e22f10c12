"""The filters every list of escalations offers. ``clean()`` checks shape; selectors filter.

A filter that cannot be used is an error on the form and the list shows unfiltered, so the
page always renders; a page link that cannot be read is an error of its own (``cursor``).
"""

from __future__ import annotations

from typing import Any

from django import forms

from escalate.common.widgets import GovukSelect, ListedModelChoiceField
from escalate.escalations.selectors import ListFilters, ListOptions, ListStatus
from escalate.organisations.models import Agency

STATUS_CHOICES = [
    (ListStatus.OPEN.value, "Open"),
    (ListStatus.CLOSED.value, "Resolved, withdrawn or closed"),
    (ListStatus.ALL.value, "All"),
]
INVALID_CURSOR = "This page link is out of date or was changed: showing the first page."


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=STATUS_CHOICES,
        required=False,
        widget=GovukSelect,
        error_messages={"invalid_choice": "Choose open, resolved, withdrawn or closed, or all."},
    )
    stage = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        widget=GovukSelect,
        error_messages={"invalid_choice": "Choose a stage from the list."},
    )
    agency: forms.ModelChoiceField[Agency] = ListedModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        empty_label="All agencies",
        label="Agency (either side of the disagreement)",
        error_messages={"invalid_choice": "Choose an agency from the list."},
    )
    category = forms.ChoiceField(
        required=False,
        label="Category of disagreement",
        widget=GovukSelect,
        error_messages={"invalid_choice": "Choose a category from the list."},
    )
    overdue_only = forms.BooleanField(required=False, label="Only escalations past their due date")

    def __init__(self, data: Any = None, *, options: ListOptions) -> None:
        super().__init__(data)
        fields = self.fields
        fields["agency"].queryset = options.agencies  # type: ignore[attr-defined]
        fields["stage"].choices = [  # type: ignore[attr-defined]
            ("", "All stages"),
            *((str(number), f"Stage {number}") for number in options.stage_numbers),
        ]
        fields["category"].choices = [  # type: ignore[attr-defined]
            ("", "All categories"),
            *options.categories,
        ]
        fields["overdue_only"].widget.attrs["class"] = "govuk-checkboxes__input"

    def problems(self) -> str:
        """Every error in one line, for responses that are not a page (the CSV export)."""
        return "; ".join(str(error) for errors in self.errors.values() for error in errors)

    def list_filters(self) -> ListFilters:
        """The filters to apply: none but "open" unless the form is bound and valid."""
        if not self.is_bound or not self.is_valid():
            return ListFilters()
        data = self.cleaned_data
        return ListFilters(
            status=ListStatus(data["status"] or ListStatus.OPEN),
            stage_number=data["stage"],
            agency_id=data["agency"].pk if data["agency"] else None,
            category=data["category"],
            overdue_only=data["overdue_only"],
        )

    def cursor_refused(self) -> None:
        """Say the page link could not be used (the list shows its first page)."""
        self.add_error(None, INVALID_CURSOR)
