"""Every change to an escalation: lock, ask the domain, store, audit. Nothing more.

Each service takes the ``revision`` the actor last saw; if someone else changed
the escalation since, ``StaleEscalation`` says what changed and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.audit.services import record
from escalate.domain import engine
from escalate.domain.access import Action
from escalate.domain.policy import ChecklistItem, FinalStageKind, SubjectKind
from escalate.escalations.access import ensure_allowed
from escalate.escalations.clock import calendar_for, local_today
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
from escalate.notifications.services import notify_outcome, notify_raised, notify_stage_entered
from escalate.organisations.models import Agency, Person
from escalate.policies.models import Policy


class StaleEscalation(Exception):
    """Someone else changed the escalation since the actor loaded it."""


@dataclass(frozen=True)
class SubjectDetails:
    kind: SubjectKind
    name: str
    date_of_birth: date | None = None
    case_reference: str = ""
    nhs_number: str = ""


_SUBJECT_WORDS = {
    SubjectKind.CHILD: "a child",
    SubjectKind.ADULT: "an adult with care and support needs",
}


@dataclass(frozen=True)
class AgreedActionDetails:
    description: str
    owner: Person
    due_on: date


@transaction.atomic
def raise_escalation(
    *,
    raised_by: Person,
    policy: Policy,
    subject: SubjectDetails,
    other_agency: Agency,
    counterpart: Person | None,
    category: str,
    decision_disputed: str,
    evidence: str,
    desired_outcome: str,
    subject_views: str = "",
    immediate_risk: bool = False,
    same_day_route_taken: bool = False,
    start_at: int | None = None,
    entry_route: str = "",
    today: date | None = None,
) -> Escalation:
    rules = policy.rules
    if raised_by.agency is None:
        raise engine.TransitionRefused("Only someone working in an agency can raise an escalation.")
    if other_agency.pk == raised_by.agency_id:
        raise engine.TransitionRefused("The other agency must be a different agency from your own.")
    if subject.kind not in rules.covers:
        raise engine.TransitionRefused(
            f"This partnership's procedure does not cover {_SUBJECT_WORDS[subject.kind]}."
        )
    if category not in {c.key for c in rules.categories}:
        raise engine.TransitionRefused("Choose one of the procedure's categories of disagreement.")
    today = today or local_today()
    change = engine.start(
        rules,
        raised_on=today,
        calendar=calendar_for(rules),
        immediate_risk=immediate_risk,
        start_at=start_at,
        route_key=entry_route or None,
    )
    subject_row = Subject.objects.create(
        partnership=policy.partnership,
        kind=subject.kind.value,
        name=subject.name,
        date_of_birth=subject.date_of_birth,
        case_reference=subject.case_reference,
        nhs_number=subject.nhs_number,
    )
    escalation = Escalation.objects.create(
        reference=_next_reference(today),
        partnership=policy.partnership,
        policy=policy,
        subject=subject_row,
        raised_by=raised_by,
        raising_agency=raised_by.agency,
        other_agency=other_agency,
        counterpart=counterpart,
        category=category,
        decision_disputed=decision_disputed,
        evidence=evidence,
        desired_outcome=desired_outcome,
        subject_views=subject_views,
        immediate_risk=immediate_risk,
        same_day_route_taken=same_day_route_taken,
        entry_route=entry_route,
        stage_number=change.stage.number,
        final_stage_number=rules.final_stage.number,
        stage_due_on=change.due_on,
        raised_on=today,
    )
    StageEntry.objects.create(
        escalation=escalation, number=change.stage.number, entered_on=today, due_on=change.due_on
    )
    record(
        events.ESCALATION_RAISED,
        actor=raised_by,
        escalation=escalation,
        stage_number=change.stage.number,
        data={
            "policy_version": policy.version,
            "entry_route": entry_route,
            "immediate_risk": immediate_risk,
        },
    )
    if immediate_risk and same_day_route_taken:
        record(
            events.IMMEDIATE_RISK_ROUTE_TAKEN,
            actor=raised_by,
            escalation=escalation,
            stage_number=change.stage.number,
        )
    notify_raised(escalation=escalation, actor=raised_by)
    return escalation


# Serialises numbering: a row lock on the latest reference is not enough, because a
# second raise waiting on it still reads the same latest row once the first commits.
_REFERENCE_LOCK_KEY = 7_316_002


def _next_reference(today: date) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REFERENCE_LOCK_KEY])
    prefix = f"ESC-{today.year}-"
    last = (
        Escalation.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:06d}"


def _locked(
    escalation: Escalation, *, actor: Person, action: Action, revision: int | None
) -> Escalation:
    """Re-read the escalation under a row lock and check the actor's view is current."""
    current = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("policy")
        .get(pk=escalation.pk)
    )
    ensure_allowed(actor, action, current)
    if revision is not None and current.revision != revision:
        raise StaleEscalation(what_changed(current, since=revision))
    return current


