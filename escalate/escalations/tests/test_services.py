"""Each service, checked three ways (STYLE §9): the row it leaves, and the audit event.

There is no notification outbox yet, so the third check (the queued notification)
waits for it. Dates are real: 18 December 2026 is a Friday, Christmas Day falls on
the next Friday and Boxing Day's substitute bank holiday on Monday 28 December.
"""

from __future__ import annotations

from datetime import date

import pytest

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.domain.engine import TransitionRefused
from escalate.domain.policy import ChecklistItem, FinalStageKind, SubjectKind
from escalate.escalations import services
from escalate.escalations.access import ActionForbidden
from escalate.escalations.models import (
    AgreedAction,
    ChecklistTick,
    Contact,
    Escalation,
    FinalDecision,
    Representation,
    StageEntry,
    Subject,
)
from escalate.escalations.tests.factories import (
    AgencyFactory,
    PersonFactory,
    partnership_person,
    raise_for,
    shipped_policy,
)
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Policy
from escalate.policies.selectors import current_policy_for
from escalate.policies.services import load_policy

pytestmark = pytest.mark.django_db

FRIDAY = date(2026, 12, 18)
MONDAY = date(2026, 12, 21)
NEW_YEARS_EVE = date(2026, 12, 31)


# --- a small cast per partnership ------------------------------------------------------


class Cast:
    """Three agencies of one partnership and the people the tests need in them."""

    def __init__(self, slug: str) -> None:
        self.policy = shipped_policy(slug)
        partnership = self.policy.partnership
        self.school = AgencyFactory(partnership=partnership, name="Brookfield Primary")
        self.social_care = AgencyFactory(
            partnership=partnership, name="Children's Social Care", kind="childrens_social_care"
        )
        self.health = AgencyFactory(partnership=partnership, name="Riverside Health", kind="health")
        self.teacher = PersonFactory(agency=self.school, name="Tess Teacher")
        self.social_worker = PersonFactory(agency=self.social_care, name="Sol Worker")
        self.nurse = PersonFactory(agency=self.health, name="Nia Nurse")
        self.chair = partnership_person(role="chair", policy=self.policy, name="Chris Chair")

    def raise_(self, **overrides: object) -> Escalation:
        details: dict[str, object] = {
            "raised_by": self.teacher,
            "other_agency": self.social_care,
            "counterpart": self.social_worker,
            "policy": self.policy,
            "today": FRIDAY,
        }
        details.update(overrides)
        return raise_for(**details)


@pytest.fixture
def nel() -> Cast:
    return Cast("nel")


@pytest.fixture
def devon() -> Cast:
    return Cast("devon-preschool")


@pytest.fixture
def greenwich() -> Cast:
    return Cast("greenwich")


def history(escalation: Escalation) -> list[str]:
    return list(
        AuditEvent.objects.filter(escalation=escalation)
        .order_by("pk")
        .values_list("event", flat=True)
    )


def last_event(escalation: Escalation) -> AuditEvent:
    event = AuditEvent.objects.filter(escalation=escalation).order_by("-pk").first()
    assert event is not None
    return event


def fresh(escalation: Escalation) -> Escalation:
    return Escalation.objects.get(pk=escalation.pk)


def escalate_to_final(escalation: Escalation, *, actor: Person) -> Escalation:
    while not escalation.is_at_final_stage:
        escalation = services.escalate_stage(
            escalation=escalation, actor=actor, reason="Not resolved at this stage.", today=FRIDAY
        )
    return escalation


def resolve(
    escalation: Escalation,
    *,
    actor: Person,
    actions: list[services.AgreedActionDetails] | None = None,
) -> Escalation:
    return services.resolve_escalation(
        escalation=escalation,
        actor=actor,
        agreed_outcome="Strategy discussion booked for Monday.",
        actions=actions or [],
        today=MONDAY,
    )


# --- raise ---------------------------------------------------------------------------


