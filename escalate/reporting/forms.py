"""Filter and entry forms for the register. ``clean()`` checks shape; services check rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet

from escalate.board.dimensions import BadFigure, Figure
from escalate.common.text import (
    LONG_TEXT_MAX_LENGTH,
    TypedText,
    text_error_messages,
    text_validators,
)
from escalate.common.widgets import GovukSelect, ListedModelChoiceField
from escalate.escalations.list_forms import ListFilterForm
from escalate.escalations.selectors import ListOptions, ListStatus
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Partnership
from escalate.reporting.models import BoardAction, PracticeIssue
from escalate.reporting.selectors import (
    BoardActionShow,
    PracticeIssueFilters,
    RegisterFilters,
    RegisterOptions,
)

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y"]


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "govuk-input"}, format="%Y-%m-%d"),
        error_messages={"invalid": f"{label} must be a real date, like 18/12/2026."},
    )


class _DateRangeMixin:
    """Checks that the 'from' date is not after the 'to' date."""

    range_fields: tuple[str, str]

    def check_range(self, cleaned: dict[str, Any]) -> None:
        start_name, end_name = self.range_fields
        start: date | None = cleaned.get(start_name)
        end: date | None = cleaned.get(end_name)
        if start and end and start > end:
            self.add_error(  # type: ignore[attr-defined]
                end_name, "The end date must be the same as or after the start date."
            )


class RegisterFilterForm(_DateRangeMixin, ListFilterForm):
    """The filters every list has (``ListFilterForm``), with a partnership and raise dates."""

    range_fields = ("raised_from", "raised_to")

    partnership = ListedModelChoiceField(
        queryset=Partnership.objects.none(),
        required=False,
        empty_label="All partnerships",
        error_messages={"invalid_choice": "Choose a partnership from the list."},
    )
    raised_from = _date_field("Raised from")
    raised_to = _date_field("Raised to")
    reference = forms.CharField(
        label="Reference",
        required=False,
        max_length=20,
        help_text="The whole reference, for example NEL-2026-000123.",
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20"}),
        error_messages={"max_length": "A reference is at most 20 characters."},
    )
    figure = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = [
        "reference",
        "status",
        "partnership",
        "agency",
        "category",
        "stage",
        "raised_from",
        "raised_to",
        "overdue_only",
    ]

    def __init__(self, data: Any = None, *, options: RegisterOptions) -> None:
        super().__init__(
            data,
            options=ListOptions(
                agencies=options.agencies,
                categories=options.categories,
                stage_numbers=options.stage_numbers,
            ),
        )
        self.fields["partnership"].queryset = options.partnerships  # type: ignore[attr-defined]

    def clean_reference(self) -> str:
        return str(self.cleaned_data["reference"]).strip().upper()

    figure_refused = False
    """A dashboard figure in the link that names nothing: the register shows with the link's
    other filters and says so, rather than refusing them all."""

    def clean_figure(self) -> Figure | None:
        text = str(self.cleaned_data["figure"]).strip()
        if not text:
            return None
        try:
            return Figure.parse(text)
        except BadFigure:
            self.figure_refused = True
            return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.check_range(cleaned)
        partnership, agency = cleaned.get("partnership"), cleaned.get("agency")
        if partnership and agency and agency.partnership_id != partnership.pk:
            self.add_error("agency", "Choose an agency in the chosen partnership.")
        return cleaned

    def filters(self) -> RegisterFilters:
        """The filters to apply: only "open" unless the form is bound and valid."""
        if not self.is_bound or not self.is_valid():
            return RegisterFilters()
        data, common = self.cleaned_data, self.list_filters()
        return RegisterFilters(
            status=common.status,
            partnership_id=data["partnership"].pk if data["partnership"] else None,
            stage_number=common.stage_number,
            agency_id=common.agency_id,
            category=common.category,
            overdue_only=common.overdue_only,
            raised_from=data["raised_from"],
            raised_to=data["raised_to"],
            reference=data["reference"],
            figure=data["figure"],
        )

    def description(self) -> str:
        """The filters in use, in a few words, for the read trail of an export."""
        if not self.is_bound or not self.is_valid():
            return "status=open"
        used = {
            name: value
            for name, value in self.data.items()
            if name in self.fields and name != "cursor" and value
        }
        used.setdefault("status", ListStatus.OPEN.value)
        return " ".join(f"{name}={value}" for name, value in sorted(used.items()))


class PracticeIssueFilterForm(_DateRangeMixin, forms.Form):
    range_fields = ("recorded_from", "recorded_to")
    STATUS_CHOICES = [("", "Resolved or not"), ("open", "Not resolved"), ("resolved", "Resolved")]
    SHOW_CHOICES = [("all", "Every update"), ("latest", "Latest update for each escalation")]

    partnership = ListedModelChoiceField(
        queryset=Partnership.objects.none(), required=False, empty_label="All partnerships"
    )
    lead_agency = ListedModelChoiceField(
        queryset=Agency.objects.none(), required=False, empty_label="All lead agencies"
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, widget=GovukSelect)
    show = forms.ChoiceField(choices=SHOW_CHOICES, required=False, widget=GovukSelect)
    recorded_from = _date_field("Recorded from")
    recorded_to = _date_field("Recorded to")

    def __init__(self, data: Any = None, *, options: RegisterOptions) -> None:
        super().__init__(data)
        self.fields["partnership"].queryset = options.partnerships  # type: ignore[attr-defined]
        self.fields["lead_agency"].queryset = options.agencies  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.check_range(cleaned)
        return cleaned

    def filters(self) -> PracticeIssueFilters:
        if not self.is_bound or not self.is_valid():
            return PracticeIssueFilters()
        data = self.cleaned_data
        return PracticeIssueFilters(
            partnership_id=data["partnership"].pk if data["partnership"] else None,
            lead_agency_id=data["lead_agency"].pk if data["lead_agency"] else None,
            is_resolved={"open": False, "resolved": True}.get(data["status"]),
            latest_only=data["show"] == "latest",
            recorded_from=data["recorded_from"],
            recorded_to=data["recorded_to"],
        )


class PracticeIssueForm(forms.Form):
    issue = TypedText(
        label="What policy or practice issue has this escalation shown?",
        help_text="Describe the gap in policy, procedure or practice, or what remains of it. "
        "Do not include the child's or adult's name.",
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 6}),
        validators=text_validators(single_line=False),
        error_messages={
            "required": "Describe the policy or practice issue.",
            "max_length": "The policy or practice issue must be "
            f"{LONG_TEXT_MAX_LENGTH:,} characters or fewer.",
            **text_error_messages("The policy or practice issue"),
        },
    )
    is_resolved = forms.TypedChoiceField(
        label="Has the issue been resolved?",
        choices=[("no", "No, it is still open"), ("yes", "Yes, it has been resolved")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the issue has been resolved."},
    )


class PracticeIssueEntryForm(PracticeIssueForm):
    """The notification form, pre-filled with the previous update so it is updated, not
    retyped."""

    def __init__(self, data: Any = None, *, previous: PracticeIssue | None) -> None:
        super().__init__(data, initial={"issue": previous.issue} if previous else None)


def _long_text(label: str, *, required_message: str, help_text: str = "") -> forms.CharField:
    """Narrative, as long and counted as the API's (as typed, then trimmed: decision 23)."""
    return TypedText(
        label=label,
        help_text=help_text,
        required=bool(required_message),
        max_length=LONG_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 5}),
        validators=text_validators(single_line=False),
        error_messages={
            "required": required_message,
            "max_length": f"{label} must be {LONG_TEXT_MAX_LENGTH:,} characters or fewer.",
            **text_error_messages(label),
        },
    )


