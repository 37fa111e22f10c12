"""Directory forms: they check shape; the services check the directory's rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q

from escalate.common.text import TypedText, text_error_messages, text_validators
from escalate.domain.policy import AgencyKind, LadderRole, PartnershipRole
from escalate.organisations.importing import MAX_BYTES, ImportKind
from escalate.organisations.models import (
    AGENCY_KIND_CHOICES,
    LADDER_ROLE_CHOICES,
    PARTNERSHIP_ROLE_CHOICES,
    Agency,
    Person,
)
from escalate.organisations.selectors import agencies_in, people_in, roles_held
from escalate.organisations.services import PersonDetails
from escalate.policies.models import Partnership

_WIDGET_CLASSES = {
    "text": ("govuk-input", "govuk-input--error"),
    "email": ("govuk-input", "govuk-input--error"),
    "search": ("govuk-input", "govuk-input--error"),
    "select": ("govuk-select", "govuk-select--error"),
    "file": ("govuk-file-upload", "govuk-file-upload--error"),
    "checkbox": ("govuk-checkboxes__input", ""),
    "checkboxselectmultiple": ("govuk-checkboxes__input", ""),
    "radioselect": ("govuk-radios__input", ""),
}
_GROUPED = {"checkboxselectmultiple", "radioselect"}


class GovukForm(forms.Form):
    """Adds GOV.UK Frontend classes, and ties hints and errors to their inputs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def full_clean(self) -> None:
        super().full_clean()
        self._decorate()

    def _decorate(self) -> None:
        for bound in self:
            widget = bound.field.widget
            base, error = _WIDGET_CLASSES.get(bound.widget_type, ("", ""))
            classes = [base] if base else []
            # Only once validated: reading self.errors here would validate in __init__.
            errors = getattr(self, "_errors", None)
            has_errors = errors is not None and bool(errors.get(bound.name))
            if has_errors and error:
                classes.append(error)
            widget.attrs["class"] = " ".join(classes)
            if bound.widget_type in _GROUPED:
                continue  # the fieldset carries aria-describedby
            described = []
            if bound.help_text:
                described.append(f"{bound.auto_id}-hint")
            if has_errors:
                described.append(f"{bound.auto_id}-error")
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)
            else:
                widget.attrs.pop("aria-describedby", None)

    def refuse(self, field: str | None, message: str) -> None:
        """Show a service's refusal against the field it concerns."""
        self.add_error(field if field in self.fields else None, message)
        self._decorate()