def test_raising_stores_the_escalation_with_stage_1_due_on_the_partnership_calendar(
    nel: Cast,
) -> None:
    escalation = nel.raise_()

    escalation = fresh(escalation)
    assert escalation.reference == "ESC-2026-000001"
    assert escalation.status == Escalation.Status.OPEN
    assert escalation.stage_number == 1
    assert escalation.final_stage_number == 5
    # NEL stage 1 is due by working day 2: raised Friday, due the following Monday.
    assert escalation.stage_due_on == MONDAY
    assert escalation.raising_agency == nel.school
    assert escalation.revision == 1
    assert escalation.subject.kind == Subject.Kind.CHILD
    assert list(escalation.stage_entries.values_list("number", "entered_on", "due_on")) == [
        (1, FRIDAY, MONDAY)
    ]
    event = last_event(escalation)
    assert event.event == events.ESCALATION_RAISED
    assert event.actor == nel.teacher
    assert event.stage_number == 1
    assert event.data == {"policy_version": 1, "entry_route": "", "immediate_risk": False}


def test_references_count_up_within_the_year(nel: Cast) -> None:
    first = nel.raise_()
    second = nel.raise_()

    assert (first.reference, second.reference) == ("ESC-2026-000001", "ESC-2026-000002")


def test_immediate_risk_makes_the_first_action_due_the_same_day(nel: Cast) -> None:
    escalation = nel.raise_(immediate_risk=True, same_day_route_taken=True)

    assert fresh(escalation).stage_due_on == FRIDAY
    assert history(escalation) == [events.ESCALATION_RAISED, events.IMMEDIATE_RISK_ROUTE_TAKEN]
    assert AuditEvent.objects.get(event=events.ESCALATION_RAISED).data["immediate_risk"] is True


def test_immediate_risk_may_start_only_at_the_stages_the_policy_names(
    nel: Cast, devon: Cast
) -> None:
    with pytest.raises(TransitionRefused, match="may start only at stage 1"):
        nel.raise_(immediate_risk=True, start_at=2)

    escalation = devon.raise_(immediate_risk=True, start_at=3)  # Devon: "whichever stage"

    assert (escalation.stage_number, escalation.stage_due_on) == (3, FRIDAY)
    assert list(escalation.stage_entries.values_list("number", flat=True)) == [3]


def test_without_immediate_risk_an_escalation_starts_at_stage_1(devon: Cast) -> None:
    with pytest.raises(TransitionRefused, match="starts at stage 1 unless"):
        devon.raise_(start_at=3)

    assert not Escalation.objects.exists()


def test_the_refused_icpc_route_in_greenwich_enters_at_stage_4(greenwich: Cast) -> None:
    escalation = greenwich.raise_(entry_route="refused_icpc")

    escalation = fresh(escalation)
    assert escalation.stage_number == 4
    assert escalation.entry_route == "refused_icpc"
    assert escalation.stage_due_on is None  # Greenwich sets no timescale
    assert last_event(escalation).data["entry_route"] == "refused_icpc"


def test_an_unknown_route_is_refused(greenwich: Cast) -> None:
    with pytest.raises(TransitionRefused, match="no such route"):
        greenwich.raise_(entry_route="complaint")


def test_an_adult_subject_is_refused_by_a_children_only_policy(devon: Cast, nel: Cast) -> None:
    adult = services.SubjectDetails(kind=SubjectKind.ADULT, name="Ray Invented")

    with pytest.raises(TransitionRefused, match="does not cover an adult"):
        devon.raise_(subject=adult)

    assert not Subject.objects.exists()
    assert nel.raise_(subject=adult).subject.kind == Subject.Kind.ADULT  # NEL covers both


def test_the_other_agency_must_not_be_your_own(nel: Cast) -> None:
    with pytest.raises(TransitionRefused, match="different agency"):
        nel.raise_(other_agency=nel.school)

    assert not Escalation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_someone_outside_any_agency_cannot_raise(nel: Cast) -> None:
    with pytest.raises(TransitionRefused, match="working in an agency"):
        nel.raise_(raised_by=nel.chair)


def test_a_category_outside_the_procedure_is_refused(nel: Cast) -> None:
    with pytest.raises(TransitionRefused, match="categories"):
        nel.raise_(category="complaint")


# --- contacts and stages ---------------------------------------------------------------