class BoardActionForm(forms.Form):
    description = _long_text(
        "What will the board do?",
        required_message="Describe what the board will do.",
        help_text="For example, revise the threshold guidance or run a multi-agency briefing.",
    )
    owner = ListedModelChoiceField(
        label="Who owns it",
        queryset=Person.objects.none(),
        empty_label="Choose a person",
        error_messages={
            "required": "Choose who owns the board action.",
            "invalid_choice": "Choose a person from the list.",
        },
    )
    due_on = _date_field("Due date")

    def __init__(self, data: Any = None, *, owners: QuerySet[Person]) -> None:
        super().__init__(data)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["due_on"].required = True
        self.fields["due_on"].error_messages["required"] = "Enter the due date."


class BoardActionDoneForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What was the outcome?",
        choices=BoardAction.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the outcome.",
            "invalid_choice": "Choose the outcome.",
        },
    )
    note = _long_text(
        "Note",
        required_message="",
        help_text="What changed, or why nothing needed to. Do not include anyone's name.",
    )


class BoardActionFilterForm(forms.Form):
    show = forms.ChoiceField(
        label="Show",
        choices=[
            (BoardActionShow.OPEN.value, "Open"),
            (BoardActionShow.DONE.value, "Done"),
            (BoardActionShow.ALL.value, "All"),
        ],
        required=False,
        widget=GovukSelect,
    )

    def chosen(self) -> BoardActionShow:
        """Open unless the form is bound and valid."""
        if not self.is_bound or not self.is_valid() or not self.cleaned_data["show"]:
            return BoardActionShow.OPEN
        return BoardActionShow(self.cleaned_data["show"])


class GoodPracticeForm(forms.Form):
    description = _long_text(
        "What good multi-agency practice did you see?",
        required_message="Describe the good practice you saw.",
        help_text="For example, information shared quickly or a joint visit. "
        "Do not include the child's or adult's name.",
    )
