"""The shapes people type into: each form checks shape in ``clean()``; services check rules.

Error messages follow the GOV.UK Design System: they say what to do ("Enter ...",
"Choose ..."), and they name the field so the error summary reads on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django import forms
from django.core import signing
from django.db.models import QuerySet

from escalate.common.text import (
    LONG_TEXT_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    TypedText,
    text_error_messages,
    text_validators,
    whole_number,
)
from escalate.domain.moves import Side
from escalate.domain.policy import (
    CHECKLIST_LABELS,
    FINAL_STAGE_LABELS,
    ChecklistItem,
    FinalStageKind,
    PolicyRules,
    SubjectKind,
)
from escalate.escalations import clock
from escalate.escalations.identifiers import nhs_number_problem, normalise_nhs_number
from escalate.escalations.models import Contact
from escalate.escalations.services import SubjectDetails
from escalate.organisations.models import Agency, Person

YES_NO = [("yes", "Yes"), ("no", "No")]
STALE_PAGE = "This page was out of date. Go back to the escalation and try again."
AFTER_CHANGE = "after_change"
"""Posted back by a page redrawn after someone else's change (see ``ActionForm``)."""
STILL_WANTED = "still_wanted"
STILL_WANTED_LABEL = "I have read what changed and still want to do this"
STILL_WANTED_MESSAGE = "Confirm that you have read what changed and still want to do this"