def test_recording_a_contact_stores_it_at_the_current_stage(nel: Cast) -> None:
    escalation = nel.raise_()

    contact = services.record_contact(
        escalation=escalation,
        actor=nel.social_worker,
        kind=Contact.Kind.TELEPHONE,
        between="Tess Teacher (school) and Sol Worker (social care)",
        summary="Discussed the three missed appointments.",
        outcome="Social care will review the referral.",
        decision_makers="Team manager",
        happened_on=MONDAY,
        revision=1,
    )

    contact.refresh_from_db()
    assert (contact.stage_number, contact.recorded_by, contact.happened_on) == (
        1,
        nel.social_worker,
        MONDAY,
    )
    escalation = fresh(escalation)
    assert escalation.revision == 2
    assert nel.social_worker in escalation.participants.all()
    event = last_event(escalation)
    assert (event.event, event.actor, event.stage_number) == (
        events.CONTACT_RECORDED,
        nel.social_worker,
        1,
    )
    assert event.data == {"contact": contact.pk, "kind": "telephone"}


def test_contacts_are_refused_once_the_escalation_is_withdrawn(nel: Cast) -> None:
    escalation = nel.raise_()
    services.withdraw_escalation(
        escalation=escalation, actor=nel.teacher, reason="Resolved informally.", today=MONDAY
    )

    with pytest.raises(TransitionRefused, match="while an escalation is open"):
        services.record_contact(
            escalation=escalation,
            actor=nel.teacher,
            kind=Contact.Kind.EMAIL,
            between="",
            summary="",
            outcome="",
            decision_makers="",
            happened_on=MONDAY,
        )
    assert not Contact.objects.exists()


def test_someone_from_an_unrelated_agency_cannot_act(nel: Cast) -> None:
    escalation = nel.raise_()

    with pytest.raises(ActionForbidden):
        services.escalate_stage(escalation=escalation, actor=nel.nurse, reason="Not mine.")

    assert fresh(escalation).stage_number == 1
    assert history(escalation) == [events.ESCALATION_RAISED]


def test_escalating_recomputes_the_due_date_on_the_partnership_calendar(nel: Cast) -> None:
    escalation = nel.raise_()

    escalation = services.escalate_stage(
        escalation=escalation,
        actor=nel.teacher,
        reason="No reply from the social worker.",
        revision=1,
        today=MONDAY,
    )
    escalation = services.escalate_stage(
        escalation=escalation,
        actor=nel.teacher,
        reason="Managers did not agree.",
        today=NEW_YEARS_EVE,
    )

    # DOMAIN.md decision 1: stages due Mon 21 Dec, Thu 31 Dec 2026, Wed 6 Jan 2027.
    escalation = fresh(escalation)
    assert (escalation.stage_number, escalation.stage_due_on) == (3, date(2027, 1, 6))
    assert escalation.revision == 3
    assert list(
        escalation.stage_entries.values_list(
            "number", "entered_on", "due_on", "outcome", "ended_on"
        )
    ) == [
        (1, FRIDAY, MONDAY, "escalated", MONDAY),
        (2, MONDAY, NEW_YEARS_EVE, "escalated", NEW_YEARS_EVE),
        (3, NEW_YEARS_EVE, date(2027, 1, 6), "", None),
    ]
    event = last_event(escalation)
    assert (event.event, event.stage_number) == (events.STAGE_ESCALATED, 3)
    assert event.data == {"from": 2, "to": 3, "reason": "Managers did not agree."}


def test_within_working_days_counts_from_the_day_the_stage_is_entered() -> None:
    worcestershire = Cast("worcestershire")
    escalation = worcestershire.raise_()
    assert fresh(escalation).stage_due_on == MONDAY  # within 1 working day of Friday

    escalation = services.escalate_stage(
        escalation=escalation,
        actor=worcestershire.teacher,
        reason="No agreement.",
        today=date(2026, 12, 24),
    )

    # Entered Thursday 24 Dec; 25 and 28 Dec are bank holidays: 29 is day 1, 30 is day 2.
    assert fresh(escalation).stage_due_on == date(2026, 12, 30)


def test_escalating_beyond_the_final_stage_is_refused(nel: Cast) -> None:
    escalation = escalate_to_final(nel.raise_(), actor=nel.teacher)
    revision = escalation.revision

    with pytest.raises(TransitionRefused, match="already at its final stage"):
        services.escalate_stage(escalation=escalation, actor=nel.teacher, reason="More.")

    escalation = fresh(escalation)
    assert (escalation.stage_number, escalation.revision) == (5, revision)
    assert history(escalation).count(events.STAGE_ESCALATED) == 4


