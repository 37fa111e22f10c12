"""What the pages say about deadlines and forms, checked without a database."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django import forms as django_forms

from escalate.calendars import working_calendar
from escalate.domain import engine, moves
from escalate.domain.policy import Nation, PolicyRules
from escalate.escalations import forms, presenters
from escalate.escalations.models import Escalation
from escalate.policy_library import find_policy

CALENDAR = working_calendar(Nation.ENGLAND_AND_WALES)


def rules(name: str) -> PolicyRules:
    loaded = find_policy(name).result.rules
    assert loaded is not None
    return loaded


NEL, WORCESTERSHIRE, GREENWICH = rules("nel"), rules("worcestershire"), rules("greenwich")


def test_skipped_days_are_listed_in_runs_with_their_reasons() -> None:
    skipped = CALENDAR.skipped_days(date(2026, 12, 18), date(2026, 12, 31))

    assert presenters.skipped_days_text(skipped) == (
        "Sat 19 Dec and Sun 20 Dec (weekend), Fri 25 Dec (Christmas Day), "
        "Sat 26 Dec (Boxing Day), Sun 27 Dec (weekend), Mon 28 Dec (Boxing Day (observed))"
    )


@pytest.mark.parametrize(
    ("rules_", "stage", "entered_on", "due", "sentence"),
    [
        (
            NEL,
            2,
            date(2026, 12, 18),
            date(2026, 12, 31),
            "By working day 8 of the procedure: counted from Fri 18 Dec 2026, skipping "
            "Sat 19 Dec and Sun 20 Dec (weekend), Fri 25 Dec (Christmas Day), "
            "Sat 26 Dec (Boxing Day), Sun 27 Dec (weekend), Mon 28 Dec (Boxing Day (observed)).",
        ),
        (
            NEL,
            1,
            date(2026, 11, 23),
            date(2026, 11, 24),
            "By working day 2 of the procedure: counted from Mon 23 Nov 2026, "
            "with no weekends or bank holidays in between.",
        ),
        (
            WORCESTERSHIRE,
            1,
            date(2026, 12, 24),
            date(2026, 12, 29),
            "Within 1 working day of entering the stage: counted from Thu 24 Dec 2026, "
            "skipping Fri 25 Dec (Christmas Day), Sat 26 Dec (Boxing Day), Sun 27 Dec (weekend), "
            "Mon 28 Dec (Boxing Day (observed)).",
        ),
        (
            GREENWICH,
            1,
            date(2026, 12, 18),
            None,
            "The procedure sets no timescale for this stage, so it is due as soon as possible.",
        ),
    ],
    ids=[
        "nel-by-working-day-over-christmas",
        "nel-no-days-skipped",
        "worcs-within",
        "no-timescale",
    ],
)
def test_explaining_how_a_due_date_was_counted(
    rules_: PolicyRules, stage: int, entered_on: date, due: date | None, sentence: str
) -> None:
    explained = presenters.explain_due(
        rules_.stage(stage),
        raised_on=date(2026, 12, 18) if rules_ is NEL and stage == 2 else entered_on,
        entered_on=entered_on,
        due=due,
        same_day=False,
        calendar=CALENDAR,
    )

    assert explained == sentence


def test_a_same_day_due_date_is_explained_by_the_immediate_risk() -> None:
    explained = presenters.explain_due(
        NEL.stage(1),
        raised_on=date(2026, 12, 18),
        entered_on=date(2026, 12, 18),
        due=date(2026, 12, 18),
        same_day=True,
        calendar=CALENDAR,
    )

    assert "immediate risk" in explained


def escalation(**fields: object) -> Escalation:
    defaults: dict[str, object] = {
        "status": Escalation.Status.OPEN,
        "raised_on": date(2026, 12, 18),
        "stage_due_on": date(2026, 12, 21),
    }
    return Escalation(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "today", "due", "tag", "age"),
    [
        ({}, date(2026, 12, 22), "Mon 21 Dec 2026", "Overdue", "2 working days"),
        ({}, date(2026, 12, 21), "Mon 21 Dec 2026", "Due today", "1 working day"),
        ({}, date(2026, 12, 18), "Mon 21 Dec 2026", "Due soon", "0 working days"),
        ({"status": Escalation.Status.RESOLVED}, date(2026, 12, 22), "", None, None),
        ({"stage_due_on": None}, date(2027, 1, 5), "As soon as possible", None, "9 working days"),
    ],
    ids=["overdue", "due-today", "due-soon", "resolved-never-overdue", "no-timescale"],
)
def test_deadline_flags_and_age(
    fields: dict[str, object], today: date, due: str, tag: str | None, age: str | None
) -> None:
    shown = presenters.deadline(escalation(**fields), today=today, calendar=CALENDAR)

    assert shown.due == due
    assert (shown.tag.text if shown.tag else None) == tag
    if age:
        assert shown.age == age


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (Escalation.Status.RESOLVED, "Resolved after"),
        (Escalation.Status.CLOSED, "Resolved after"),
        (Escalation.Status.WITHDRAWN, "Withdrawn after"),
    ],
    ids=["resolved", "closed", "withdrawn"],
)
def test_an_ended_escalation_shows_no_due_date_and_stops_ageing_when_it_ended(
    status: str, label: str
) -> None:
    # Raised Fri 18 Dec, ended Tue 29 Dec: 21, 22, 23, 24 and 29 Dec are working days
    # (Christmas, Boxing Day observed and the weekends are not); seen weeks later.
    shown = presenters.deadline(
        escalation(status=status),
        today=date(2027, 2, 1),
        calendar=CALENDAR,
        ended_on=date(2026, 12, 29),
    )

    assert shown.due == ""
    assert shown.tag is None
    assert shown.age == "5 working days"
    assert shown.age_label == label


def test_age_counts_the_partnership_s_own_closure_days() -> None:
    closed = working_calendar(Nation.ENGLAND_AND_WALES, (date(2026, 12, 21),))

    shown = presenters.deadline(escalation(), today=date(2026, 12, 22), calendar=closed)

    assert shown.age == "1 working day"  # Mon 21 Dec was the partnership's closure day


def test_a_resolved_escalation_has_no_deadline_state() -> None:
    shown = presenters.deadline(
        escalation(status=Escalation.Status.RESOLVED), today=date(2027, 1, 5), calendar=CALENDAR
    )

    assert shown.state is engine.DeadlineState.NO_DEADLINE


class _SampleForm(forms.ActionForm):
    kind = django_forms.ChoiceField(
        label="Type", choices=[("a", "A"), ("b", "B")], widget=django_forms.RadioSelect
    )
    on = forms.GovukDateField(label="Date of the contact")
    note = django_forms.CharField(label="Note", required=False)


def test_form_errors_link_to_the_first_radio_and_the_day_box() -> None:
    form = _SampleForm({"on_day": "31", "on_month": "2", "on_year": "2026"})
    assert not form.is_valid()

    view = presenters.form_view(form)

    assert [(error.text, error.href) for error in view.errors] == [
        (forms.STALE_PAGE, ""),  # the hidden revision is not something to link to
        ("This field is required.", "#id_kind"),
        ("Date of the contact must be a real date", "#id_on-day"),
    ]
    assert view.fields["on"].date == forms.DateParts("31", "2", "2026")
    assert view.fields["kind"].options[1].id == "id_kind-2"
    assert view.fields["note"].label == "Note (optional)"
    assert view.fields["on"].describedby == "id_on-error"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (("", "3", "2026"), "Date of the contact must include a day"),
        (("1", "", ""), "Date of the contact must include a month and a year"),
        (("1", "3", "26"), "Year must include 4 numbers"),
        (("x", "3", "2026"), "Date of the contact must be a real date"),
    ],
    ids=["no-day", "no-month-or-year", "two-digit-year", "not-a-number"],
)
def test_date_errors_say_what_is_missing(typed: tuple[str, str, str], message: str) -> None:
    field = forms.GovukDateField(label="Date of the contact")

    with pytest.raises(django_forms.ValidationError) as refused:
        field.clean(list(typed))

    assert refused.value.messages == [message]


def test_raise_state_survives_a_round_trip_and_refuses_tampering() -> None:
    state = forms.RaiseState(subject_kind="adult", immediate_risk=True, same_day_route_taken=True)

    assert forms.RaiseState.from_token(state.token()) == state
    assert forms.RaiseState.from_token(state.token()[:-2] + "xx") is None
    assert forms.RaiseState.from_token(None) is None


# --- Links and whose move: from the stage machine's answer, nothing recomputed ------------


def _moves_allowing(*allowed: moves.Move) -> moves.Moves:
    return moves.Moves(
        tuple(moves.MoveOption(move, "" if move in allowed else "Not now.") for move in moves.Move)
    )


def test_links_are_exactly_the_moves_allowed() -> None:
    shown = presenters.links(
        Escalation(pk=uuid.UUID(int=1)),
        _moves_allowing(moves.Move.CONFIRM_RESOLUTION, moves.Move.EXPLAIN_PANEL),
    )

    assert shown.confirm_resolution.endswith("/resolve/confirm/")
    assert shown.panel.endswith("/panel/")  # the panel page answers any of its three moves
    assert {name for name, href in vars(shown).items() if href} == {"confirm_resolution", "panel"}


def _case(*, status: engine.Status = engine.Status.OPEN, stage: int = 2) -> moves.Case:
    return moves.Case(
        partnership_id=1,
        status=status,
        stage_number=stage,
        raised_on=date(2026, 12, 18),
        raised_by_id=10,
        parties=(
            moves.Party(100, moves.Side.RAISING),
            moves.Party(200, moves.Side.CHALLENGED),
        ),
    )


NAMES = {100: "Invented School", 200: "Invented Police"}


@pytest.mark.parametrize(
    ("state", "case", "allowed", "text"),
    [
        ("parties", _case(), (moves.Move.ESCALATE,), "Waiting on you"),
        ("parties", _case(), (), "Waiting on Invented School and Invented Police"),
        ("decision", _case(stage=5), (), "Waiting on the chair or the panel"),
        ("decision", _case(stage=5), (moves.Move.RECORD_DECISION,), "Waiting on you"),
        ("appointment", _case(stage=5), (), "Waiting on the chair or the business manager"),
        (
            "check_back",
            _case(status=engine.Status.RESOLVED),
            (),
            "Waiting on Invented School",
        ),
        ("nobody", _case(status=engine.Status.CLOSED), (), "Nothing due"),
    ],
    ids=[
        "the-viewer-acts",
        "the-agencies-act",
        "the-chair-decides",
        "the-chair-sees-it-is-theirs",
        "the-appointers",
        "the-raising-side-checks-back",
        "closed",
    ],
)
def test_whose_move_it_is(
    state: str, case: moves.Case, allowed: tuple[moves.Move, ...], text: str
) -> None:
    shown = presenters.waiting(
        Escalation(waiting_on=state),
        case=case,
        options=_moves_allowing(*allowed),
        rules=NEL,
        agency_names=NAMES,
    )

    assert shown.text == text
    assert shown.is_you is (text == "Waiting on you")