class PersonByEmailField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Chooses a person by typing their email address: works for any size of directory."""

    widget = forms.EmailInput

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        # An account's places share its email (decision 20): the active place in an agency
        # is the one meant, before a leaver's or a partnership-roles-only entry.
        assert self.queryset is not None, "the form sets the directory to choose from"
        found = (
            self.queryset.filter(email__iexact=str(value).strip())
            .order_by("-is_active", F("agency_id").asc(nulls_last=True), "pk")
            .first()
        )
        if found is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found


def _partnership_field(partnerships: Sequence[Partnership]) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(
        queryset=Partnership.objects.filter(pk__in=[p.pk for p in partnerships]),
        label="Partnership",
        empty_label="Choose a partnership",
        error_messages={
            "required": "Choose the partnership",
            "invalid_choice": "Choose a partnership you administer",
        },
    )


class AgencyForm(GovukForm):
    name = TypedText(
        max_length=200,
        label="Name",
        validators=text_validators(single_line=True),
        error_messages={
            "required": "Enter the agency's name",
            "max_length": "Name must be 200 characters or fewer",
            **text_error_messages("Name"),
        },
    )
    kind = forms.ChoiceField(
        choices=AGENCY_KIND_CHOICES,
        widget=forms.RadioSelect,
        label="Kind of agency",
        help_text="Decides which job titles each stage of the procedure names for this agency.",
        error_messages={"required": "Choose the kind of agency"},
    )

    def __init__(
        self,
        *args: Any,
        partnerships: Sequence[Partnership],
        agency: Agency | None = None,
        **kwargs: Any,
    ) -> None:
        if agency is not None:
            kwargs.setdefault("initial", {"name": agency.name, "kind": agency.kind})
        super().__init__(*args, **kwargs)
        self.agency = agency
        self.partnerships = list(partnerships)
        if agency is None and len(self.partnerships) > 1:
            self.fields["partnership"] = _partnership_field(self.partnerships)
            self.order_fields(["partnership", "name", "kind"])
        self._decorate()

    def partnership(self) -> Partnership:
        if self.agency is not None:
            return self.agency.partnership
        if "partnership" in self.fields:
            chosen: Partnership = self.cleaned_data["partnership"]
            return chosen
        return self.partnerships[0]

    def agency_kind(self) -> AgencyKind:
        return AgencyKind(self.cleaned_data["kind"])


class PersonForm(GovukForm):
    name = TypedText(
        max_length=200,
        label="Full name",
        validators=text_validators(single_line=True),
        error_messages={
            "required": "Enter the person's full name",
            "max_length": "Full name must be 200 characters or fewer",
            **text_error_messages("Full name"),
        },
    )
    email = forms.EmailField(
        max_length=254,
        label="Email address",
        help_text="They sign in with this address.",
        error_messages={
            "required": "Enter the person's email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    job_title = TypedText(
        max_length=200,
        required=False,
        label="Job title (optional)",
        validators=text_validators(single_line=True),
        error_messages={
            "max_length": "Job title must be 200 characters or fewer",
            **text_error_messages("Job title"),
        },
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        label="Agency",
        empty_label="None: works for the partnership itself",
        error_messages={"invalid_choice": "Choose an agency in your partnership"},
    )
    ladder_role = forms.ChoiceField(
        choices=[("", "None"), *LADDER_ROLE_CHOICES],
        required=False,
        label="Ladder role",
        help_text="Their rung in their agency's line of escalation.",
    )
    line_manager = PersonByEmailField(
        queryset=Person.objects.none(),
        to_field_name="email",
        required=False,
        label="Line manager's email address (optional)",
        error_messages={
            "invalid_choice": "No one in your partnership's directory has this email address"
        },
    )
    partnership_roles = forms.MultipleChoiceField(
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Partnership roles",
        help_text="Roles this person holds for the partnership, beyond their own agency.",
    )
    is_active = forms.BooleanField(
        required=False,
        label="Active",
        help_text=(
            "Untick when the person leaves. They stay on the escalations they took part in, "
            "but can no longer sign in. People are never deleted."
        ),
    )

    def __init__(
        self,
        *args: Any,
        partnerships: Sequence[Partnership],
        person: Person | None = None,
        **kwargs: Any,
    ) -> None:
        self.partnerships = list(partnerships)
        self.person = person
        if person is not None:
            held = roles_held(person, self.partnerships)
            kwargs.setdefault(
                "initial",
                {
                    "name": person.name,
                    "email": person.email,
                    "job_title": person.job_title,
                    "agency": person.agency_id,
                    "ladder_role": person.ladder_role,
                    "line_manager": person.line_manager.email if person.line_manager else "",
                    "partnership_roles": [
                        f"{partnership_id}:{role}"
                        for partnership_id, roles in held.items()
                        for role in sorted(roles)
                    ],
                    "is_active": person.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        agencies = Q(pk__in=agencies_in(self.partnerships).values("pk"))
        if person is not None and person.agency_id is not None:
            agencies |= Q(pk=person.agency_id)  # keep an agency of a partnership not administered
        agency_field: forms.ModelChoiceField = self.fields["agency"]  # type: ignore[type-arg, assignment]
        agency_field.queryset = Agency.objects.filter(agencies).order_by("name")
        manager_field: forms.ModelChoiceField = self.fields["line_manager"]  # type: ignore[type-arg, assignment]
        managers = people_in(self.partnerships)
        if person is not None and person.line_manager_id is not None:
            managers |= Person.objects.filter(pk=person.line_manager_id)  # kept, as the agency
        manager_field.queryset = managers
        roles_field: forms.MultipleChoiceField = self.fields["partnership_roles"]  # type: ignore[assignment]
        roles_field.choices = [
            (
                f"{partnership.pk}:{role}",
                label if len(self.partnerships) == 1 else f"{partnership}: {label}",
            )
            for partnership in self.partnerships
            for role, label in PARTNERSHIP_ROLE_CHOICES
        ]
        if person is None:
            del self.fields["is_active"]
        self._decorate()

    def details(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            name=data["name"],
            email=data["email"],
            job_title=data["job_title"],
            agency=data["agency"],
            ladder_role=LadderRole(data["ladder_role"]) if data["ladder_role"] else None,
            line_manager=data["line_manager"],
            is_active=data.get("is_active", True),
        )

    def roles_by_partnership(self) -> dict[Partnership, set[PartnershipRole]]:
        """Every administered partnership, with the roles ticked for it (maybe none)."""
        by_id = {partnership.pk: partnership for partnership in self.partnerships}
        chosen: dict[Partnership, set[PartnershipRole]] = {
            partnership: set() for partnership in self.partnerships
        }
        for value in self.cleaned_data["partnership_roles"]:
            partnership_id, role = value.split(":", 1)
            chosen[by_id[int(partnership_id)]].add(PartnershipRole(role))
        return chosen


class ImportForm(GovukForm):
    kind = forms.ChoiceField(
        choices=[
            (ImportKind.AGENCIES.value, "Agencies"),
            (ImportKind.PEOPLE.value, "People"),
        ],
        widget=forms.RadioSelect,
        label="What does the file list?",
        error_messages={"required": "Choose whether the file lists agencies or people"},
    )
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV, up to {MAX_BYTES // (1024 * 1024)} MB.",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose a CSV file", "empty": "The file is empty"},
    )

    def __init__(self, *args: Any, partnerships: Sequence[Partnership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partnerships = list(partnerships)
        if len(self.partnerships) > 1:
            self.fields["partnership"] = _partnership_field(self.partnerships)
            self.order_fields(["partnership", "kind", "file"])
        self._decorate()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file must be smaller than {MAX_BYTES // (1024 * 1024)} MB; "
                "split it into smaller files"
            )
        return upload

    def partnership(self) -> Partnership:
        if "partnership" in self.fields:
            chosen: Partnership = self.cleaned_data["partnership"]
            return chosen
        return self.partnerships[0]

    def import_kind(self) -> ImportKind:
        return ImportKind(self.cleaned_data["kind"])


class LeaverForm(GovukForm):
    """Who takes over a leaver's open work: someone active in their agency, or nobody."""

    successor = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        empty_label="Nobody yet: tell the partnership's business managers",
        label="Who takes over their open work?",
        help_text="They take the leaver's place as raiser or practitioner, and their agreed "
        "actions. Places on a final-stage panel end, and the business managers are told.",
    )

    def __init__(self, *args: Any, leaver: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["successor"]
        assert isinstance(field, forms.ModelChoiceField)
        colleagues = Person.objects.filter(is_active=True).exclude(pk=leaver.pk)
        if leaver.agency_id is not None:
            colleagues = colleagues.filter(agency_id=leaver.agency_id)
        else:
            partnerships = leaver.partnership_roles.values("partnership_id")
            colleagues = colleagues.filter(partnership_roles__partnership_id__in=partnerships)
        field.queryset = colleagues.distinct().order_by("name")

    def chosen_successor(self) -> Person | None:
        successor: Person | None = self.cleaned_data.get("successor")
        return successor


class RolesElsewhereForm(GovukForm):
    """Roles here for someone already in another partnership's directory, found by email."""

    email = forms.EmailField(
        max_length=254,
        label="Their email address",
        help_text="The address they sign in to Escalate with in their own partnership.",
        error_messages={
            "required": "Enter their email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    partnership_roles = forms.MultipleChoiceField(
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        label="Roles to give them",
        error_messages={"required": "Choose at least one role"},
    )

    def __init__(self, *args: Any, partnerships: Sequence[Partnership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partnerships = {partnership.pk: partnership for partnership in partnerships}
        roles_field: forms.MultipleChoiceField = self.fields["partnership_roles"]  # type: ignore[assignment]
        roles_field.choices = [
            (
                f"{partnership.pk}:{role}",
                label if len(self.partnerships) == 1 else f"{partnership}: {label}",
            )
            for partnership in partnerships
            for role, label in PARTNERSHIP_ROLE_CHOICES
        ]

    def roles_by_partnership(self) -> dict[Partnership, list[PartnershipRole]]:
        chosen: dict[Partnership, list[PartnershipRole]] = {}
        for value in self.cleaned_data["partnership_roles"]:
            partnership_id, role = value.split(":", 1)
            chosen.setdefault(self.partnerships[int(partnership_id)], []).append(
                PartnershipRole(role)
            )
        return chosen


class PlaceElsewhereForm(GovukForm):
    """A place in one of our agencies for someone already in another partnership's
    directory, found by email."""

    email = RolesElsewhereForm.base_fields["email"]
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        label="Agency",
        error_messages={
            "required": "Choose the agency they work in here",
            "invalid_choice": "Choose an agency in your partnership",
        },
    )
    ladder_role = forms.ChoiceField(
        choices=LADDER_ROLE_CHOICES,
        widget=forms.RadioSelect,
        label="Ladder role",
        help_text="Their rung in this agency's line of escalation.",
        error_messages={"required": "Choose their ladder role in this agency"},
    )
    job_title = PersonForm.base_fields["job_title"]
    line_manager = PersonForm.base_fields["line_manager"]

    def __init__(self, *args: Any, partnerships: Sequence[Partnership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency_field: forms.ModelChoiceField = self.fields["agency"]  # type: ignore[type-arg, assignment]
        agency_field.queryset = agencies_in(partnerships).order_by("name")
        manager_field: forms.ModelChoiceField = self.fields["line_manager"]  # type: ignore[type-arg, assignment]
        manager_field.queryset = people_in(partnerships)
        self._decorate()

    def place(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            name="",
            email=data["email"],
            job_title=data["job_title"],
            agency=data["agency"],
            ladder_role=LadderRole(data["ladder_role"]),
            line_manager=data["line_manager"],
        )