# --- resolve, withdraw, agreed actions -----------------------------------------------------


def test_resolving_stores_the_agreed_actions_with_owners_and_due_dates(nel: Cast) -> None:
    escalation = nel.raise_()
    actions = [
        services.AgreedActionDetails("Hold a strategy discussion.", nel.social_worker, MONDAY),
        services.AgreedActionDetails("Share attendance records.", nel.teacher, NEW_YEARS_EVE),
    ]

    resolve(escalation, actor=nel.social_worker, actions=actions)

    escalation = fresh(escalation)
    assert escalation.status == Escalation.Status.RESOLVED
    assert escalation.revision == 2
    assert list(
        escalation.agreed_actions.values_list("description", "owner", "due_on", "stage_number")
    ) == [
        ("Hold a strategy discussion.", nel.social_worker.pk, MONDAY, 1),
        ("Share attendance records.", nel.teacher.pk, NEW_YEARS_EVE, 1),
    ]
    assert set(escalation.participants.all()) == {nel.social_worker, nel.teacher}
    entry = escalation.stage_entries.get()
    assert (entry.outcome, entry.outcome_reason, entry.ended_on) == (
        StageEntry.Outcome.RESOLVED,
        "Strategy discussion booked for Monday.",
        MONDAY,
    )
    event = last_event(escalation)
    assert (event.event, event.actor, event.data) == (
        events.ESCALATION_RESOLVED,
        nel.social_worker,
        {"agreed_actions": 2},
    )


def test_a_resolved_escalation_cannot_be_resolved_again(nel: Cast) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)

    with pytest.raises(TransitionRefused, match="only an open one"):
        resolve(escalation, actor=nel.teacher)

    assert history(escalation).count(events.ESCALATION_RESOLVED) == 1


def test_withdrawing_ends_the_stage_and_closes_the_escalation(nel: Cast) -> None:
    escalation = nel.raise_()

    services.withdraw_escalation(
        escalation=escalation,
        actor=nel.teacher,
        reason="The family moved out of the area.",
        revision=1,
        today=MONDAY,
    )

    escalation = fresh(escalation)
    assert escalation.status == Escalation.Status.WITHDRAWN
    assert escalation.closed_at is not None
    assert list(escalation.stage_entries.values_list("outcome", "outcome_reason", "ended_on")) == [
        ("withdrawn", "The family moved out of the area.", MONDAY)
    ]
    event = last_event(escalation)
    assert (event.event, event.data) == (
        events.ESCALATION_WITHDRAWN,
        {"reason": "The family moved out of the area."},
    )
    with pytest.raises(TransitionRefused):
        services.withdraw_escalation(escalation=escalation, actor=nel.teacher, reason="Again.")


def test_an_agreed_action_is_checked_back_only_after_understanding_is_confirmed(
    nel: Cast,
) -> None:
    escalation = resolve(
        nel.raise_(),
        actor=nel.teacher,
        actions=[services.AgreedActionDetails("Visit the family.", nel.social_worker, MONDAY)],
    )
    action = escalation.agreed_actions.get()

    with pytest.raises(TransitionRefused, match="Confirm shared understanding"):
        services.check_back_action(action=action, actor=nel.teacher, implemented=True, note="")
    assert AgreedAction.objects.get().implementation == AgreedAction.Implementation.PENDING

    services.confirm_understanding(action=action, actor=nel.social_worker)
    action.refresh_from_db()
    assert action.understanding_confirmed_at is not None
    assert action.understanding_confirmed_by == nel.social_worker
    assert (last_event(escalation).event, last_event(escalation).data) == (
        events.AGREED_ACTION_UNDERSTANDING_CONFIRMED,
        {"agreed_action": action.pk},
    )
    with pytest.raises(TransitionRefused, match="already confirmed"):
        services.confirm_understanding(action=action, actor=nel.social_worker)

    services.check_back_action(
        action=action, actor=nel.teacher, implemented=False, note="Visit postponed twice."
    )
    action.refresh_from_db()
    assert action.implementation == AgreedAction.Implementation.NOT_IMPLEMENTED
    assert (action.checked_by, action.check_note) == (nel.teacher, "Visit postponed twice.")
    assert action.checked_at is not None
    event = last_event(escalation)
    assert (event.event, event.actor, event.data) == (
        events.AGREED_ACTION_CHECKED,
        nel.teacher,
        {"agreed_action": action.pk, "implemented": False},
    )
    assert fresh(escalation).revision == 4


