"""The outbox rows each escalation service writes, in its own transaction.

Fri 18 Dec 2026 (the factories' day): NEL stage 1 is due Mon 21 Dec. Devon's and
Greenwich's stage 1 involves the raising side only (docs/domain.md decision 13).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from escalate.audit import events
from escalate.audit.services import record
from escalate.domain.policy import FinalStageKind, LadderRole, PartnershipRole, Sides
from escalate.escalations import services as escalation_services
from escalate.escalations.models import (
    Appointment,
    Escalation,
    Party,
    ResolutionConfirmation,
    ResolutionProposal,
    StageEntry,
)
from escalate.escalations.tests.factories import keep_case_facts
from escalate.notifications import rendering, services
from escalate.notifications.facts import CaseRow, case_facts
from escalate.notifications.models import Notification, NotificationPreference
from escalate.notifications.tests.factories import (
    MONDAY,
    Ladders,
    join,
    recipients_of,
    third_agency,
)
from escalate.organisations.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def nel() -> Ladders:
    return Ladders("nel")


@pytest.fixture
def devon() -> Ladders:
    return Ladders("devon-preschool")


def rows(
    kind: str, escalation: Escalation, *, stage: int | None = None
) -> dict[Person, Notification]:
    """The rows of ``kind`` about ``escalation`` (at ``stage``), by recipient."""
    found = Notification.objects.filter(kind=kind, escalation=escalation)
    if stage is not None:
        found = found.filter(stage_number=stage)
    return {row.recipient: row for row in found.select_related("recipient")}


def assert_never_names_the_subject(notifications: list[Notification]) -> None:
    for row in notifications:
        message = rendering.render(row, recipient_name=row.recipient.name)
        for text in (message.subject, message.text, repr(row.context)):
            assert "Alex Invented" not in text
            assert "CASE-0001" not in text


def test_raising_writes_a_row_for_the_counterpart_and_both_line_managers(nel: Ladders) -> None:
    escalation = nel.raise_()

    assert recipients_of(Notification.Kind.RAISED, escalation) == {
        nel.social_worker,
        *nel.rung(LadderRole.LINE_MANAGER),
    }
    row = Notification.objects.get(recipient=nel.social_worker)
    assert row.status == Notification.Status.PENDING
    assert row.channel == Notification.Channel.EMAIL
    assert row.stage_number == 1
    assert row.context["reference"] == escalation.reference
    assert row.context["due_on"] == "2026-12-21"
    assert row.context["reasons"] == ["counterpart", "acts_at_stage"]
    assert row.idempotency_key.startswith(f"raised:{escalation.pk}:event")
    assert row.idempotency_key.endswith(f":{nel.social_worker.pk}")


def test_rows_never_hold_the_subjects_details_or_free_text(nel: Ladders) -> None:
    escalation = nel.raise_(decision_disputed="Alex Invented was not seen.")

    for row in Notification.objects.filter(escalation=escalation):
        text = repr(row.context)
        assert "Alex Invented" not in text
        assert "CASE-0001" not in text


def test_notifications_commit_and_roll_back_with_the_change(nel: Ladders) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        nel.raise_()
        assert Notification.objects.exists()
        raise RuntimeError("the change fails after its notifications were written")

    assert not Escalation.objects.exists()
    assert not Notification.objects.exists()


def test_delivery_is_queued_only_when_the_change_commits(
    nel: Ladders, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        escalation = nel.raise_()

    deliveries = [
        callback
        for callback in callbacks
        if getattr(callback, "func", callback).__module__ == "escalate.notifications.delivery"
    ]
    assert len(deliveries) == 1  # one callback queues every row of the change
    sent = Notification.objects.filter(escalation=escalation, status=Notification.Status.SENT)
    assert sent.count() == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        person.email for person in [nel.social_worker, *nel.rung(LadderRole.LINE_MANAGER)]
    )


def test_immediate_risk_tells_the_raisers_safeguarding_lead_urgently(nel: Ladders) -> None:
    escalation = nel.raise_(immediate_risk=True, same_day_route_taken=True)

    lead = nel.school_people[LadderRole.SAFEGUARDING_LEAD]
    row = Notification.objects.get(escalation=escalation, recipient=lead)
    assert row.is_urgent
    assert row.context["reasons"] == ["safeguarding_lead"]
    assert row.context["immediate_risk"] is True


# --- who the stage involves (docs/domain.md decision 13) -------------------------------------


@pytest.mark.parametrize("slug", ["devon-preschool", "greenwich"])
def test_a_talk_with_ones_own_supervisor_tells_only_the_raisers_line_manager(slug: str) -> None:
    ladders = Ladders(slug)

    escalation = ladders.raise_()

    assert recipients_of(Notification.Kind.RAISED, escalation) == {
        ladders.school_people[LadderRole.LINE_MANAGER]
    }


def test_at_a_raising_only_stage_immediate_risk_still_reaches_the_raisers_lead(
    devon: Ladders,
) -> None:
    escalation = devon.raise_(immediate_risk=True, same_day_route_taken=True)

    assert recipients_of(Notification.Kind.RAISED, escalation) == {
        devon.school_people[LadderRole.SAFEGUARDING_LEAD],
        devon.school_people[LadderRole.LINE_MANAGER],
    }


def test_the_other_agency_hears_once_a_stage_involves_it(devon: Ladders) -> None:
    escalation = devon.escalate(devon.raise_())

    entered = rows(Notification.Kind.STAGE_ENTERED, escalation)
    assert set(entered) == {devon.social_worker}
    assert entered[devon.social_worker].context["reasons"] == [
        "acts_at_stage",
        "now_involved",
        "feedback",
    ]
    assert entered[devon.social_worker].stage_number == 2


def test_a_withdrawal_at_a_raising_only_stage_stays_on_the_raising_side(devon: Ladders) -> None:
    escalation = escalation_services.withdraw_escalation(
        escalation=devon.raise_(), actor=devon.teacher, reason="Talked it through.", today=MONDAY
    )

    told = recipients_of(Notification.Kind.OUTCOME, escalation)
    assert devon.teacher in told
    assert not told & set(devon.care_people.values())


# --- feedback to every party (docs/domain.md decision 12) ------------------------------------


def test_each_stage_tells_its_rung_the_people_the_policy_names_and_every_party(
    nel: Ladders,
) -> None:
    escalation = nel.escalate(nel.raise_())
    assert recipients_of(Notification.Kind.STAGE_ENTERED, escalation) == {
        nel.social_worker,
        *nel.rung(LadderRole.LINE_MANAGER),
    }

    nel.escalate(escalation, times=3)

    final = rows(Notification.Kind.STAGE_ENTERED, escalation, stage=5)
    assert set(final) == {
        nel.role(PartnershipRole.BUSINESS_MANAGER),
        nel.role(PartnershipRole.CHAIR),
        nel.teacher,
        nel.social_worker,
        *nel.rung(LadderRole.LINE_MANAGER),
        *nel.rung(LadderRole.HEAD_OF_SERVICE),
        nel.care_people[LadderRole.ASSISTANT_DIRECTOR],
    }  # the school's assistant director moved it to stage 5, so is not told
    assert final[nel.teacher].context["reasons"] == ["feedback"]


def test_everyone_who_took_part_hears_the_next_stage(nel: Ladders) -> None:
    escalation = nel.raise_()
    lead = nel.care_people[LadderRole.SAFEGUARDING_LEAD]
    escalation_services.record_contact(
        escalation=escalation,
        actor=lead,
        kind="telephone",
        between="The two leads.",
        summary="Discussed.",
        outcome="No agreement.",
        decision_makers="Both leads.",
        happened_on=MONDAY,
        today=MONDAY,
    )

    nel.escalate(escalation)

    assert rows(Notification.Kind.STAGE_ENTERED, escalation)[lead].context["reasons"] == [
        "feedback"
    ]


def test_cscp_sends_the_notification_form_to_the_business_manager_from_stage_3() -> None:
    cscp = Ladders("cscp")
    escalation = cscp.escalate(cscp.raise_(), times=2)

    row = Notification.objects.get(
        escalation=escalation,
        kind=Notification.Kind.STAGE_ENTERED,
        stage_number=3,
        recipient=cscp.role(PartnershipRole.BUSINESS_MANAGER),
    )
    assert row.context["reasons"] == ["notification_form"]


def test_a_third_agency_hears_every_stage_move(nel: Ladders) -> None:
    police = third_agency(nel)
    escalation = nel.raise_()
    join(escalation, police)

    nel.escalate(escalation)

    told = recipients_of(Notification.Kind.STAGE_ENTERED, escalation)
    assert {police[LadderRole.PRACTITIONER], police[LadderRole.LINE_MANAGER]} <= told


def test_the_outcome_goes_to_every_party_the_raiser_included(nel: Ladders) -> None:
    escalation = nel.resolve(nel.escalate(nel.raise_()))

    outcome = rows(Notification.Kind.OUTCOME, escalation)
    assert set(outcome) == {
        nel.teacher,
        nel.social_worker,
        *nel.rung(LadderRole.LINE_MANAGER),
    }
    assert {row.context["outcome"] for row in outcome.values()} == {"resolved"}
    assert {tuple(row.context["reasons"]) for row in outcome.values()} == {("party",)}


def test_withdrawing_and_deciding_are_outcomes_too(nel: Ladders) -> None:
    withdrawn = escalation_services.withdraw_escalation(
        escalation=nel.raise_(), actor=nel.teacher, reason="Resolved informally.", today=MONDAY
    )
    decided = nel.escalate(nel.raise_(), times=4)
    escalation_services.record_final_decision(
        escalation=decided,
        actor=nel.role(PartnershipRole.CHAIR),
        decided_by_kind=FinalStageKind.CHAIR_DECISION,
        decision="A strategy discussion this week.",
        today=MONDAY,
    )

    outcomes = dict(
        Notification.objects.filter(
            kind=Notification.Kind.OUTCOME, recipient=nel.teacher
        ).values_list("escalation_id", "context__outcome")
    )
    assert outcomes == {withdrawn.pk: "withdrawn", decided.pk: "decided"}


def test_an_outcome_is_a_decision_when_the_service_says_so(nel: Ladders) -> None:
    escalation = nel.raise_()

    with transaction.atomic():
        written = services.notify_outcome(escalation=escalation, actor=nel.teacher, decided=True)
        record(events.ESCALATION_RESOLVED, actor=nel.teacher, escalation=escalation)
        undecided = services.notify_outcome(escalation=escalation, actor=nel.teacher)

    assert {row.context["outcome"] for row in written} == {"decided"}
    assert {row.context["outcome"] for row in undecided} == {"resolved"}


# --- a resolution waiting for confirmation (docs/domain.md decision 8) -----------------------


def test_a_proposed_resolution_asks_the_other_agencys_acting_rung_to_confirm(
    nel: Ladders,
) -> None:
    escalation = nel.propose(nel.escalate(nel.raise_()))

    asked = rows(Notification.Kind.RESOLUTION_PROPOSED, escalation)
    care_lm = nel.care_people[LadderRole.LINE_MANAGER]
    assert set(asked) == {care_lm}
    row = asked[care_lm]
    assert row.context["reasons"] == ["confirms_resolution"]
    assert row.context["proposing_agency"] == "Brookfield Primary"
    assert row.stage_number == 2
    assert_never_names_the_subject([row])
    assert (
        "waits for your agency's confirmation" in rendering.render(row, recipient_name="x").subject
    )


def test_only_the_agencies_yet_to_confirm_are_asked(nel: Ladders) -> None:
    police = third_agency(nel)
    escalation = nel.escalate(nel.raise_())
    join(escalation, police)
    proposal = ResolutionProposal.objects.create(
        escalation=escalation,
        stage_number=escalation.stage_number,
        agency=nel.school,
        proposed_by=nel.school_people[LadderRole.LINE_MANAGER],
        agreed_outcome="Agreed.",
    )
    keep_case_facts(escalation)
    care_lm = nel.care_people[LadderRole.LINE_MANAGER]

    with transaction.atomic():
        record(events.RESOLUTION_PROPOSED, actor=proposal.proposed_by, escalation=escalation)
        first = services.notify_resolution_proposed(
            escalation=escalation, actor=proposal.proposed_by
        )
        ResolutionConfirmation.objects.create(
            proposal=proposal, agency=nel.social_care, confirmed_by=care_lm
        )
        keep_case_facts(escalation)
        record(events.RESOLUTION_CONFIRMED, actor=care_lm, escalation=escalation)
        second = services.notify_resolution_proposed(escalation=escalation, actor=care_lm)

    assert {row.recipient for row in first} == {care_lm, police[LadderRole.LINE_MANAGER]}
    assert {row.recipient for row in second} == {police[LadderRole.LINE_MANAGER]}
    assert {row.kind for row in [*first, *second]} == {Notification.Kind.RESOLUTION_PROPOSED}


def test_no_proposal_waiting_writes_nothing(nel: Ladders) -> None:
    escalation = nel.raise_()

    with transaction.atomic():
        assert services.notify_resolution_proposed(escalation=escalation, actor=nel.teacher) == []


# --- the final stage's appointments (docs/domain.md decision 10) -----------------------------


def at_final_stage(ladders: Ladders) -> Escalation:
    escalation = ladders.escalate(ladders.raise_(), times=4)
    assert escalation.is_at_final_stage
    return escalation


@pytest.mark.parametrize(
    ("role", "words"),
    [
        (Appointment.Role.PANEL_MEMBER, "as a member of the resolution panel"),
        (Appointment.Role.MEETING_CHAIR, "to chair the meeting"),
    ],
)
def test_the_appointee_is_told_they_were_appointed(nel: Ladders, role: str, words: str) -> None:
    escalation = at_final_stage(nel)
    appointee = nel.role(PartnershipRole.EXECUTIVE_MEMBER)
    chair = nel.role(PartnershipRole.CHAIR)

    with transaction.atomic():
        Appointment.objects.create(
            escalation=escalation, person=appointee, role=role, appointed_by=chair
        )
        keep_case_facts(escalation)
        record(events.PANEL_MEMBER_ADDED, actor=chair, escalation=escalation)
        written = services.notify_appointed(
            escalation=escalation, actor=chair, appointee=appointee, role=role
        )

    assert [(row.recipient, row.kind) for row in written] == [
        (appointee, Notification.Kind.APPOINTED)
    ]
    row = written[0]
    assert row.context["role"] == role
    assert row.context["reasons"] == ["appointed"]
    assert row.stage_number == 5
    assert words in rendering.render(row, recipient_name=appointee.name).text
    assert_never_names_the_subject(written)


def test_the_appointment_service_tells_the_panel_member(nel: Ladders) -> None:
    escalation = at_final_stage(nel)
    member = nel.role(PartnershipRole.EXECUTIVE_MEMBER)

    escalation_services.add_panel_member(
        escalation=escalation, actor=nel.role(PartnershipRole.BUSINESS_MANAGER), member=member
    )

    assert recipients_of(Notification.Kind.APPOINTED, escalation) == {member}


def test_an_appointment_to_anything_else_is_refused(nel: Ladders) -> None:
    escalation = nel.raise_()

    with transaction.atomic(), pytest.raises(ValueError, match="not an appointment"):
        services.notify_appointed(
            escalation=escalation, actor=nel.teacher, appointee=nel.social_worker, role="observer"
        )


def test_appointees_hear_the_outcome_though_their_access_has_ended(nel: Ladders) -> None:
    escalation = at_final_stage(nel)
    member = nel.role(PartnershipRole.EXECUTIVE_MEMBER)
    escalation_services.add_panel_member(
        escalation=escalation, actor=nel.role(PartnershipRole.BUSINESS_MANAGER), member=member
    )

    escalation_services.withdraw_escalation(
        escalation=escalation, actor=nel.teacher, reason="Resolved informally.", today=MONDAY
    )

    assert member in recipients_of(Notification.Kind.OUTCOME, escalation)


# --- reopened after a failed check-back ---------------------------------------------------


def reopened(ladders: Ladders, escalation: Escalation) -> list[Notification]:
    """Open a resolved escalation again at its stage, as the reopen service does."""
    with transaction.atomic():
        Escalation.objects.filter(pk=escalation.pk).update(status=Escalation.Status.OPEN)
        escalation.refresh_from_db()
        StageEntry.objects.create(
            escalation=escalation,
            number=escalation.stage_number,
            entered_on=date(2027, 1, 4),
            due_on=escalation.stage_due_on,
            partnership_id=escalation.partnership_id,
            case_raised_on=escalation.raised_on,
        )
        record(events.ESCALATION_REOPENED, actor=ladders.teacher, escalation=escalation)
        return services.notify_reopened(escalation=escalation, actor=ladders.teacher)


def test_every_party_hears_that_it_reopened_and_at_which_stage(nel: Ladders) -> None:
    escalation = nel.resolve(nel.escalate(nel.raise_()))

    written = reopened(nel, escalation)

    told = {row.recipient for row in written}
    assert told == {nel.social_worker, *nel.rung(LadderRole.LINE_MANAGER)}  # the raiser acted
    assert {row.kind for row in written} == {Notification.Kind.REOPENED}
    assert {row.stage_number for row in written} == {2}
    message = rendering.render(written[0], recipient_name="x")
    assert "reopened at stage 2" in message.subject
    assert_never_names_the_subject(written)


def test_the_reopen_service_tells_every_party(nel: Ladders) -> None:
    escalation = nel.resolve(nel.escalate(nel.raise_()))
    action = escalation.agreed_actions.get()
    escalation_services.confirm_understanding(action=action, actor=nel.teacher)
    escalation_services.check_back_action(
        action=action, actor=nel.teacher, implemented=False, note="No discussion was held."
    )

    escalation_services.reopen_escalation(
        escalation=escalation,
        actor=nel.teacher,
        reason="The discussion did not happen.",
        to_next_stage=False,
        today=date(2027, 1, 4),
    )

    assert recipients_of(Notification.Kind.REOPENED, escalation) == {
        nel.social_worker,
        *nel.rung(LadderRole.LINE_MANAGER),
    }


def test_a_stage_reopened_at_a_raising_only_stage_stays_on_that_side(devon: Ladders) -> None:
    escalation = devon.raise_()
    with transaction.atomic():
        Escalation.objects.filter(pk=escalation.pk).update(status=Escalation.Status.RESOLVED)
    escalation.refresh_from_db()

    written = reopened(devon, escalation)

    assert not {row.recipient for row in written} & set(devon.care_people.values())


def test_an_agency_joining_is_worded_as_joining(nel: Ladders) -> None:
    police = third_agency(nel)
    escalation = nel.raise_()
    join(escalation, police)

    with transaction.atomic():
        record(
            events.PARTY_ADDED,
            actor=nel.teacher,
            escalation=escalation,
            data={"agency": police[LadderRole.PRACTITIONER].agency_id, "side": "challenged"},
        )
        written = services.notify_stage_entered(escalation=escalation, actor=nel.teacher)

    row = next(r for r in written if r.recipient == police[LadderRole.PRACTITIONER])
    message = rendering.render(row, recipient_name="x")
    assert "Police joins at stage 1" in message.subject
    assert "has added Police to escalation" in message.text


def test_a_party_row_without_a_practitioner_reaches_its_line_manager(nel: Ladders) -> None:
    police = third_agency(nel)
    escalation = nel.raise_()
    join(escalation, police, named=False)

    nel.escalate(escalation)

    told = recipients_of(Notification.Kind.STAGE_ENTERED, escalation)
    assert police[LadderRole.LINE_MANAGER] in told
    assert police[LadderRole.PRACTITIONER] not in told


def test_an_escalation_written_before_party_rows_still_has_both_agencies(nel: Ladders) -> None:
    escalation = nel.raise_()
    Party.objects.filter(escalation=escalation).delete()
    keep_case_facts(escalation)  # a case that old has no party rows in its facts either

    parties = case_facts([CaseRow.of(escalation)])[escalation.pk].parties

    assert [(s.agency_id, s.on, s.party.person_id if s.party else None) for s in parties.sides] == [
        (nel.school.pk, Sides.RAISING, nel.teacher.pk),
        (nel.social_care.pk, Sides.CHALLENGED, nel.social_worker.pk),
    ]


def test_the_parties_are_read_from_the_party_rows_raising_agency_first(nel: Ladders) -> None:
    police = third_agency(nel)
    health = third_agency(nel, name="Health Visiting", kind="health")
    escalation = nel.raise_()
    join(escalation, police)
    join(escalation, health, side=Party.Side.RAISING)

    parties = case_facts([CaseRow.of(escalation)])[escalation.pk].parties

    assert [(s.agency_id, s.on) for s in parties.sides] == [
        (nel.school.pk, Sides.RAISING),
        (nel.social_care.pk, Sides.CHALLENGED),
        (police[LadderRole.PRACTITIONER].agency_id, Sides.CHALLENGED),
        (health[LadderRole.PRACTITIONER].agency_id, Sides.RAISING),
    ]
    assert parties.sides[2].party is not None
    assert parties.sides[2].party.person_id == police[LadderRole.PRACTITIONER].pk
    assert [rung.person_id for rung in parties.sides[2].managers][:1] == [
        police[LadderRole.LINE_MANAGER].pk
    ]


def test_the_facts_take_the_same_queries_for_two_agencies_or_four(nel: Ladders) -> None:
    two = nel.escalate(nel.raise_())
    four = nel.escalate(nel.raise_())
    for name in ("Police", "Health"):
        join(four, third_agency(nel, name=name, kind="health"))

    counts = []
    for escalation in (two, four):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            record(events.STAGE_ESCALATED, actor=nel.teacher, escalation=escalation)
            services.notify_stage_entered(escalation=escalation, actor=nel.teacher)
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_writing_the_same_event_twice_writes_each_row_once(nel: Ladders) -> None:
    escalation = nel.raise_()
    before = Notification.objects.count()

    again = services.notify_raised(escalation=escalation, actor=nel.teacher)

    assert again == []
    assert Notification.objects.count() == before


def test_someone_on_the_daily_digest_has_non_urgent_rows_held(nel: Ladders) -> None:
    NotificationPreference.objects.create(person=nel.social_worker, daily_digest=True)

    nel.raise_()
    urgent = nel.raise_(immediate_risk=True, same_day_route_taken=True)

    held = Notification.objects.get(recipient=nel.social_worker, escalation__immediate_risk=False)
    sent_alone = Notification.objects.get(recipient=nel.social_worker, escalation=urgent)
    assert held.awaits_digest
    assert not sent_alone.awaits_digest


def test_turning_the_digest_off_releases_what_it_held(
    nel: Ladders, django_capture_on_commit_callbacks
) -> None:
    services.set_daily_digest(person=nel.social_worker, daily_digest=True)
    nel.raise_()

    with django_capture_on_commit_callbacks(execute=True):
        services.set_daily_digest(person=nel.social_worker, daily_digest=False)

    row = Notification.objects.get(recipient=nel.social_worker)
    assert not row.awaits_digest
    assert row.status == Notification.Status.SENT


def test_marking_read_touches_only_the_persons_own_rows(nel: Ladders) -> None:
    nel.raise_()
    mine = Notification.objects.get(recipient=nel.social_worker)
    theirs = Notification.objects.exclude(recipient=nel.social_worker).first()
    assert theirs is not None

    assert services.mark_read(person=nel.social_worker, notification_ids=[mine.pk, theirs.pk]) == 1

    theirs.refresh_from_db()
    assert theirs.read_at is None