def what_changed(escalation: Escalation, *, since: int) -> str:
    latest = (
        AuditEvent.objects.filter(escalation_id=escalation.pk)
        .select_related("actor")
        .order_by("-pk")
        .first()
    )
    detail = ""
    if latest is not None:
        who = latest.actor.name if latest.actor else "the system"
        at = timezone.localtime(latest.occurred_at)
        detail = f" The latest change was '{latest.label}' by {who} at {at:%H:%M}."
    return (
        "Someone else changed this escalation while you were working on it, "
        f"so your change was not saved.{detail} Check the escalation as it is now, then try again."
    )


def _changed(
    escalation: Escalation,
    event: str,
    *,
    actor: Person,
    stage_number: int | None = None,
    data: dict[str, object] | None = None,
    fields: tuple[str, ...] = (),
) -> None:
    """Save the changed ``fields`` with a new revision, and record the audit event for it."""
    escalation.revision += 1
    escalation.save(update_fields=["revision", *fields])
    record(event, actor=actor, escalation=escalation, stage_number=stage_number, data=data)


@transaction.atomic
def record_contact(
    *,
    escalation: Escalation,
    actor: Person,
    kind: str,
    between: str,
    summary: str,
    outcome: str,
    decision_makers: str,
    happened_on: date,
    revision: int | None = None,
) -> Contact:
    escalation = _locked(escalation, actor=actor, action=Action.ACT, revision=revision)
    if escalation.status != Escalation.Status.OPEN:
        raise engine.TransitionRefused("Contacts are recorded while an escalation is open.")
    contact = Contact.objects.create(
        escalation=escalation,
        stage_number=escalation.stage_number,
        kind=kind,
        between=between,
        summary=summary,
        outcome=outcome,
        decision_makers=decision_makers,
        happened_on=happened_on,
        recorded_by=actor,
    )
    escalation.participants.add(actor)
    _changed(
        escalation,
        events.CONTACT_RECORDED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"contact": contact.pk, "kind": kind},
    )
    return contact


@transaction.atomic
def escalate_stage(
    *,
    escalation: Escalation,
    actor: Person,
    reason: str,
    revision: int | None = None,
    today: date | None = None,
) -> Escalation:
    escalation = _locked(escalation, actor=actor, action=Action.ACT, revision=revision)
    today = today or local_today()
    rules = escalation.policy.rules
    change = engine.escalate(escalation.facts(), rules, today=today, calendar=calendar_for(rules))
    previous = escalation.stage_number
    _end_stage(escalation, engine.StageOutcome.ESCALATED, reason=reason, today=today)
    StageEntry.objects.create(
        escalation=escalation, number=change.stage.number, entered_on=today, due_on=change.due_on
    )
    escalation.stage_number = change.stage.number
    escalation.stage_due_on = change.due_on
    escalation.participants.add(actor)
    _changed(
        escalation,
        events.STAGE_ESCALATED,
        actor=actor,
        stage_number=change.stage.number,
        data={"from": previous, "to": change.stage.number, "reason": reason},
        fields=(
            "stage_number",
            "stage_due_on",
        ),
    )
    notify_stage_entered(escalation=escalation, actor=actor)
    return escalation