class GovukForm(forms.Form):
    """A form whose radios may carry a hint per option, shown under the option's label."""

    option_hints: dict[str, dict[str, str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.option_hints = {}


# --- Fields ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DateParts:
    day: str = ""
    month: str = ""
    year: str = ""


class DateInputWidget(forms.MultiWidget):
    """The GOV.UK date input: day, month and year boxes named ``<name>_day`` and so on."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {"day": forms.TextInput, "month": forms.TextInput, "year": forms.TextInput}, attrs
        )

    def decompress(self, value: Any) -> list[str]:
        if isinstance(value, date):
            return [str(value.day), str(value.month), str(value.year)]
        return ["", "", ""]


class GovukDateField(forms.Field):
    """A date typed as day, month and year, with the GOV.UK wording for each mistake."""

    widget = DateInputWidget

    def __init__(
        self, *, not_after_today: bool = False, not_before_today: bool = False, **kwargs: Any
    ) -> None:
        self.not_after_today = not_after_today
        self.not_before_today = not_before_today
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, date) or value is None:
            return value
        parts = [str(part or "").strip() for part in value]
        if not any(parts):
            return None
        label = self.label or "Date"
        missing = [
            name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part
        ]
        if missing:
            raise forms.ValidationError(f"{label} must include a {' and a '.join(missing)}")
        numbers = [whole_number(part, most_digits=4) for part in parts]
        if any(number is None for number in numbers):
            raise forms.ValidationError(f"{label} must be a real date")
        day, month, year = (int(number or 0) for number in numbers)
        if len(parts[2]) != 4:
            raise forms.ValidationError("Year must include 4 numbers")
        try:
            return date(year, month, day)
        except ValueError:
            raise forms.ValidationError(f"{label} must be a real date") from None

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        today = clock.local_today()
        if self.not_after_today and value > today:
            raise forms.ValidationError(f"{self.label} must be today or in the past")
        if self.not_before_today and value < today:
            raise forms.ValidationError(f"{self.label} must be today or in the future")

    def prepare_value(self, value: Any) -> DateParts:
        if isinstance(value, date):
            return DateParts(str(value.day), str(value.month), str(value.year))
        if isinstance(value, list | tuple) and len(value) == 3:
            return DateParts(*(str(part or "") for part in value))
        return DateParts()


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """People from the directory, shown as name and job title, grouped by agency."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}, {obj.job_title}" if obj.job_title else str(obj.name)

    @staticmethod
    def group_for(obj: Any) -> str:
        return obj.agency.name if obj.agency_id else "The partnership"


def _yes_no(label: str, required_message: str, **kwargs: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": required_message, "invalid_choice": required_message},
        **kwargs,
    )


def _text(
    label: str,
    required_message: str = "",
    *,
    hint: str = "",
    max_length: int | None = None,
    long: bool = True,
) -> forms.CharField:
    """Free text: refused when too long or holding characters no one types (common/text.py)."""
    if max_length is None:
        max_length = LONG_TEXT_MAX_LENGTH if long else SHORT_TEXT_MAX_LENGTH
    return TypedText(
        label=label,
        help_text=hint,
        required=bool(required_message),
        max_length=max_length,
        widget=forms.Textarea if long else forms.TextInput,
        validators=text_validators(single_line=not long),
        error_messages=_text_messages(label, required_message, max_length),
    )


def _text_messages(label: str, required_message: str, max_length: int) -> dict[str, str]:
    return {
        "required": required_message,
        "max_length": f"{label} must be {max_length:,} characters or fewer",
        **text_error_messages(label),
    }


def _revision() -> forms.IntegerField:
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={"required": STALE_PAGE, "invalid": STALE_PAGE, "min_value": STALE_PAGE},
    )


# --- Raising: the steps before the details, carried in a signed token ------------------


@dataclass(frozen=True)
class RaiseState:
    """What the triage steps found; travels between steps as a signed query parameter."""

    subject_kind: str
    immediate_risk: bool
    same_day_route_taken: bool | None = None
    route: str = ""

    _SALT = "escalate.escalations.raise"
    _MAX_AGE_SECONDS = 24 * 60 * 60

    def token(self) -> str:
        return signing.dumps(asdict(self), salt=self._SALT, compress=True)

    @classmethod
    def from_token(cls, token: str | None) -> RaiseState | None:
        """The state a token carries; None when it is missing, altered or a day old."""
        if not token:
            return None
        try:
            data = signing.loads(token, salt=cls._SALT, max_age=cls._MAX_AGE_SECONDS)
            return cls(**data)
        except (signing.BadSignature, TypeError):
            return None

    @property
    def kind(self) -> SubjectKind:
        return SubjectKind(self.subject_kind)


SUBJECT_KIND_CHOICES = [
    (SubjectKind.CHILD.value, "A child"),
    (SubjectKind.ADULT.value, "An adult with care and support needs"),
]


def subject_words(covers: frozenset[SubjectKind] | set[SubjectKind]) -> str:
    """'a child', 'an adult' or 'a child or adult': for questions that name the subject."""
    if covers == {SubjectKind.CHILD}:
        return "a child"
    if covers == {SubjectKind.ADULT}:
        return "an adult"
    return "a child or adult"


class TriageForm(GovukForm):
    immediate_risk = _yes_no(
        "Is anyone at immediate risk of significant harm?",
        "Select yes if anyone is at immediate risk of significant harm",
    )

    def __init__(self, *args: Any, rules: PolicyRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        covered = [
            (value, label)
            for value, label in SUBJECT_KIND_CHOICES
            if SubjectKind(value) in rules.covers
        ]
        words = subject_words(rules.covers)
        self.fields["immediate_risk"].label = f"Is {words} at immediate risk of significant harm?"
        self.fields[
            "immediate_risk"
        ].help_text = (
            "For example, they need protecting today and cannot wait for the agencies to agree."
        )
        if len(covered) > 1:
            self.fields = {
                "subject_kind": forms.ChoiceField(
                    label="Who is the disagreement about?",
                    choices=covered,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Select who the disagreement is about"},
                ),
                **self.fields,
            }
        self.only_kind = covered[0][0] if len(covered) == 1 else ""

    def state(self) -> RaiseState:
        kind = self.cleaned_data.get("subject_kind") or self.only_kind
        return RaiseState(subject_kind=kind, immediate_risk=self.cleaned_data["immediate_risk"])


class SameDayRouteForm(GovukForm):
    same_day_route_taken = forms.TypedChoiceField(
        label="Have you contacted them today?",
        choices=[("yes", "Yes, I have contacted them today"), ("no", "Not yet")],
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if you have contacted them today"},
    )


class RouteForm(GovukForm):
    ESCALATION = "escalation"
    REFERRAL = "referral"
    COMPLAINT = "complaint"

    route = forms.ChoiceField(
        label="What do you need to do?",
        choices=[
            (ESCALATION, "Challenge another agency's decision, action or inaction"),
            (REFERRAL, "Tell children's or adult social care about a new concern"),
            (COMPLAINT, "Complain about a service or a member of staff"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select what you need to do"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.option_hints["route"] = {
            self.ESCALATION: "You disagree with how another agency is keeping them safe.",
            self.REFERRAL: "That is a referral: it goes to the front door, not through this "
            "procedure.",
            self.COMPLAINT: "Complaints go through the agency's own complaints procedure.",
        }


STANDARD_ROUTE = "standard"


class RaiseForm(GovukForm):
    """The details of a new escalation, as the recording template asks for them."""

    subject_name = _text("Full name", "Enter their full name", max_length=200, long=False)
    date_of_birth = GovukDateField(
        label="Date of birth",
        required=False,
        not_after_today=True,
        help_text="If you know it. For example, 27 3 2015",
    )
    case_reference = _text(
        "Case reference or PID",
        hint="Your agency's own file number for them, or their local person identifier.",
        max_length=60,
        long=False,
    )
    nhs_number = forms.CharField(
        label="NHS number",
        required=False,
        max_length=20,
        help_text="For example, 485 777 3456",
        error_messages={
            "max_length": "Enter a valid NHS number, like 485 777 3456",
            **text_error_messages("NHS number"),
        },
    )
    other_agency = forms.ModelChoiceField(
        label="Which agency do you disagree with?",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Choose the agency you disagree with"},
    )
    counterpart = PersonChoiceField(
        label="The practitioner you disagree with",
        queryset=Person.objects.none(),
        required=False,
        empty_label="Not known or not listed",
        help_text="Choose someone in the agency you disagree with, if they are listed.",
    )
    category = forms.ChoiceField(
        label="What is the disagreement about?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the disagreement is about"},
    )
    decision_disputed = _text(
        "What decision, action or inaction do you disagree with?",
        "Enter the decision, action or inaction you disagree with",
        hint="Say what the other agency decided or did, or did not do, and when.",
    )
    evidence = _text(
        "Why do you disagree?",
        "Enter why you disagree",
        hint="The facts and evidence behind your concern, and what you have already tried.",
    )
    desired_outcome = _text(
        "What outcome do you want?",
        "Enter the outcome you want",
        hint="For example, a strategy discussion this week.",
    )
    subject_views = _text(
        "Their views and wishes",
        hint="What they have said they want, if known.",
    )

    def __init__(
        self,
        *args: Any,
        rules: PolicyRules,
        state: RaiseState,
        agencies: QuerySet[Agency],
        people: QuerySet[Person],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.state = state
        fields = self.fields
        fields["other_agency"].queryset = agencies  # type: ignore[attr-defined]
        fields["counterpart"].queryset = people  # type: ignore[attr-defined]
        fields["category"].choices = [  # type: ignore[attr-defined]
            (category.key, category.label) for category in rules.categories
        ]
        noun = "child" if state.kind is SubjectKind.CHILD else "adult"
        fields["subject_name"].label = f"The {noun}'s full name"
        fields["subject_name"].error_messages.update(
            _text_messages(f"The {noun}'s full name", f"Enter the {noun}'s full name", 200)
        )
        fields["subject_views"].label = f"The {noun}'s views and wishes"
        fields["subject_views"].error_messages.update(
            _text_messages(f"The {noun}'s views and wishes", "", LONG_TEXT_MAX_LENGTH)
        )
        may_start_at = rules.immediate_risk.may_start_at
        if state.immediate_risk and len(may_start_at) > 1:
            fields["start_at"] = forms.TypedChoiceField(
                label="At which stage should the disagreement start?",
                help_text="With immediate risk this procedure lets you start at a later stage.",
                choices=[
                    (str(number), f"Stage {number}: {rules.stage(number).name}")
                    for number in may_start_at
                ],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Select the stage to start at"},
            )
        if rules.entry_routes:
            fields["entry_route"] = forms.ChoiceField(
                label="How does the disagreement start?",
                choices=[
                    (STANDARD_ROUTE, f"The usual way, at stage {rules.first_stage.number}"),
                    *(
                        (route.key, f"{route.name} (starts at stage {route.enters_at})")
                        for route in rules.entry_routes
                    ),
                ],
                widget=forms.RadioSelect,
                error_messages={"required": "Select how the disagreement starts"},
            )
            self.option_hints["entry_route"] = {
                route.key: route.description for route in rules.entry_routes
            }

    def clean_nhs_number(self) -> str:
        typed = self.cleaned_data["nhs_number"].strip()
        if not typed:
            return ""
        problem = nhs_number_problem(typed)
        if problem:
            raise forms.ValidationError(problem)
        return normalise_nhs_number(typed)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not data.get("case_reference")
            and not data.get("nhs_number")
            and "nhs_number" not in self.errors
        ):
            self.add_error("case_reference", "Enter a case reference, PID or NHS number")
        other, counterpart = data.get("other_agency"), data.get("counterpart")
        if other and counterpart and counterpart.agency_id != other.pk:
            self.add_error(
                "counterpart",
                f"Choose someone who works in {other.name}, or choose 'Not known or not listed'",
            )
        return data

    def service_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``services.raise_escalation``, beyond who and which policy."""
        data = self.cleaned_data
        route = data.get("entry_route", STANDARD_ROUTE)
        return {
            "subject": SubjectDetails(
                kind=self.state.kind,
                name=data["subject_name"],
                date_of_birth=data["date_of_birth"],
                case_reference=data["case_reference"],
                nhs_number=data["nhs_number"],
            ),
            "other_agency": data["other_agency"],
            "counterpart": data["counterpart"],
            "category": data["category"],
            "decision_disputed": data["decision_disputed"],
            "evidence": data["evidence"],
            "desired_outcome": data["desired_outcome"],
            "subject_views": data["subject_views"],
            "immediate_risk": self.state.immediate_risk,
            "same_day_route_taken": bool(self.state.same_day_route_taken),
            "start_at": data.get("start_at"),
            "entry_route": "" if route == STANDARD_ROUTE else route,
        }


# --- Actions on an escalation: each carries the revision the page was drawn from -------


class ActionForm(GovukForm):
    """Carries the revision the page was drawn from.

    After a change made meanwhile by someone else (``StaleEscalation``) the page is drawn
    again from the escalation as it is now, keeps what the person typed, and asks them to
    confirm, with a box they must tick, that they still want to do this: one more click on
    the button alone does nothing.
    """

    revision = _revision()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after_change = False
        if self.is_bound and self.data.get(AFTER_CHANGE):
            self._ask_to_confirm()

    def _ask_to_confirm(self) -> None:
        self.after_change = True
        self.fields[AFTER_CHANGE] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.fields[STILL_WANTED] = forms.BooleanField(
            label=STILL_WANTED_LABEL,
            required=True,
            error_messages={"required": STILL_WANTED_MESSAGE},
        )

    def changed_meanwhile(self, *, revision: int, message: str) -> None:
        """Someone else changed the escalation: carry its current revision, say what changed,
        and ask for the confirmation box (unticked, even if it was ticked before)."""
        data = self.data.copy()  # type: ignore[attr-defined]
        data["revision"] = str(revision)
        data[AFTER_CHANGE] = "1"
        data.pop(STILL_WANTED, None)
        self.data = data
        if not self.after_change:
            self._ask_to_confirm()
        self.add_error(None, message)


class ContactForm(ActionForm):
    kind = forms.ChoiceField(
        label="Type of contact",
        choices=Contact.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the type of contact"},
    )
    between = _text(
        "Contact between",
        "Enter the names, agency and status of those in contact",
        hint="Names, agency and status of the practitioners and managers involved.",
    )
    summary = _text("Summary of the discussion", "Enter a summary of the discussion")
    outcome = _text(
        "Outcome and next steps",
        "Enter the outcome and the next steps agreed",
        hint="The outcome, the further action agreed, and who will do what.",
    )
    decision_makers = _text(
        "Names and status of decision-makers",
        hint="Leave blank if no decision was made.",
    )
    happened_on = GovukDateField(
        label="Date of the contact",
        not_after_today=True,
        help_text="For example, 18 12 2026",
        error_messages={"required": "Enter the date of the contact"},
    )


class ReasonForm(ActionForm):
    """Escalating and withdrawing both ask why, in words every party will read."""

    reason = _text("Why?", "Enter why")

    def __init__(
        self, *args: Any, label: str, required_message: str, hint: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.label, field.help_text = label, hint
        field.error_messages.update(_text_messages(label, required_message, LONG_TEXT_MAX_LENGTH))


class ResolveForm(ActionForm):
    agreed_outcome = _text(
        "Agreed outcome",
        "Enter the agreed outcome",
        hint="This is the written confirmation every party, the raiser included, will see.",
    )


class AgreedActionForm(GovukForm):
    description = _text("What will be done", "Enter what will be done")
    owner = PersonChoiceField(
        label="Who will do it",
        queryset=Person.objects.none(),
        empty_label="Choose a person",
        error_messages={"required": "Choose who will do it"},
    )
    due_on = GovukDateField(
        label="Due date",
        not_before_today=True,
        help_text="For example, 8 1 2027",
        error_messages={"required": "Enter the due date"},
    )

    def __init__(self, *args: Any, owners: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


MAX_AGREED_ACTIONS = 3


class BaseAgreedActionFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not any(form.cleaned_data for form in self.forms):
            raise forms.ValidationError("Add at least one agreed action")


AgreedActionFormSet = forms.formset_factory(
    AgreedActionForm,
    formset=BaseAgreedActionFormSet,
    extra=MAX_AGREED_ACTIONS,
    max_num=MAX_AGREED_ACTIONS,
    absolute_max=MAX_AGREED_ACTIONS,
)


def agreed_actions(formset: forms.BaseFormSet[Any]) -> list[dict[str, Any]]:
    """The filled-in rows of a valid agreed-action formset; blank rows are left out."""
    return [form.cleaned_data for form in formset.forms if form.cleaned_data]


class ConfirmForm(ActionForm):
    """Nothing to type: the button is the confirmation."""


class CheckBackForm(ActionForm):
    implemented = forms.TypedChoiceField(
        label="Was the action done?",
        choices=[("yes", "Yes, it was done"), ("no", "No, it was not done")],
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the action was done"},
    )
    note = _text("Note", hint="What was done, or why not and what happens next.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("implemented") is False and not data.get("note"):
            self.add_error("note", "Enter why the action was not done and what happens next")
        return data


class ChecklistTickForm(ActionForm):
    is_done = forms.TypedChoiceField(
        label="Has this been done?",
        choices=[("yes", "Yes, it has been done"), ("no", "No, it has not been done")],
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether this has been done"},
    )
    not_done_reason = _text("If not, why not?", hint="Needed if it has not been done.")

    def __init__(self, *args: Any, item: ChecklistItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["is_done"].label = CHECKLIST_LABELS[item]
        if item is ChecklistItem.SET_REVIEW_DATE:
            self.fields["review_on"] = GovukDateField(
                label="Review date",
                required=False,
                help_text="Needed if a review date has been set. For example, 8 1 2027",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_done") is False and not data.get("not_done_reason"):
            self.add_error("not_done_reason", "Enter why this has not been done")
        if (
            self.item is ChecklistItem.SET_REVIEW_DATE
            and data.get("is_done")
            and not data.get("review_on")
            and "review_on" not in self.errors
        ):
            self.add_error("review_on", "Enter the review date")
        return data


class RepresentationForm(ActionForm):
    text = _text(
        "Your agency's written representation",
        "Enter your agency's written representation",
        hint="Set out your agency's view of the disagreement for the final stage to consider.",
    )


class PanelMemberForm(ActionForm):
    member = PersonChoiceField(
        label="Appoint a panel member",
        queryset=Person.objects.none(),
        empty_label="Choose a person",
        help_text="People who hold one of the partnership's roles for a panel.",
        error_messages={"required": "Choose who to appoint to the panel"},
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = people  # type: ignore[attr-defined]


class RemovePanelMemberForm(ActionForm):
    member = PersonChoiceField(
        label="Who should leave the panel?",
        queryset=Person.objects.none(),
        empty_label="Choose a person",
        error_messages={"required": "Choose who should leave the panel"},
    )

    def __init__(self, *args: Any, members: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]


class PanelReasonForm(ActionForm):
    reason = _text(
        "Why are the agencies in the disagreement not all on the panel?",
        "Enter why the agencies in the disagreement are not all on the panel",
        hint="The procedure includes them where possible; say why it was not possible.",
    )


class MeetingChairForm(ActionForm):
    chair = PersonChoiceField(
        label="Who will chair the meeting?",
        queryset=Person.objects.none(),
        empty_label="Choose a person",
        help_text="Someone holding one of the partnership's roles for this, from an agency "
        "that is not in the disagreement.",
        error_messages={"required": "Choose who will chair the meeting"},
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = people  # type: ignore[attr-defined]


class FinalDecisionForm(ActionForm):
    decided_by_kind = forms.ChoiceField(
        label="How was the decision reached?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the decision was reached"},
    )
    decision = _text(
        "The decision",
        "Enter the decision",
        hint="Every party, the raiser included, will see this in writing.",
    )

    def __init__(self, *args: Any, kinds: Sequence[FinalStageKind], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decided_by_kind"].choices = [  # type: ignore[attr-defined]
            (kind.value, FINAL_STAGE_LABELS[kind]) for kind in kinds
        ]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "decided_by_kind": FinalStageKind(data["decided_by_kind"]),
            "decision": data["decision"],
        }


class ConfirmResolutionForm(ActionForm):
    """Nothing to type: the button is the agency's agreement."""


class ReopenForm(ActionForm):
    SAME_STAGE = "same"
    NEXT_STAGE = "next"

    reason = _text(
        "Why is it being reopened?",
        "Enter why it is being reopened",
        hint="Say which agreed action was not done and what should happen now. "
        "Every party will see this.",
    )

    def __init__(
        self, *args: Any, stage_number: int, next_stage: str | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.stage_number = stage_number
        if next_stage is not None:
            self.fields["where"] = forms.ChoiceField(
                label="Where should it go now?",
                choices=[
                    (self.SAME_STAGE, f"Back to stage {stage_number}, the same stage"),
                    (self.NEXT_STAGE, f"On to the next stage: {next_stage}"),
                ],
                widget=forms.RadioSelect,
                error_messages={"required": "Select where it should go now"},
            )

    @property
    def to_next_stage(self) -> bool:
        return self.cleaned_data.get("where") == self.NEXT_STAGE


class AddPartyForm(ActionForm):
    agency = forms.ModelChoiceField(
        label="Which agency is joining the disagreement?",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Choose the agency that is joining"},
    )
    side = forms.ChoiceField(
        label="Which side is it on?",
        choices=[
            (Side.RAISING.value, "With the agency that raised it"),
            (Side.CHALLENGED.value, "With the agency whose decision is challenged"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select which side the agency is on"},
    )
    practitioner = PersonChoiceField(
        label="Its practitioner",
        queryset=Person.objects.none(),
        required=False,
        empty_label="Not known or not listed",
        help_text="Choose someone in the agency that is joining, if they are listed.",
    )

    def __init__(
        self, *args: Any, agencies: QuerySet[Agency], people: QuerySet[Person], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["practitioner"].queryset = people  # type: ignore[attr-defined]


class LeadAgencyForm(ActionForm):
    agency = forms.ModelChoiceField(
        label="Which agency leads?",
        queryset=Agency.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        help_text="The lead agency completes the Escalation Notification Form and updates it "
        "at each later stage.",
        error_messages={"required": "Select the lead agency"},
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]


class CloseForm(ActionForm):
    """Nothing to type: closing is refused, with a reason, while the checklist is open."""


# --- Corrections (decision 0025): the answers as they should read, and why ----------------

CORRECTION_REASON_HINT = (
    "Say what was wrong. Everyone who can see this escalation will see the reason, "
    "and the text as it was first recorded."
)


class ContactCorrectionForm(ContactForm):
    reason = _text(
        "Why are you correcting this contact?",
        "Enter why you are correcting this contact",
        hint=CORRECTION_REASON_HINT,
    )


class DecisionCorrectionForm(ActionForm):
    decision = _text(
        "The decision",
        "Enter the decision",
        hint="Every party, the raiser included, will see this in writing.",
    )
    reason = _text(
        "Why are you correcting the decision?",
        "Enter why you are correcting the decision",
        hint=CORRECTION_REASON_HINT,
    )