# --- checklist and close ---------------------------------------------------------------


def tick(escalation: Escalation, actor: Person, item: ChecklistItem, **kwargs: object):
    return services.tick_checklist_item(
        escalation=escalation,
        actor=actor,
        item=item,
        **{"is_done": True, **kwargs},
    )


def test_the_checklist_is_ticked_only_once_resolved(nel: Cast) -> None:
    escalation = nel.raise_()

    with pytest.raises(TransitionRefused, match="once the escalation is resolved"):
        tick(escalation, nel.teacher, ChecklistItem.RECORD_OUTCOME)


def test_ticking_a_checklist_item_stores_it_once(nel: Cast) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)

    tick(escalation, nel.teacher, ChecklistItem.RECORD_OUTCOME, is_done=False, not_done_reason="x")
    tick(escalation, nel.social_worker, ChecklistItem.RECORD_OUTCOME)

    row = ChecklistTick.objects.get()
    assert (row.stage_number, row.item, row.is_done, row.ticked_by) == (
        1,
        "record_outcome",
        True,
        nel.social_worker,
    )
    event = last_event(escalation)
    assert (event.event, event.data) == (
        events.CHECKLIST_ITEM_TICKED,
        {"item": "record_outcome", "done": True},
    )


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_an_item_not_done_needs_a_reason(nel: Cast, reason: str) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)

    with pytest.raises(TransitionRefused, match="Say why"):
        tick(
            escalation,
            nel.teacher,
            ChecklistItem.RECORD_OUTCOME,
            is_done=False,
            not_done_reason=reason,
        )

    assert not ChecklistTick.objects.exists()


def test_an_item_not_on_the_stage_checklist_is_refused(nel: Cast) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)

    with pytest.raises(TransitionRefused, match="not on this stage's checklist"):
        tick(escalation, nel.teacher, ChecklistItem.DEBRIEF)


def test_setting_a_review_date_needs_the_date() -> None:
    # Worcestershire's stage 2 checklist asks for a review date.
    worcestershire = Cast("worcestershire")
    escalation = services.escalate_stage(
        escalation=worcestershire.raise_(), actor=worcestershire.teacher, reason="No agreement."
    )
    escalation = resolve(escalation, actor=worcestershire.teacher)

    with pytest.raises(TransitionRefused, match="Give the review date"):
        tick(escalation, worcestershire.teacher, ChecklistItem.SET_REVIEW_DATE)
    tick(
        escalation,
        worcestershire.teacher,
        ChecklistItem.SET_REVIEW_DATE,
        review_on=date(2027, 2, 1),
    )

    assert ChecklistTick.objects.get().review_on == date(2027, 2, 1)


def test_closing_is_refused_until_each_checklist_item_is_done_or_explained(nel: Cast) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)

    with pytest.raises(TransitionRefused, match="2 checklist item"):
        services.close_escalation(escalation=escalation, actor=nel.teacher)
    tick(escalation, nel.teacher, ChecklistItem.RECORD_OUTCOME)
    with pytest.raises(TransitionRefused, match="1 checklist item"):
        services.close_escalation(escalation=escalation, actor=nel.teacher)
    tick(
        escalation,
        nel.teacher,
        ChecklistItem.RECORD_ON_SUBJECT_FILE,
        is_done=False,
        not_done_reason="The school keeps no file for this child yet.",
    )

    services.close_escalation(escalation=escalation, actor=nel.teacher, revision=4)

    escalation = fresh(escalation)
    assert escalation.status == Escalation.Status.CLOSED
    assert escalation.closed_at is not None
    assert last_event(escalation).event == events.ESCALATION_CLOSED
    assert history(escalation).count(events.ESCALATION_CLOSED) == 1


def test_only_a_resolved_escalation_can_be_closed(nel: Cast) -> None:
    escalation = nel.raise_()

    with pytest.raises(TransitionRefused, match="Only a resolved"):
        services.close_escalation(escalation=escalation, actor=nel.teacher)


# --- the final stage ---------------------------------------------------------------------