def _end_stage(
    escalation: Escalation, outcome: engine.StageOutcome, *, reason: str, today: date
) -> None:
    StageEntry.objects.filter(escalation=escalation, number=escalation.stage_number).update(
        outcome=outcome.value, outcome_reason=reason, ended_on=today
    )


@transaction.atomic
def resolve_escalation(
    *,
    escalation: Escalation,
    actor: Person,
    agreed_outcome: str,
    actions: list[AgreedActionDetails],
    revision: int | None = None,
    today: date | None = None,
) -> Escalation:
    escalation = _locked(escalation, actor=actor, action=Action.ACT, revision=revision)
    today = today or local_today()
    escalation.status = engine.resolve(escalation.facts()).value
    _end_stage(escalation, engine.StageOutcome.RESOLVED, reason=agreed_outcome, today=today)
    for details in actions:
        agreed = AgreedAction.objects.create(
            escalation=escalation,
            stage_number=escalation.stage_number,
            description=details.description,
            owner=details.owner,
            due_on=details.due_on,
        )
        escalation.participants.add(details.owner)
        record(
            events.AGREED_ACTION_ADDED,
            actor=actor,
            escalation=escalation,
            stage_number=escalation.stage_number,
            data={
                "agreed_action": agreed.pk,
                "owner": details.owner.pk,
                "due_on": details.due_on.isoformat(),
            },
        )
    escalation.participants.add(actor)
    _changed(
        escalation,
        events.ESCALATION_RESOLVED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"agreed_actions": len(actions)},
        fields=("status",),
    )
    notify_outcome(escalation=escalation, actor=actor)
    return escalation


@transaction.atomic
def withdraw_escalation(
    *,
    escalation: Escalation,
    actor: Person,
    reason: str,
    revision: int | None = None,
    today: date | None = None,
) -> Escalation:
    escalation = _locked(escalation, actor=actor, action=Action.ACT, revision=revision)
    escalation.status = engine.withdraw(escalation.facts()).value
    _end_stage(
        escalation, engine.StageOutcome.WITHDRAWN, reason=reason, today=today or local_today()
    )
    escalation.closed_at = timezone.now()
    _changed(
        escalation,
        events.ESCALATION_WITHDRAWN,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"reason": reason},
        fields=(
            "status",
            "closed_at",
        ),
    )
    notify_outcome(escalation=escalation, actor=actor)
    return escalation


@transaction.atomic
def confirm_understanding(
    *, action: AgreedAction, actor: Person, revision: int | None = None
) -> AgreedAction:
    escalation = _locked(action.escalation, actor=actor, action=Action.ACT, revision=revision)
    action = AgreedAction.objects.select_for_update().get(pk=action.pk)
    if action.understanding_confirmed_at is not None:
        raise engine.TransitionRefused("Shared understanding of this action is already confirmed.")
    action.understanding_confirmed_at = timezone.now()
    action.understanding_confirmed_by = actor
    action.save(update_fields=["understanding_confirmed_at", "understanding_confirmed_by"])
    _changed(
        escalation,
        events.AGREED_ACTION_UNDERSTANDING_CONFIRMED,
        actor=actor,
        stage_number=action.stage_number,
        data={"agreed_action": action.pk},
    )
    return action


