"""Each service, checked for the row it leaves and the audit event it records (STYLE §9).

Who may make each move is the stage machine's (``domain/moves.py``, tested without a
database); these tests check the service asks it and stores what it decides. Dates are
real: 18 December 2026 is a Friday, Christmas Day falls on the next Friday and Boxing Day's
substitute bank holiday on Monday 28 December.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.domain import moves
from escalate.domain.engine import TransitionRefused
from escalate.domain.policy import ChecklistItem, FinalStageKind, SubjectKind
from escalate.escalations import selectors, services
from escalate.escalations.access import ActionForbidden, escalations_visible_to
from escalate.escalations.models import (
    AgreedAction,
    Appointment,
    ChecklistTick,
    Contact,
    Escalation,
    FinalDecision,
    Representation,
    ResolutionProposal,
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
from escalate.organisations.models import Agency, PartnershipRoleAssignment, Person
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
        # The top of each party agency's ladder acts at every stage (docs/domain.md decision 7).
        self.school_head = PersonFactory(
            agency=self.school, name="Hana Head", ladder_role="assistant_director"
        )
        self.care_head = PersonFactory(
            agency=self.social_care, name="Cory Director", ladder_role="assistant_director"
        )
        self.care_manager = PersonFactory(
            agency=self.social_care, name="Mo Manager", ladder_role="line_manager"
        )

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
    """Propose a resolution and, where the stage needs it, have the other side confirm it."""
    escalation = services.resolve_escalation(
        escalation=escalation,
        actor=actor,
        agreed_outcome="Strategy discussion booked for Monday.",
        actions=actions or [services.AgreedActionDetails("Book the discussion.", actor, MONDAY)],
        today=MONDAY,
    )
    for other in _other_heads(escalation, actor):
        if escalation.status == Escalation.Status.OPEN:
            escalation = services.confirm_resolution(
                escalation=escalation, actor=other, today=MONDAY
            )
    return escalation


def _other_heads(escalation: Escalation, actor: Person) -> list[Person]:
    agencies = escalation.parties.exclude(agency=actor.agency).values("agency_id")
    return list(Person.objects.filter(agency_id__in=agencies, ladder_role="assistant_director"))


# --- raise ---------------------------------------------------------------------------


def test_raising_stores_the_escalation_with_stage_1_due_on_the_partnership_calendar(
    nel: Cast,
) -> None:
    escalation = nel.raise_()

    escalation = fresh(escalation)
    assert escalation.reference == "NEL-2026-000001"
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
    assert event.data == {
        "policy_version": nel.policy.version,
        "entry_route": "",
        "immediate_risk": False,
    }


def test_references_count_up_within_the_year(nel: Cast) -> None:
    first = nel.raise_()
    second = nel.raise_()

    assert (first.reference, second.reference) == ("NEL-2026-000001", "NEL-2026-000002")


def test_each_partnership_numbers_its_own_references_under_its_code(
    nel: Cast, greenwich: Cast
) -> None:
    ours = nel.raise_()
    theirs = greenwich.raise_()
    ours_again = nel.raise_()
    next_year = greenwich.raise_(today=date(2027, 1, 4))

    assert [e.reference for e in (ours, theirs, ours_again, next_year)] == [
        "NEL-2026-000001",
        "GREENWIC-2026-000001",
        "NEL-2026-000002",
        "GREENWIC-2027-000001",
    ]


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


def test_a_case_raised_at_the_line_managers_rung_names_them_as_a_read_back_does(
    devon: Cast, django_assert_num_queries: Any
) -> None:
    school_manager = PersonFactory(
        agency=devon.school, name="Sam Supervisor", ladder_role="line_manager"
    )
    Person.objects.filter(pk=devon.teacher.pk).update(line_manager=school_manager)
    Person.objects.filter(pk=devon.social_worker.pk).update(line_manager=devon.care_manager)
    # As a request reads them: the people alone, their line managers not yet read.
    teacher = Person.objects.select_related("agency__partnership").get(pk=devon.teacher.pk)
    social_worker = Person.objects.get(pk=devon.social_worker.pk)
    raised = services.raise_escalation(
        raised_by=teacher,
        policy=devon.policy,
        subject=services.SubjectDetails(
            kind=SubjectKind.CHILD, name="Alex Invented", case_reference="CASE-9"
        ),
        other_agency=devon.social_care,
        counterpart=social_worker,
        category=devon.policy.rules.categories[0].key,
        decision_disputed="A decision.",
        evidence="",
        desired_outcome="An outcome.",
        immediate_risk=True,
        start_at=3,  # Devon's stage 3 belongs to the supervisors
        today=FRIDAY,
    )

    # Each side's own line manager acts, read in one query, not one a party.
    with django_assert_num_queries(1):
        built = selectors.new_escalation_record(raised)
    read_back = selectors.escalation_record(raised.escalation)

    def named(record: selectors.EscalationRecord) -> dict[int, list[str]]:
        return {agency: [p.name for p in people] for agency, people in record.acting.items()}

    assert named(built) == named(read_back)
    assert named(built)[devon.school.pk] == ["Sam Supervisor"]
    assert named(built)[devon.social_care.pk] == ["Mo Manager"]


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
    adult = services.SubjectDetails(
        kind=SubjectKind.ADULT, name="Ray Invented", case_reference="A-1"
    )

    with pytest.raises(TransitionRefused, match="does not cover an adult"):
        devon.raise_(subject=adult)

    assert not Subject.objects.exists()
    assert nel.raise_(subject=adult).subject.kind == Subject.Kind.ADULT  # NEL covers both


@pytest.mark.parametrize(
    ("subject", "refusal"),
    [
        (
            services.SubjectDetails(kind=SubjectKind.CHILD, name="Alex Invented"),
            "Give a case reference, PID or NHS number",
        ),
        (
            services.SubjectDetails(
                kind=SubjectKind.CHILD, name="Alex Invented", nhs_number="943 476 5918"
            ),
            "Enter a valid NHS number",
        ),
        (
            services.SubjectDetails(
                kind=SubjectKind.CHILD,
                name="Alex Invented",
                case_reference="C-1",
                date_of_birth=FRIDAY + timedelta(days=1),
            ),
            "date of birth must be today or in the past",
        ),
    ],
)
def test_the_service_refuses_a_subject_no_agency_could_match(
    nel: Cast, subject: services.SubjectDetails, refusal: str
) -> None:
    """Whichever door raises (page, API, import), the service itself holds the rule."""
    with pytest.raises(TransitionRefused, match=refusal):
        nel.raise_(subject=subject)

    assert not Subject.objects.exists()
    assert not Escalation.objects.exists()


def test_an_nhs_number_is_stored_as_its_ten_digits(nel: Cast) -> None:
    subject = services.SubjectDetails(
        kind=SubjectKind.CHILD, name="Alex Invented", nhs_number=" 943-476 5919 "
    )

    assert nel.raise_(subject=subject).subject.nhs_number == "9434765919"


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
        today=MONDAY,
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
        actor=nel.care_manager,  # stage 2 belongs to the line managers
        reason="Managers did not agree.",
        today=NEW_YEARS_EVE,
    )

    # docs/domain.md decision 1: stages due Mon 21 Dec, Thu 31 Dec 2026, Wed 6 Jan 2027.
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
    assert event.data == {"from": 2, "to": 3}
    # The reason is kept beside the append-only event, where retention can blank it.
    assert event.texts.get(name="reason").text == "Managers did not agree."


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
    escalation = escalate_to_final(nel.raise_(), actor=nel.school_head)
    revision = escalation.revision

    with pytest.raises(TransitionRefused, match="already at its final stage"):
        services.escalate_stage(escalation=escalation, actor=nel.school_head, reason="More.")

    escalation = fresh(escalation)
    assert (escalation.stage_number, escalation.revision) == (5, revision)
    assert history(escalation).count(events.STAGE_ESCALATED) == 4


# --- resolve: proposed by one agency, agreed by the others (docs/domain.md decision 8) ----------


def test_a_resolution_is_proposed_and_the_stage_stays_open_until_the_other_agency_agrees(
    nel: Cast,
) -> None:
    escalation = nel.raise_()
    actions = [
        services.AgreedActionDetails("Hold a strategy discussion.", nel.social_worker, MONDAY),
        services.AgreedActionDetails("Share attendance records.", nel.teacher, NEW_YEARS_EVE),
    ]

    escalation = services.resolve_escalation(
        escalation=escalation,
        actor=nel.social_worker,
        agreed_outcome="Strategy discussion booked for Monday.",
        actions=actions,
        today=MONDAY,
    )

    escalation = fresh(escalation)
    assert escalation.status == Escalation.Status.OPEN
    assert escalation.waiting_on == "confirmation"
    assert not escalation.agreed_actions.exists()
    proposal = ResolutionProposal.objects.get()
    assert (proposal.agency, proposal.state) == (nel.social_care, "proposed")
    assert last_event(escalation).event == events.RESOLUTION_PROPOSED
    with pytest.raises(TransitionRefused, match="already agreed"):
        services.confirm_resolution(escalation=escalation, actor=nel.care_head, today=MONDAY)

    escalation = services.confirm_resolution(
        escalation=escalation, actor=nel.teacher, revision=escalation.revision, today=MONDAY
    )

    escalation = fresh(escalation)
    assert escalation.status == Escalation.Status.RESOLVED
    assert escalation.waiting_on == "check_back"
    assert list(
        escalation.agreed_actions.values_list("description", "owner", "due_on", "stage_number")
    ) == [
        ("Hold a strategy discussion.", nel.social_worker.pk, MONDAY, 1),
        ("Share attendance records.", nel.teacher.pk, NEW_YEARS_EVE, 1),
    ]
    entry = escalation.stage_entries.get()
    assert (entry.outcome, entry.outcome_reason, entry.ended_on) == (
        StageEntry.Outcome.RESOLVED,
        "Strategy discussion booked for Monday.",
        MONDAY,
    )
    event = last_event(escalation)
    assert (event.event, event.actor) == (events.ESCALATION_RESOLVED, nel.teacher)
    assert event.data["agreed_actions"] == 2
    assert ResolutionProposal.objects.get().state == "agreed"


def test_a_practitioner_cannot_resolve_a_stage_that_belongs_to_heads_of_service(
    nel: Cast,
) -> None:
    escalation = escalate_to_final(nel.raise_(), actor=nel.school_head)
    escalation = Escalation.objects.get(pk=escalation.pk)
    Escalation.objects.filter(pk=escalation.pk).update(stage_number=3)  # NEL stage 3: HoS
    escalation = fresh(escalation)

    for verb in (services.escalate_stage, services.withdraw_escalation):
        with pytest.raises(TransitionRefused):
            verb(escalation=escalation, actor=nel.social_worker, reason="Mine to move.")
    with pytest.raises(TransitionRefused, match="belongs to the heads of service"):
        resolve(escalation, actor=nel.teacher)

    assert fresh(escalation).status == Escalation.Status.OPEN


def test_a_one_sided_stage_resolves_when_the_raising_side_records_it(devon: Cast) -> None:
    escalation = devon.raise_()  # Devon stage 1: the worker and their own supervisor

    escalation = services.resolve_escalation(
        escalation=escalation,
        actor=devon.teacher,
        agreed_outcome="My supervisor and I agree the plan answers my concern.",
        actions=[services.AgreedActionDetails("Note it on file.", devon.teacher, MONDAY)],
        today=MONDAY,
    )

    assert fresh(escalation).status == Escalation.Status.RESOLVED


def test_the_other_agency_sees_a_devon_escalation_only_once_a_stage_involves_it(
    devon: Cast,
) -> None:
    escalation = devon.raise_()  # stage 1: the worker and their own supervisor

    for outsider_for_now in (devon.social_worker, devon.care_head):
        assert not escalations_visible_to(outsider_for_now).filter(pk=escalation.pk).exists()
    assert escalations_visible_to(devon.school_head).filter(pk=escalation.pk).exists()

    services.escalate_stage(
        escalation=escalation, actor=devon.teacher, reason="Not settled.", today=MONDAY
    )

    for told in (devon.social_worker, devon.care_head):
        assert escalations_visible_to(told).filter(pk=escalation.pk).exists()


def test_escalating_lets_a_waiting_proposal_lapse(nel: Cast) -> None:
    escalation = services.resolve_escalation(
        escalation=nel.raise_(),
        actor=nel.teacher,
        agreed_outcome="A plan.",
        actions=[services.AgreedActionDetails("Act.", nel.teacher, MONDAY)],
        today=MONDAY,
    )

    services.escalate_stage(
        escalation=escalation, actor=nel.social_worker, reason="We do not agree.", today=MONDAY
    )

    assert ResolutionProposal.objects.get().state == "lapsed"
    assert fresh(escalation).stage_number == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("agreed_outcome", "   ", "Enter the agreed outcome"),
        ("agreed_outcome", "Fine\x07", "control characters"),
    ],
    ids=["blank-outcome", "control-character"],
)
def test_a_resolution_checks_its_text_as_the_form_does(
    nel: Cast, field: str, value: str, message: str
) -> None:
    arguments: dict[str, object] = {
        "agreed_outcome": "A plan.",
        "actions": [services.AgreedActionDetails("Act.", nel.teacher, MONDAY)],
    }
    arguments[field] = value

    with pytest.raises(TransitionRefused, match=message):
        services.resolve_escalation(
            escalation=nel.raise_(), actor=nel.teacher, today=MONDAY, **arguments
        )

    assert not ResolutionProposal.objects.exists()


def test_an_action_owner_from_another_partnership_is_refused_like_nobody(nel: Cast) -> None:
    elsewhere = Cast("devon-preschool")

    with pytest.raises(TransitionRefused, match="No such person in this partnership"):
        services.resolve_escalation(
            escalation=nel.raise_(),
            actor=nel.teacher,
            agreed_outcome="A plan.",
            actions=[services.AgreedActionDetails("Act.", elsewhere.teacher, MONDAY)],
            today=MONDAY,
        )


def test_a_raise_against_another_partnerships_agency_is_refused(nel: Cast) -> None:
    elsewhere = Cast("devon-preschool")

    with pytest.raises(TransitionRefused, match="No such agency in this partnership"):
        nel.raise_(other_agency=elsewhere.social_care, counterpart=None)
    with pytest.raises(TransitionRefused, match="No such person in this partnership"):
        nel.raise_(counterpart=elsewhere.social_worker)

    assert not Escalation.objects.exists()


# --- withdraw: the raising side only (decision 9) -----------------------------------------------


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
    assert (event.event, event.data, event.texts.get(name="reason").text) == (
        events.ESCALATION_WITHDRAWN,
        {},
        "The family moved out of the area.",
    )
    with pytest.raises(TransitionRefused):
        services.withdraw_escalation(escalation=escalation, actor=nel.teacher, reason="Again.")


@pytest.mark.parametrize("who", ["social_worker", "care_manager", "care_head"])
def test_the_challenged_side_cannot_withdraw(nel: Cast, who: str) -> None:
    escalation = nel.raise_()

    with pytest.raises(TransitionRefused, match="cannot end the challenge"):
        services.withdraw_escalation(
            escalation=escalation, actor=getattr(nel, who), reason="We were right.", today=MONDAY
        )

    assert fresh(escalation).status == Escalation.Status.OPEN


def test_the_raisers_manager_may_withdraw_with_a_reason(nel: Cast) -> None:
    escalation = nel.raise_()
    with pytest.raises(TransitionRefused, match="Enter why it is withdrawn"):
        services.withdraw_escalation(escalation=escalation, actor=nel.school_head, reason=" ")

    services.withdraw_escalation(
        escalation=escalation, actor=nel.school_head, reason="Resolved by phone.", today=MONDAY
    )

    assert fresh(escalation).status == Escalation.Status.WITHDRAWN


# --- agreed actions, checklist, close, reopen --------------------------------------------------


def test_an_agreed_action_is_checked_back_only_after_understanding_is_confirmed(
    nel: Cast,
) -> None:
    escalation = resolve(
        nel.raise_(),
        actor=nel.teacher,
        actions=[services.AgreedActionDetails("Visit the family.", nel.social_worker, MONDAY)],
    )
    action = escalation.agreed_actions.get()

    with pytest.raises(TransitionRefused, match="Only the raising side can check back"):
        services.confirm_understanding(action=action, actor=nel.social_worker)
    with pytest.raises(TransitionRefused, match="No confirmed agreed action"):
        services.check_back_action(action=action, actor=nel.teacher, implemented=True, note="")
    services.confirm_understanding(action=action, actor=nel.teacher)
    action.refresh_from_db()
    assert action.understanding_confirmed_by == nel.teacher
    assert last_event(escalation).event == events.AGREED_ACTION_UNDERSTANDING_CONFIRMED

    with pytest.raises(TransitionRefused, match="Only the raising side can check back"):
        services.check_back_action(action=action, actor=nel.care_head, implemented=True, note="")
    services.check_back_action(
        action=action, actor=nel.teacher, implemented=False, note="Visit postponed twice."
    )

    action.refresh_from_db()
    assert action.implementation == AgreedAction.Implementation.NOT_IMPLEMENTED
    assert (action.checked_by, action.check_note) == (nel.teacher, "Visit postponed twice.")
    event = last_event(escalation)
    assert (event.event, event.data) == (
        events.AGREED_ACTION_CHECKED,
        {"agreed_action": action.pk, "implemented": False},
    )


def test_agreed_actions_cannot_be_confirmed_once_closed(nel: Cast) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)
    action = escalation.agreed_actions.get()
    services.confirm_understanding(action=action, actor=nel.teacher)
    services.check_back_action(action=action, actor=nel.teacher, implemented=True, note="")
    tick(escalation, nel.teacher, ChecklistItem.RECORD_ON_SUBJECT_FILE)
    tick(escalation, nel.social_worker, ChecklistItem.RECORD_ON_SUBJECT_FILE)
    services.close_escalation(escalation=escalation, actor=nel.teacher)

    with pytest.raises(TransitionRefused, match="closed"):
        services.check_back_action(action=action, actor=nel.teacher, implemented=True, note="")


def tick(
    escalation: Escalation, actor: Person, item: ChecklistItem, **kwargs: Any
) -> ChecklistTick:
    return services.tick_checklist_item(
        escalation=escalation,
        actor=actor,
        item=item,
        **{"is_done": True, **kwargs},
    )


def test_the_checklist_is_answered_only_once_resolved(nel: Cast) -> None:
    escalation = nel.raise_()

    with pytest.raises(TransitionRefused, match="once it is resolved"):
        tick(escalation, nel.teacher, ChecklistItem.RECORD_ON_SUBJECT_FILE)


def test_escalate_answers_what_the_record_already_knows(nel: Cast) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)

    with pytest.raises(TransitionRefused, match="answers that item from the record"):
        tick(escalation, nel.teacher, ChecklistItem.RECORD_OUTCOME)


def test_each_agency_attests_its_own_files(nel: Cast) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)

    tick(
        escalation,
        nel.teacher,
        ChecklistItem.RECORD_ON_SUBJECT_FILE,
        is_done=False,
        not_done_reason="No file yet.",
    )
    tick(escalation, nel.teacher, ChecklistItem.RECORD_ON_SUBJECT_FILE)

    row = ChecklistTick.objects.get()
    assert (row.item, row.agency, row.is_done, row.ticked_by) == (
        "record_on_subject_file",
        nel.school,
        True,
        nel.teacher,
    )
    assert last_event(escalation).data == {
        "item": "record_on_subject_file",
        "done": True,
        "agency": nel.school.pk,
    }
    outstanding = services.outstanding_checklist(escalation)
    # NEL's stage 1 checklist: the outcome (known to Escalate) and each agency's own file.
    assert [(slot.item.value, slot.agency_id) for slot in outstanding] == [
        ("record_on_subject_file", nel.social_care.pk),
    ]


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_an_item_not_done_needs_a_reason(nel: Cast, reason: str) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)

    with pytest.raises(TransitionRefused, match="Enter why this has not been done"):
        tick(
            escalation,
            nel.teacher,
            ChecklistItem.RECORD_ON_SUBJECT_FILE,
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
    escalation = resolve(escalation, actor=worcestershire.school_head)

    with pytest.raises(TransitionRefused, match="Give the review date"):
        tick(escalation, worcestershire.school_head, ChecklistItem.SET_REVIEW_DATE)
    tick(
        escalation,
        worcestershire.school_head,
        ChecklistItem.SET_REVIEW_DATE,
        review_on=date(2027, 2, 1),
    )

    assert ChecklistTick.objects.get().review_on == date(2027, 2, 1)


def test_closing_waits_for_the_check_backs_and_each_agencys_answers(nel: Cast) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)
    action = escalation.agreed_actions.get()

    with pytest.raises(TransitionRefused, match="2 checklist item"):
        services.close_escalation(escalation=escalation, actor=nel.teacher)
    services.confirm_understanding(action=action, actor=nel.teacher)
    services.check_back_action(action=action, actor=nel.teacher, implemented=True, note="")
    tick(escalation, nel.teacher, ChecklistItem.RECORD_ON_SUBJECT_FILE)
    with pytest.raises(TransitionRefused, match="1 checklist item"):
        services.close_escalation(escalation=escalation, actor=nel.teacher)
    tick(escalation, nel.social_worker, ChecklistItem.RECORD_ON_SUBJECT_FILE)
    with pytest.raises(TransitionRefused, match="Only the raising side can close"):
        services.close_escalation(escalation=escalation, actor=nel.social_worker)

    services.close_escalation(escalation=escalation, actor=nel.teacher)

    escalation = fresh(escalation)
    assert escalation.status == Escalation.Status.CLOSED
    assert escalation.waiting_on == "nobody"
    assert last_event(escalation).event == events.ESCALATION_CLOSED


def test_only_a_resolved_escalation_can_be_closed(nel: Cast) -> None:
    escalation = nel.raise_()

    with pytest.raises(TransitionRefused, match="only a resolved one can be closed"):
        services.close_escalation(escalation=escalation, actor=nel.teacher)


@pytest.mark.parametrize("to_next_stage", [False, True], ids=["same-stage", "next-stage"])
def test_a_failed_check_back_reopens_or_re_escalates(nel: Cast, to_next_stage: bool) -> None:
    escalation = resolve(nel.raise_(), actor=nel.teacher)
    action = escalation.agreed_actions.get()
    with pytest.raises(TransitionRefused, match="after a failed check-back"):
        services.reopen_escalation(
            escalation=escalation, actor=nel.teacher, reason="x", to_next_stage=False
        )
    services.confirm_understanding(action=action, actor=nel.teacher)
    services.check_back_action(action=action, actor=nel.teacher, implemented=False, note="None.")

    escalation = services.reopen_escalation(
        escalation=escalation,
        actor=nel.teacher,
        reason="The discussion never happened.",
        to_next_stage=to_next_stage,
        today=NEW_YEARS_EVE,
    )

    escalation = fresh(escalation)
    assert escalation.status == Escalation.Status.OPEN
    assert escalation.stage_number == (2 if to_next_stage else 1)
    assert AgreedAction.objects.get().superseded_at is not None
    assert list(escalation.stage_entries.values_list("number", "entered_on")) == [
        (1, FRIDAY),
        (2 if to_next_stage else 1, NEW_YEARS_EVE),
    ]
    event = last_event(escalation)
    assert (event.event, event.texts.get(name="reason").text) == (
        events.ESCALATION_REOPENED,
        "The discussion never happened.",
    )
    resolve(escalation, actor=nel.school_head)  # a new round can be agreed afterwards
    assert fresh(escalation).agreed_actions.filter(superseded_at=None).count() == 1


# --- more than two agencies, and the lead agency (decision 11) -------------------------------


def test_a_third_agency_joins_and_must_agree_the_resolution(nel: Cast) -> None:
    escalation = nel.raise_()
    health_head = PersonFactory(agency=nel.health, ladder_role="assistant_director")

    services.add_party(
        escalation=escalation,
        actor=nel.teacher,
        agency=nel.health,
        side=moves.Side.CHALLENGED,
        practitioner=nel.nurse,
        today=MONDAY,
    )
    services.resolve_escalation(
        escalation=escalation,
        actor=nel.teacher,
        agreed_outcome="A joint plan.",
        actions=[services.AgreedActionDetails("Act.", nel.teacher, MONDAY)],
        today=MONDAY,
    )
    services.confirm_resolution(escalation=escalation, actor=nel.care_head, today=MONDAY)
    assert fresh(escalation).status == Escalation.Status.OPEN

    services.confirm_resolution(escalation=escalation, actor=health_head, today=MONDAY)

    assert fresh(escalation).status == Escalation.Status.RESOLVED
    assert set(escalation.parties.values_list("agency", "side")) == {
        (nel.school.pk, "raising"),
        (nel.social_care.pk, "challenged"),
        (nel.health.pk, "challenged"),
    }


def test_an_agency_from_another_partnership_cannot_join(nel: Cast) -> None:
    elsewhere = Cast("devon-preschool")

    with pytest.raises(TransitionRefused, match="No such agency in this partnership"):
        services.add_party(
            escalation=nel.raise_(),
            actor=nel.teacher,
            agency=elsewhere.health,
            side=moves.Side.CHALLENGED,
        )


def test_the_lead_agency_is_the_raising_one_unless_the_parties_choose_another(
    nel: Cast,
) -> None:
    with pytest.raises(TransitionRefused, match="does not name a lead agency"):
        services.set_lead_agency(escalation=nel.raise_(), actor=nel.teacher, agency=nel.social_care)
    cscp = Cast("cscp")
    escalation = cscp.raise_()

    services.set_lead_agency(escalation=escalation, actor=cscp.teacher, agency=cscp.social_care)

    assert list(escalation.parties.filter(is_lead=True).values_list("agency", flat=True)) == [
        cscp.social_care.pk
    ]
    assert last_event(escalation).event == events.LEAD_AGENCY_CHOSEN


# --- the final stage (decision 10) ---------------------------------------------------------


def board_member(
    cast: Cast, agency: Agency | None, name: str, role: str = "panel_member"
) -> Person:
    person = PersonFactory(agency=agency, ladder_role="assistant_director", name=name)
    PartnershipRoleAssignment.objects.create(
        person=person, partnership=cast.policy.partnership, role=role
    )
    return person


def test_parties_submit_written_representations_to_the_final_stage(nel: Cast) -> None:
    escalation = nel.raise_()
    with pytest.raises(TransitionRefused, match="at the final stage"):
        services.submit_representation(escalation=escalation, actor=nel.teacher, text="Early.")
    escalation = escalate_to_final(escalation, actor=nel.school_head)

    services.submit_representation(
        escalation=escalation, actor=nel.social_worker, text="The threshold was applied correctly."
    )

    row = Representation.objects.get()
    assert (row.agency, row.author) == (nel.social_care, nel.social_worker)
    event = last_event(escalation)
    assert (event.event, event.stage_number) == (events.REPRESENTATION_SUBMITTED, 5)
    with pytest.raises(TransitionRefused, match="Representations come from"):
        services.submit_representation(escalation=escalation, actor=nel.chair, text="Mine.")


def test_a_panel_is_convened_only_at_a_final_stage_that_has_one(
    devon: Cast, greenwich: Cast
) -> None:
    member = board_member(devon, devon.health, "Pat Panel")
    early = devon.raise_()
    with pytest.raises(TransitionRefused, match="only at the final stage"):
        services.add_panel_member(escalation=early, actor=devon.chair, member=member)

    at_final = escalate_to_final(greenwich.raise_(), actor=greenwich.school_head)
    with pytest.raises(TransitionRefused, match="no resolution panel"):
        services.add_panel_member(escalation=at_final, actor=greenwich.chair, member=member)

    assert not early.panel_members.exists()
    assert not at_final.panel_members.exists()


def test_nobody_appoints_themselves_or_someone_without_a_panel_role(devon: Cast) -> None:
    escalation = escalate_to_final(devon.raise_(), actor=devon.school_head)
    chair_on_panel = devon.chair
    PartnershipRoleAssignment.objects.create(
        person=chair_on_panel, partnership=devon.policy.partnership, role="panel_member"
    )

    with pytest.raises(TransitionRefused, match="Nobody can appoint themselves"):
        services.add_panel_member(escalation=escalation, actor=devon.chair, member=devon.chair)
    with pytest.raises(TransitionRefused, match="Appoint someone who holds"):
        services.add_panel_member(escalation=escalation, actor=devon.chair, member=devon.nurse)
    with pytest.raises(TransitionRefused, match=r"Only the .* can appoint panel members"):
        services.add_panel_member(
            escalation=escalation,
            actor=devon.school_head,
            member=board_member(devon, devon.health, "Hal Health"),
        )
    elsewhere = board_member(Cast("nel"), None, "Nel Member")
    with pytest.raises(TransitionRefused, match="No such person in this partnership"):
        services.add_panel_member(escalation=escalation, actor=devon.chair, member=elsewhere)

    assert not escalation.panel_members.exists()


def test_a_devon_panel_needs_three_agencies_and_the_parties_or_a_reason(devon: Cast) -> None:
    escalation = escalate_to_final(devon.raise_(), actor=devon.school_head)
    health_rep = board_member(devon, devon.health, "Hal Health")
    others = [
        board_member(devon, AgencyFactory(partnership=devon.policy.partnership), f"Uma {index}")
        for index in range(2)
    ]
    services.add_panel_member(escalation=escalation, actor=devon.chair, member=health_rep)
    services.add_panel_member(escalation=escalation, actor=devon.chair, member=others[0])

    assert services.check_panel(escalation).missing == (
        "The panel needs representatives of 3 agencies; it has 2."
    )
    services.add_panel_member(escalation=escalation, actor=devon.chair, member=others[1])
    with pytest.raises(TransitionRefused, match="sit on the panel where possible"):
        services.record_final_decision(
            escalation=escalation,
            actor=health_rep,
            decided_by_kind=FinalStageKind.RESOLUTION_PANEL,
            decision="Hold a strategy discussion.",
        )

    services.record_panel_reason(
        escalation=escalation,
        actor=devon.chair,
        reason="Both agencies asked for an independent panel.",
    )
    services.record_final_decision(
        escalation=escalation,
        actor=health_rep,
        decided_by_kind=FinalStageKind.RESOLUTION_PANEL,
        decision="Hold a strategy discussion within five working days.",
        today=MONDAY,
    )

    escalation = fresh(escalation)
    assert escalation.status == Escalation.Status.RESOLVED
    assert FinalDecision.objects.get().decided_by == health_rep
    assert history(escalation).count(events.PANEL_MEMBER_ADDED) == 3
    assert events.PANEL_REASON_RECORDED in history(escalation)


def test_a_removed_panel_member_loses_access_and_cannot_decide(devon: Cast) -> None:
    escalation = escalate_to_final(devon.raise_(), actor=devon.school_head)
    member = board_member(devon, devon.health, "Hal Health")
    services.add_panel_member(escalation=escalation, actor=devon.chair, member=member)
    assert member in escalation.panel_members.all()

    services.remove_panel_member(escalation=escalation, actor=devon.chair, member=member)

    assert member not in escalation.panel_members.all()
    assert Appointment.objects.get().ended_at is not None
    with pytest.raises(ActionForbidden):
        services.record_final_decision(
            escalation=escalation,
            actor=member,
            decided_by_kind=FinalStageKind.RESOLUTION_PANEL,
            decision="x",
        )


def test_only_the_panel_or_the_chair_decides(devon: Cast) -> None:
    escalation = escalate_to_final(devon.raise_(), actor=devon.school_head)

    with pytest.raises(TransitionRefused, match="Only the chair can record"):
        services.record_final_decision(
            escalation=escalation,
            actor=devon.school_head,
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


def test_a_greenwich_meeting_is_chaired_by_an_appointed_board_member_from_an_uninvolved_agency(
    greenwich: Cast,
) -> None:
    escalation = escalate_to_final(
        greenwich.raise_(entry_route="refused_icpc"), actor=greenwich.school_head
    )
    assert escalation.stage_number == 6
    manager = partnership_person(role="business_manager", policy=greenwich.policy)
    board = "executive_member"  # Greenwich's chair is a board member from an uninvolved agency
    involved = board_member(greenwich, greenwich.school, "Ivy Involved", role=board)
    uninvolved = board_member(greenwich, greenwich.health, "Una Uninvolved", role=board)

    with pytest.raises(TransitionRefused, match="has not been appointed"):
        services.record_final_decision(
            escalation=escalation,
            actor=greenwich.chair,
            decided_by_kind=FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING,
            decision="x",
        )
    with pytest.raises(TransitionRefused, match="not in the disagreement"):
        services.appoint_meeting_chair(escalation=escalation, actor=manager, chair=involved)
    services.appoint_meeting_chair(escalation=escalation, actor=manager, chair=uninvolved)
    with pytest.raises(TransitionRefused, match="Only the appointed chair"):
        services.record_final_decision(
            escalation=escalation,
            actor=greenwich.chair,
            decided_by_kind=FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING,
            decision="x",
        )

    services.record_final_decision(
        escalation=escalation,
        actor=uninvolved,
        decided_by_kind=FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING,
        decision="Convene an Initial Child Protection Conference.",
        today=MONDAY,
    )

    assert FinalDecision.objects.get().chaired_by_agency == greenwich.health
    assert fresh(escalation).status == Escalation.Status.RESOLVED


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
        between="Sol Worker and Tess Teacher",
        summary="Called back.",
        outcome="Will review.",
        decision_makers="",
        happened_on=MONDAY,
        revision=seen_by_teacher,
        today=MONDAY,
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
        .text.replace(f"version = {nel.policy.version}", f"version = {nel.policy.version + 1}")
        .replace("days = 8 }", "days = 9 }")
    )
    load_policy(text=version_two, origin="nel.toml")
    assert current_policy_for("nel").version == nel.policy.version + 1

    escalation = services.escalate_stage(
        escalation=escalation, actor=nel.teacher, reason="No reply.", today=MONDAY
    )

    escalation = fresh(escalation)
    assert escalation.policy == nel.policy
    # The escalation's version: stage 2 by working day 8 (31 Dec); the new one gives 4 Jan 2027.
    assert escalation.stage_due_on == NEW_YEARS_EVE
    assert nel.raise_().policy == nel.policy  # the cast holds its version explicitly
    newer = raise_for(raised_by=nel.teacher, other_agency=nel.health).policy
    assert newer.version == nel.policy.version + 1