def test_parties_submit_written_representations_to_the_final_stage(nel: Cast) -> None:
    escalation = nel.raise_()
    with pytest.raises(TransitionRefused, match="open final stage"):
        services.submit_representation(escalation=escalation, actor=nel.teacher, text="Early.")
    escalation = escalate_to_final(escalation, actor=nel.teacher)

    services.submit_representation(
        escalation=escalation, actor=nel.social_worker, text="The threshold was applied correctly."
    )

    row = Representation.objects.get()
    assert (row.agency, row.author, row.text) == (
        nel.social_care,
        nel.social_worker,
        "The threshold was applied correctly.",
    )
    event = last_event(escalation)
    assert (event.event, event.stage_number, event.data) == (
        events.REPRESENTATION_SUBMITTED,
        5,
        {"agency": nel.social_care.pk},
    )
    with pytest.raises(TransitionRefused, match="agencies in the disagreement"):
        services.submit_representation(escalation=escalation, actor=nel.chair, text="Mine.")


def panel_member(agency: Agency, name: str) -> Person:
    return PersonFactory(agency=agency, ladder_role="assistant_director", name=name)


def test_a_panel_is_convened_only_at_a_final_stage_that_has_one(
    devon: Cast, greenwich: Cast
) -> None:
    early = devon.raise_()
    with pytest.raises(TransitionRefused, match="at the final stage"):
        services.add_panel_member(escalation=early, actor=devon.chair, member=devon.nurse)

    at_final = escalate_to_final(greenwich.raise_(), actor=greenwich.teacher)
    with pytest.raises(TransitionRefused, match="no resolution panel"):
        services.add_panel_member(escalation=at_final, actor=greenwich.chair, member=devon.nurse)

    assert not early.panel_members.exists()
    assert not at_final.panel_members.exists()


def test_a_devon_panel_needs_three_agencies_before_it_decides(devon: Cast) -> None:
    escalation = escalate_to_final(devon.raise_(), actor=devon.teacher)
    school_rep = panel_member(devon.school, "Sasha School")
    care_rep = panel_member(devon.social_care, "Cal Care")
    for member in (school_rep, care_rep):
        services.add_panel_member(escalation=escalation, actor=devon.chair, member=member)

    assert services.check_panel(escalation) == services.PanelCheck(
        missing="The panel needs representatives of 3 agencies; it has 2.", advice=""
    )
    with pytest.raises(TransitionRefused, match="3 agencies; it has 2"):
        services.record_final_decision(
            escalation=escalation,
            actor=school_rep,
            decided_by_kind=FinalStageKind.RESOLUTION_PANEL,
            decision="Hold a strategy discussion.",
        )
    assert not FinalDecision.objects.exists()

    health_rep = panel_member(devon.health, "Hal Health")
    services.add_panel_member(escalation=escalation, actor=devon.chair, member=health_rep)
    assert services.check_panel(escalation) == services.PanelCheck(missing="", advice="")
    assert last_event(escalation).data == {"member": health_rep.pk}

    decision = services.record_final_decision(
        escalation=escalation,
        actor=health_rep,
        decided_by_kind=FinalStageKind.RESOLUTION_PANEL,
        decision="Hold a strategy discussion within five working days.",
        today=MONDAY,
    )

    decision.refresh_from_db()
    assert (decision.decided_by, decision.decided_by_kind, decision.decided_on) == (
        health_rep,
        "resolution_panel",
        MONDAY,
    )
    escalation = fresh(escalation)
    assert escalation.status == Escalation.Status.RESOLVED
    assert escalation.stage_entries.get(number=5).outcome == StageEntry.Outcome.RESOLVED
    assert history(escalation).count(events.PANEL_MEMBER_ADDED) == 3
    event = last_event(escalation)
    assert (event.event, event.actor, event.data) == (
        events.FINAL_DECISION_RECORDED,
        health_rep,
        {"decided_by": "resolution_panel"},
    )


def test_a_panel_without_the_disputing_agencies_is_advised_not_refused(devon: Cast) -> None:
    escalation = escalate_to_final(devon.raise_(), actor=devon.teacher)
    for index in range(3):
        agency = AgencyFactory(partnership=devon.policy.partnership, name=f"Uninvolved {index}")
        member = panel_member(agency, f"Uma Uninvolved {index}")
        services.add_panel_member(escalation=escalation, actor=devon.chair, member=member)

    check = services.check_panel(escalation)

    assert check.missing == ""
    assert "agencies in the disagreement" in check.advice