@transaction.atomic
def check_back_action(
    *,
    action: AgreedAction,
    actor: Person,
    implemented: bool,
    note: str,
    revision: int | None = None,
) -> AgreedAction:
    escalation = _locked(action.escalation, actor=actor, action=Action.ACT, revision=revision)
    action = AgreedAction.objects.select_for_update().get(pk=action.pk)
    if action.understanding_confirmed_at is None:
        raise engine.TransitionRefused(
            "Confirm shared understanding of the action before checking it back."
        )
    action.implementation = (
        AgreedAction.Implementation.IMPLEMENTED
        if implemented
        else AgreedAction.Implementation.NOT_IMPLEMENTED
    )
    action.checked_at = timezone.now()
    action.checked_by = actor
    action.check_note = note
    action.save(update_fields=["implementation", "checked_at", "checked_by", "check_note"])
    _changed(
        escalation,
        events.AGREED_ACTION_CHECKED,
        actor=actor,
        stage_number=action.stage_number,
        data={"agreed_action": action.pk, "implemented": implemented},
    )
    return action


def checklist_for(escalation: Escalation) -> tuple[ChecklistItem, ...]:
    """The policy's checklist for the stage at which the escalation was resolved."""
    return escalation.policy.rules.stage(escalation.stage_number).checklist


@transaction.atomic
def tick_checklist_item(
    *,
    escalation: Escalation,
    actor: Person,
    item: ChecklistItem,
    is_done: bool,
    not_done_reason: str = "",
    review_on: date | None = None,
    revision: int | None = None,
) -> ChecklistTick:
    escalation = _locked(escalation, actor=actor, action=Action.ACT, revision=revision)
    item = ChecklistItem(item)  # a view may pass the plain value
    if escalation.status != Escalation.Status.RESOLVED:
        raise engine.TransitionRefused(
            "The checklist is completed once the escalation is resolved."
        )
    if item not in checklist_for(escalation):
        raise engine.TransitionRefused("That item is not on this stage's checklist.")
    if not is_done and not not_done_reason.strip():
        raise engine.TransitionRefused("Say why this item was not done.")
    if item is ChecklistItem.SET_REVIEW_DATE and is_done and review_on is None:
        raise engine.TransitionRefused("Give the review date.")
    tick, _ = ChecklistTick.objects.update_or_create(
        escalation=escalation,
        stage_number=escalation.stage_number,
        item=item.value,
        defaults={
            "is_done": is_done,
            "not_done_reason": not_done_reason,
            "review_on": review_on,
            "ticked_by": actor,
        },
    )
    _changed(
        escalation,
        events.CHECKLIST_ITEM_TICKED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"item": item.value, "done": is_done},
    )
    return tick


def outstanding_checklist(escalation: Escalation) -> list[ChecklistItem]:
    answered = set(
        escalation.checklist_ticks.filter(stage_number=escalation.stage_number).values_list(
            "item", flat=True
        )
    )
    return [item for item in checklist_for(escalation) if item.value not in answered]


@transaction.atomic
def close_escalation(
    *, escalation: Escalation, actor: Person, revision: int | None = None
) -> Escalation:
    escalation = _locked(escalation, actor=actor, action=Action.ACT, revision=revision)
    escalation.status = engine.close(
        escalation.facts(), outstanding=outstanding_checklist(escalation)
    ).value
    escalation.closed_at = timezone.now()
    _changed(
        escalation,
        events.ESCALATION_CLOSED,
        actor=actor,
        stage_number=escalation.stage_number,
        fields=(
            "status",
            "closed_at",
        ),
    )
    return escalation


@transaction.atomic
def submit_representation(
    *, escalation: Escalation, actor: Person, text: str, revision: int | None = None
) -> Representation:
    escalation = _locked(escalation, actor=actor, action=Action.ACT, revision=revision)
    if not escalation.is_at_final_stage or escalation.status != Escalation.Status.OPEN:
        raise engine.TransitionRefused("Written representations are made to an open final stage.")
    if actor.agency is None or actor.agency_id not in {
        escalation.raising_agency_id,
        escalation.other_agency_id,
    }:
        raise engine.TransitionRefused(
            "Representations come from the agencies in the disagreement."
        )
    representation = Representation.objects.create(
        escalation=escalation, agency=actor.agency, author=actor, text=text
    )
    _changed(
        escalation,
        events.REPRESENTATION_SUBMITTED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"agency": actor.agency_id},
    )
    return representation


