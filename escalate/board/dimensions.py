"""What the board counts escalations by, and the one filter behind each figure.

A figure on the dashboard and the register's list behind it must agree: both take the
cases a dimension's value stands for from ``Figure.q`` here, so the number a board member
clicks is the number of rows they find.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q

from escalate.common.text import whole_number
from escalate.escalations.models import Escalation, Subject

RESOLVED_STATUSES = (Escalation.Status.RESOLVED.value, Escalation.Status.CLOSED.value)


class Dimension(StrEnum):
    RAISING_AGENCY = "raised_by"
    OTHER_AGENCY = "challenged"
    CATEGORY = "category"
    STAGE_REACHED = "stage_reached"
    RESOLVED_AT = "resolved_at"
    OUTCOME = "outcome"
    SUBJECT_KIND = "kind"
    IMMEDIATE_RISK = "immediate_risk"
    ENTRY_ROUTE = "route"

    @property
    def heading(self) -> str:
        return _TITLES[self]


_TITLES = {
    Dimension.RAISING_AGENCY: "Agency raising",
    Dimension.OTHER_AGENCY: "Agency challenged",
    Dimension.CATEGORY: "Category",
    Dimension.STAGE_REACHED: "Stage reached",
    Dimension.RESOLVED_AT: "Stage resolved at",
    Dimension.OUTCOME: "Outcome",
    Dimension.SUBJECT_KIND: "Children or adults",
    Dimension.IMMEDIATE_RISK: "Started with immediate risk",
    Dimension.ENTRY_ROUTE: "Entry route",
}


class Outcome(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    """Resolved, with or without its check-back done (closed)."""
    WITHDRAWN = "withdrawn"

    @classmethod
    def of_status(cls, status: str) -> Outcome:
        if status in RESOLVED_STATUSES:
            return cls.RESOLVED
        return cls(status)

    @property
    def label(self) -> str:
        return {"open": "Still open", "resolved": "Resolved", "withdrawn": "Withdrawn"}[self.value]


class BadFigure(ValueError):
    """A figure in a link that names no dimension or no value of it."""


@dataclass(frozen=True)
class Figure:
    """One value of one dimension: the cases behind one number on the dashboard."""

    dimension: Dimension
    value: str

    @classmethod
    def parse(cls, text: str) -> Figure:
        """From a link's ``figure=dimension:value``; raises ``BadFigure`` for anything else."""
        name, _, value = text.partition(":")
        try:
            figure = cls(Dimension(name), value)
        except ValueError as error:
            raise BadFigure(f"There is no figure {text!r}.") from error
        figure.q()  # checks the value fits the dimension
        return figure

    def __str__(self) -> str:
        return f"{self.dimension.value}:{self.value}"

    def described(self, *, agency_names: dict[int, str], category_labels: dict[str, str]) -> str:
        """'Agency raising: Invented Police', for the register's heading over its rows."""
        dimension, value = self.dimension, self.value
        if dimension in (Dimension.RAISING_AGENCY, Dimension.OTHER_AGENCY):
            shown = agency_names.get(int(value), "an agency no longer listed")
        elif dimension is Dimension.CATEGORY:
            shown = category_labels.get(value, value)
        elif dimension in (Dimension.STAGE_REACHED, Dimension.RESOLVED_AT):
            shown = f"stage {value}"
        elif dimension is Dimension.OUTCOME:
            shown = Outcome(value).label
        elif dimension is Dimension.SUBJECT_KIND:
            shown = Subject.Kind(value).label
        elif dimension is Dimension.IMMEDIATE_RISK:
            shown = value
        else:
            shown = value or "the usual first stage"
        return f"{dimension.heading}: {shown}"

    def q(self) -> Q:
        """The cases this figure counts, as a filter on the escalation's own columns."""
        dimension, value = self.dimension, self.value
        if dimension is Dimension.RAISING_AGENCY:
            return Q(raising_agency_id=_number(value))
        if dimension is Dimension.OTHER_AGENCY:
            return Q(other_agency_id=_number(value))
        if dimension is Dimension.CATEGORY:
            return Q(category=value)
        if dimension is Dimension.STAGE_REACHED:
            return Q(stage_number=_number(value))
        if dimension is Dimension.RESOLVED_AT:
            return Q(stage_number=_number(value), status__in=RESOLVED_STATUSES)
        if dimension is Dimension.OUTCOME:
            return _outcome_q(value)
        if dimension is Dimension.SUBJECT_KIND:
            _check_kind(value)
            return Q(subject_kind=value)
        if dimension is Dimension.IMMEDIATE_RISK:
            if value not in {"yes", "no"}:
                raise BadFigure("Immediate risk is 'yes' or 'no'.")
            return Q(immediate_risk=value == "yes")
        return Q(entry_route=value)


def _number(value: str) -> int:
    number = whole_number(value)
    if number is None:
        raise BadFigure(f"{value!r} is not a number.")
    return number


def _outcome_q(value: str) -> Q:
    try:
        outcome = Outcome(value)
    except ValueError as error:
        raise BadFigure(f"There is no outcome {value!r}.") from error
    if outcome is Outcome.RESOLVED:
        return Q(status__in=RESOLVED_STATUSES)
    return Q(status=outcome.value)


def _check_kind(value: str) -> None:
    if value not in Subject.Kind.values:
        raise BadFigure(f"There is no kind of subject {value!r}.")
