"""The dashboard's filters: partnership, period in whole months, agency and category.

A filter that cannot be used is an error on the form, and the dashboard shows the
partnership's last twelve months instead, so the page always renders.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from escalate.board.figures import BoardFilters
from escalate.common.widgets import GovukSelect, ListedModelChoiceField
from escalate.domain.figures import Month, Period
from escalate.escalations.list_forms import ListFilterForm
from escalate.policies.models import Partnership

MONTHS_OFFERED = 60
"""How far back the period can start: five years of months."""


def month_choices(today: date) -> list[tuple[str, str]]:
    month, choices = Month.of(today), []
    for _ in range(MONTHS_OFFERED):
        choices.append((f"{month.year:04d}-{month.month:02d}", month.label()))
        month = month.previous()
    return choices


def _month(value: str) -> Month:
    year, month = value.split("-")
    return Month(int(year), int(month))


class BoardFilterForm(forms.Form):
    partnership = ListedModelChoiceField(
        queryset=Partnership.objects.none(),
        required=False,
        empty_label=None,
        error_messages={"invalid_choice": "Choose a partnership from the list."},
    )
    from_month = forms.ChoiceField(
        label="From",
        required=False,
        widget=GovukSelect,
        error_messages={"invalid_choice": "Choose the month the period starts from the list."},
    )
    to_month = forms.ChoiceField(
        label="To",
        required=False,
        widget=GovukSelect,
        error_messages={"invalid_choice": "Choose the month the period ends from the list."},
    )
    # The register's own fields, so a figure's filters read as the list behind it does.
    agency = ListFilterForm.base_fields["agency"]
    category = ListFilterForm.base_fields["category"]

    def __init__(
        self,
        data: Any = None,
        *,
        partnerships: Any,
        agencies: Any,
        categories: list[tuple[str, str]],
        today: date,
    ) -> None:
        super().__init__(data)
        self.today = today
        self.fields["partnership"].queryset = partnerships  # type: ignore[attr-defined]
        months = month_choices(today)
        self.fields["from_month"].choices = months  # type: ignore[attr-defined]
        self.fields["to_month"].choices = months  # type: ignore[attr-defined]
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["category"].choices = [("", "All categories"), *categories]  # type: ignore[attr-defined]
        if not self.is_bound:
            default = Period.year_to(Month.of(today))
            self.initial = {"from_month": _value(default.first), "to_month": _value(default.last)}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("from_month"), cleaned.get("to_month")
        if start and end and _month(end).first_day < _month(start).first_day:
            self.add_error("to_month", "The period must end in or after the month it starts.")
        partnership, agency = cleaned.get("partnership"), cleaned.get("agency")
        if partnership and agency and agency.partnership_id != partnership.pk:
            self.add_error("agency", "Choose an agency in the chosen partnership.")
        return cleaned

    def filters(self, default_partnership_id: int) -> BoardFilters:
        """The filters to apply: the last twelve months of the first partnership unless
        the form is bound and valid."""
        default = Period.year_to(Month.of(self.today))
        if not self.is_bound or not self.is_valid():
            return BoardFilters(default_partnership_id, default)
        data = self.cleaned_data
        last = _month(data["to_month"]) if data["to_month"] else default.last
        first = _month(data["from_month"]) if data["from_month"] else Period.year_to(last).first
        return BoardFilters(
            partnership_id=data["partnership"].pk
            if data["partnership"]
            else default_partnership_id,
            period=Period(first, last),
            agency_id=data["agency"].pk if data["agency"] else None,
            category=data["category"] or "",
        )


def _value(month: Month) -> str:
    return f"{month.year:04d}-{month.month:02d}"