@transaction.atomic
def add_panel_member(
    *, escalation: Escalation, actor: Person, member: Person, revision: int | None = None
) -> Escalation:
    escalation = _locked(escalation, actor=actor, action=Action.ACT, revision=revision)
    final = escalation.policy.rules.final_stage.final
    if final is None or FinalStageKind.RESOLUTION_PANEL not in final.decided_by:
        raise engine.TransitionRefused("This procedure's final stage has no resolution panel.")
    if not escalation.is_at_final_stage:
        raise engine.TransitionRefused("A panel is convened at the final stage.")
    escalation.panel_members.add(member)
    _changed(
        escalation,
        events.PANEL_MEMBER_ADDED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"member": member.pk},
    )
    return escalation


@dataclass(frozen=True)
class PanelCheck:
    """Whether the panel meets the policy's composition rule, in words for the chair."""

    missing: str
    """Why the panel cannot decide yet; empty when it can."""
    advice: str
    """What the policy asks for 'where possible'; shown, never enforced."""


def check_panel(escalation: Escalation) -> PanelCheck:
    final = escalation.policy.rules.final_stage.final
    panel = final.panel if final else None
    if panel is None:
        return PanelCheck(missing="", advice="")
    agencies = set(
        escalation.panel_members.exclude(agency=None).values_list("agency_id", flat=True)
    )
    missing = ""
    if len(agencies) < panel.min_agencies:
        missing = (
            f"The panel needs representatives of {panel.min_agencies} agencies; "
            f"it has {len(agencies)}."
        )
    disputing = {escalation.raising_agency_id, escalation.other_agency_id}
    advice = ""
    if panel.include_disputing_agencies and not disputing <= agencies:
        advice = "Where possible the panel includes the agencies in the disagreement."
    return PanelCheck(missing=missing, advice=advice)


@transaction.atomic
def record_final_decision(
    *,
    escalation: Escalation,
    actor: Person,
    decided_by_kind: FinalStageKind,
    decision: str,
    chaired_by_agency: Agency | None = None,
    today: date | None = None,
    revision: int | None = None,
) -> FinalDecision:
    escalation = _locked(escalation, actor=actor, action=Action.DECIDE, revision=revision)
    final = escalation.policy.rules.final_stage.final
    if final is None or decided_by_kind not in final.decided_by:
        raise engine.TransitionRefused("This procedure's final stage is not decided that way.")
    if decided_by_kind is FinalStageKind.RESOLUTION_PANEL:
        missing = check_panel(escalation).missing
        if missing:
            raise engine.TransitionRefused(missing)
    if decided_by_kind is FinalStageKind.UNINVOLVED_BOARD_MEMBER_MEETING and (
        chaired_by_agency is None
        or chaired_by_agency.pk in {escalation.raising_agency_id, escalation.other_agency_id}
    ):
        raise engine.TransitionRefused(
            "The meeting must be chaired by a board member from an uninvolved agency."
        )
    today = today or local_today()
    decision_row = FinalDecision.objects.create(
        escalation=escalation,
        decided_by_kind=decided_by_kind.value,
        decision=decision,
        decided_by=actor,
        chaired_by_agency=chaired_by_agency,
        decided_on=today,
    )
    escalation.status = engine.resolve(escalation.facts()).value
    _end_stage(escalation, engine.StageOutcome.RESOLVED, reason=decision, today=today)
    _changed(
        escalation,
        events.FINAL_DECISION_RECORDED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"decided_by": decided_by_kind.value},
        fields=("status",),
    )
    notify_outcome(escalation=escalation, actor=actor)
    return decision_row