def test_only_the_panel_or_the_chair_decides(devon: Cast) -> None:
    escalation = escalate_to_final(devon.raise_(), actor=devon.teacher)

    with pytest.raises(ActionForbidden):
        services.record_final_decision(
            escalation=escalation,
            actor=devon.teacher,
            decided_by_kind=FinalStageKind.CHAIR_DECISION,
            decision="My way.",
        )
    services.record_final_decision(
        escalation=escalation,
        actor=devon.chair,
        decided_by_kind=FinalStageKind.CHAIR_DECISION,
        decision="A joint visit this week.",
    )

    assert fresh(escalation).status == Escalation.Status.RESOLVED


def test_a_greenwich_meeting_is_chaired_from_an_uninvolved_agency(greenwich: Cast) -> None:
    escalation = escalate_to_final(
        greenwich.raise_(entry_route="refused_icpc"), actor=greenwich.teacher
    )
    assert escalation.stage_number == 6

    def decide(chaired_by: Agency | None, kind=FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING):
        return services.record_final_decision(
            escalation=escalation,
            actor=greenwich.chair,
            decided_by_kind=kind,
            decision="Convene an Initial Child Protection Conference.",
            chaired_by_agency=chaired_by,
            today=MONDAY,
        )

    with pytest.raises(TransitionRefused, match="not decided that way"):
        decide(greenwich.health, kind=FinalStageKind.CHAIR_DECISION)
    for involved in (greenwich.school, greenwich.social_care, None):
        with pytest.raises(TransitionRefused, match="uninvolved agency"):
            decide(involved)
    assert not FinalDecision.objects.exists()

    decide(greenwich.health)

    assert FinalDecision.objects.get().chaired_by_agency == greenwich.health
    assert fresh(escalation).status == Escalation.Status.RESOLVED
    assert last_event(escalation).event == events.FINAL_DECISION_RECORDED


# --- lost updates and policy versions ----------------------------------------------------------


def test_a_stale_revision_is_refused_naming_the_latest_change_and_nothing_is_saved(
    nel: Cast,
) -> None:
    escalation = nel.raise_()
    seen_by_teacher = escalation.revision
    services.record_contact(
        escalation=escalation,
        actor=nel.social_worker,
        kind=Contact.Kind.TELEPHONE,
        between="",
        summary="Called back.",
        outcome="Will review.",
        decision_makers="",
        happened_on=MONDAY,
        revision=seen_by_teacher,
    )

    with pytest.raises(services.StaleEscalation) as refusal:
        services.escalate_stage(
            escalation=escalation,
            actor=nel.teacher,
            reason="No reply.",
            revision=seen_by_teacher,
            today=MONDAY,
        )

    assert "'Contact recorded' by Sol Worker" in str(refusal.value)
    assert "was not saved" in str(refusal.value)
    escalation = fresh(escalation)
    assert (escalation.stage_number, escalation.revision) == (1, 2)
    assert escalation.stage_entries.count() == 1
    assert history(escalation) == [events.ESCALATION_RAISED, events.CONTACT_RECORDED]


def test_an_escalation_keeps_its_policy_version_after_a_new_one_is_loaded(nel: Cast) -> None:
    escalation = nel.raise_()
    version_two = (
        Policy.objects.get(pk=nel.policy.pk)
        .text.replace("version = 1", "version = 2")
        .replace("days = 8 }", "days = 9 }")
    )
    load_policy(text=version_two, origin="nel.toml")
    assert current_policy_for("nel").version == 2

    escalation = services.escalate_stage(
        escalation=escalation, actor=nel.teacher, reason="No reply.", today=MONDAY
    )

    escalation = fresh(escalation)
    assert escalation.policy.version == 1
    # Version 1: stage 2 by working day 8 (31 Dec); version 2 would give 4 Jan 2027.
    assert escalation.stage_due_on == NEW_YEARS_EVE
    assert nel.raise_().policy.version == 1  # the cast holds version 1 explicitly
    assert raise_for(raised_by=nel.teacher, other_agency=nel.health).policy.version == 2
