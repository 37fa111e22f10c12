"""Every change to an escalation: lock, ask the domain, store, audit. Nothing more.

Each service takes the ``revision`` the actor last saw; if someone else changed
the escalation since, ``StaleEscalation`` says what changed and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from escalate.audit import events
from escalate.audit.models import AuditEvent
from escalate.audit.services import record
from escalate.common.text import SHORT_TEXT_MAX_LENGTH, text_problem
from escalate.domain import engine, moves
from escalate.domain.access import Action
from escalate.domain.deadlines import due_on
from escalate.domain.policy import ChecklistItem, FinalStageKind, Sides, SubjectKind
from escalate.escalations import authority
from escalate.escalations.access import ensure_allowed
from escalate.escalations.clock import calendar_for, local_today
from escalate.escalations.identifiers import nhs_number_problem, normalise_nhs_number
from escalate.escalations.involvement import keep_involvement
from escalate.escalations.models import (
    CONTACT_ANSWERS,
    AgreedAction,
    Appointment,
    ChecklistTick,
    Contact,
    ContactVersion,
    Correction,
    Escalation,
    FinalDecision,
    Party,
    Representation,
    ResolutionConfirmation,
    ResolutionProposal,
    StageEntry,
    Subject,
)
from escalate.escalations.references import next_reference
from escalate.escalations.selectors import RaisedCase
from escalate.notifications.services import (
    notify_appointed,
    notify_outcome,
    notify_raised,
    notify_reopened,
    notify_resolution_proposed,
    notify_stage_entered,
)
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
    owner: Person | None
    """None where the id given names nobody: refused like someone outside the partnership."""
    due_on: date


@transaction.atomic
def raise_escalation(
    *,
    raised_by: Person,
    policy: Policy,
    subject: SubjectDetails,
    other_agency: Agency | None,
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
) -> RaisedCase:
    """Raise an escalation; what it returns is every row of the new case, so that a caller
    showing the case need not read it back (``selectors.new_escalation_record``)."""
    rules = policy.rules
    other_agency = _check_raise(
        raised_by=raised_by,
        policy=policy,
        subject=subject,
        other_agency=other_agency,
        counterpart=counterpart,
        category=category,
    )
    today = today or local_today()
    assert raised_by.agency is not None  # _check_raise refuses anyone outside an agency
    # The raiser's partnership, which _check_raise found is the procedure's: read with the
    # person at sign-in, where the procedure version is held without it.
    partnership = raised_by.agency.partnership
    subject = _checked_subject(subject, today=today)
    _text(decision_disputed, "The decision, action or inaction you disagree with")
    _text(evidence, "Why you disagree", required=False)
    _text(desired_outcome, "The outcome you want")
    _text(subject_views, "Their views and wishes", required=False)
    change = engine.start(
        rules,
        raised_on=today,
        calendar=calendar_for(rules),
        immediate_risk=immediate_risk,
        start_at=start_at,
        route_key=entry_route or None,
    )
    subject_row = Subject.objects.create(
        partnership=partnership,
        kind=subject.kind.value,
        name=subject.name,
        date_of_birth=subject.date_of_birth,
        case_reference=subject.case_reference,
        nhs_number=subject.nhs_number,
    )
    escalation = Escalation(
        reference=next_reference(partnership=partnership, year=today.year),
        partnership=partnership,
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
        subject_kind=subject_row.kind,
        stage_number=change.stage.number,
        final_stage_number=rules.final_stage.number,
        stage_due_on=change.due_on,
        raised_on=today,
    )
    parties = [
        Party(
            escalation=escalation,
            agency=raised_by.agency,
            side=Party.Side.RAISING,
            practitioner=raised_by,
            joined_on=today,
        ),
        Party(
            escalation=escalation,
            agency=other_agency,
            side=Party.Side.CHALLENGED,
            practitioner=counterpart,
            joined_on=today,
            is_told=change.stage.authority.involves.includes(Party.Side.CHALLENGED),
        ),
    ]
    # A new case has only these rows: its facts need no reading back.
    case = authority.case_of(escalation, authority.CaseRows.of_new(parties))
    escalation.waiting_on = moves.waiting_on(case, rules).value
    escalation.case_facts = authority.stored_facts(case)
    escalation.save(force_insert=True)
    stage_entry = StageEntry.objects.create(
        escalation=escalation,
        number=change.stage.number,
        entered_on=today,
        due_on=change.due_on,
        partnership_id=escalation.partnership_id,
        case_raised_on=escalation.raised_on,
    )
    Party.objects.bulk_create(parties)
    keep_involvement(escalation, escalation.access_facts_of_new(parties), is_new=True)
    raised = record(
        events.ESCALATION_RAISED,
        actor=raised_by,
        escalation=escalation,
        stage_number=change.stage.number,
        data={
            "policy_version": policy.version,
            "entry_route": entry_route,
            "immediate_risk": immediate_risk,
        },
        wrote=(escalation, subject_row),
    )
    history = [raised]
    if immediate_risk and same_day_route_taken:
        history.append(
            record(
                events.IMMEDIATE_RISK_ROUTE_TAKEN,
                actor=raised_by,
                escalation=escalation,
                stage_number=change.stage.number,
            )
        )
    notify_raised(escalation=escalation, actor=raised_by)
    return RaisedCase(escalation, stage_entry=stage_entry, parties=parties, history=history)


def _check_raise(
    *,
    raised_by: Person,
    policy: Policy,
    subject: SubjectDetails,
    other_agency: Agency | None,
    counterpart: Person | None,
    category: str,
) -> Agency:
    """Who may raise under this procedure, against whom: the rules every door shares."""
    rules = policy.rules
    if not raised_by.is_active:
        raise engine.TransitionRefused("Your account is not active, so you cannot raise one.")
    if raised_by.agency is None:
        raise engine.TransitionRefused("Only someone working in an agency can raise an escalation.")
    if raised_by.agency.partnership_id != policy.partnership_id:
        raise engine.TransitionRefused(
            "You can raise an escalation only under your own partnership's procedure."
        )
    other_agency = authority.ensure_agency_in_partnership(other_agency, policy.partnership_id)
    if other_agency.pk == raised_by.agency_id:
        raise engine.TransitionRefused("The other agency must be a different agency from your own.")
    if counterpart is not None:
        candidate = authority.candidate_of(counterpart, policy.partnership_id)
        if candidate is None or candidate.partnership_id is None or not candidate.is_active:
            raise engine.TransitionRefused(moves.NOT_IN_PARTNERSHIP)
        if counterpart.agency_id != other_agency.pk:
            raise engine.TransitionRefused(
                f"Choose someone who works in {other_agency.name}, or nobody if not known."
            )
    if subject.kind not in rules.covers:
        raise engine.TransitionRefused(
            f"This partnership's procedure does not cover {_SUBJECT_WORDS[subject.kind]}."
        )
    if category not in {c.key for c in rules.categories}:
        raise engine.TransitionRefused("Choose one of the procedure's categories of disagreement.")
    return other_agency


def _locked(escalation: Escalation, *, actor: Person, revision: int | None) -> Escalation:
    """Re-read the escalation under a row lock and check the actor's view is current.

    Someone who cannot see the escalation gets ``ActionForbidden``; everything else about
    who may do what is the stage machine's answer (``_allowed``).
    """
    current = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("policy", "partnership")
        .get(pk=escalation.pk)
    )
    ensure_allowed(actor, Action.VIEW, current)
    if revision is not None and current.revision != revision:
        raise StaleEscalation(what_changed(current, since=revision))
    return current


def _allowed(
    move: moves.Move, escalation: Escalation, actor: Person
) -> tuple[moves.Case, moves.Actor]:
    """The case and actor facts, once the stage machine allows ``move``."""
    case = authority.case_of(escalation)
    facts = authority.actor_of(actor, escalation.partnership_id)
    moves.ensure(move, case, facts, escalation.policy.rules)
    return case, facts


def _checked_subject(subject: SubjectDetails, *, today: date) -> SubjectDetails:
    """Who the escalation is about, as every door must give it: a name, a date of birth
    that is not in the future, and a case reference or a valid NHS number (stored as its
    ten digits), so the record can be matched to the agencies' own."""
    _text(subject.name, "Their full name", single_line=True, max_length=SHORT_TEXT_MAX_LENGTH)
    _text(subject.case_reference, "The case reference or PID", required=False, single_line=True)
    if subject.date_of_birth is not None and subject.date_of_birth > today:
        raise engine.TransitionRefused("Their date of birth must be today or in the past.")
    nhs_number = normalise_nhs_number(subject.nhs_number)
    if nhs_number:
        problem = nhs_number_problem(nhs_number)
        if problem:
            raise engine.TransitionRefused(f"{problem}.")
    if not subject.case_reference.strip() and not nhs_number:
        raise engine.TransitionRefused("Give a case reference, PID or NHS number.")
    return replace(subject, nhs_number=nhs_number)


def _text(value: str, label: str, **kwargs: Any) -> str:
    problem = text_problem(value, label, **kwargs)
    if problem:
        raise engine.TransitionRefused(f"{problem}.")
    return value


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
    actor: Person | None,
    stage_number: int | None = None,
    data: dict[str, object] | None = None,
    fields: tuple[str, ...] = (),
    wrote: Sequence[Model] = (),
    texts: dict[str, str] | None = None,
) -> None:
    """Save the changed ``fields`` with a new revision and whose move it now is, bring the
    involvement rows up to date, and record the audit event for it, vouching for the rows it
    ``wrote`` and keeping personal ``texts`` where retention can blank them (decision 22)."""
    escalation.revision += 1
    case = authority.case_of(escalation)
    escalation.waiting_on = moves.waiting_on(case, escalation.policy.rules).value
    escalation.case_facts = authority.stored_facts(case)
    escalation.save(
        update_fields=[
            "revision",
            "waiting_on",
            "case_facts",
            "resolved_in_working_days",
            *fields,
        ]
    )
    keep_involvement(escalation)
    record(
        event,
        actor=actor,
        escalation=escalation,
        stage_number=stage_number,
        data=data,
        wrote=wrote,
        texts=texts,
    )


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
    today: date | None = None,
) -> Contact:
    escalation = _locked(escalation, actor=actor, revision=revision)
    _allowed(moves.Move.RECORD_CONTACT, escalation, actor)
    _check_contact(
        ContactVersion(kind, between, summary, outcome, decision_makers, happened_on),
        escalation,
        today=today or local_today(),
    )
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
        wrote=(contact,),
    )
    return contact


def _check_contact(version: ContactVersion, escalation: Escalation, *, today: date) -> None:
    """A contact's answers as every door must give them, recorded or corrected."""
    if version.kind not in Contact.Kind.values:
        raise engine.TransitionRefused("Select the type of contact.")
    _text(version.between, "Who the contact was between")
    _text(version.summary, "A summary of the discussion")
    _text(version.outcome, "The outcome and next steps")
    _text(version.decision_makers, "The decision-makers", required=False)
    if version.happened_on > today:
        raise engine.TransitionRefused("The date of the contact must be today or in the past.")
    if version.happened_on < escalation.raised_on:
        raise engine.TransitionRefused(
            "The date of the contact must be on or after the day the escalation was raised."
        )


NOTHING_CORRECTED = "Change at least one answer: the correction is the same as the record."


@transaction.atomic
def correct_contact(
    *,
    contact: Contact,
    actor: Person,
    version: ContactVersion,
    reason: str,
    revision: int | None = None,
    today: date | None = None,
) -> Correction:
    """Correct a recorded contact with why (decision 0025): the contact's own columns stay
    as first recorded and the new version is kept beside them, on the history's chain."""
    escalation = _locked(contact.escalation, actor=actor, revision=revision)
    contact = Contact.objects.select_related("recorded_by", "latest_correction").get(
        pk=contact.pk, escalation=escalation
    )
    _ensure_may_correct(actor, escalation, author=contact.recorded_by)
    _check_contact(version, escalation, today=today or local_today())
    _text(reason, "Why it is being corrected")
    before = contact.current
    if version == before:
        raise engine.TransitionRefused(NOTHING_CORRECTED)
    correction = Correction(contact=contact, version=version.as_json())
    changed = [name for name in CONTACT_ANSWERS if getattr(version, name) != getattr(before, name)]
    return _keep_correction(
        correction,
        contact,
        escalation=escalation,
        actor=actor,
        reason=reason,
        event=events.CONTACT_CORRECTED,
        stage_number=contact.stage_number,
        data={"contact": contact.pk, "changed": changed},
    )


@transaction.atomic
def correct_decision(
    *,
    decision: FinalDecision,
    actor: Person,
    text: str,
    reason: str,
    revision: int | None = None,
) -> Correction:
    """Correct the wording of a recorded final decision with why (decision 0025); who
    decided, how and when stay as recorded."""
    escalation = _locked(decision.escalation, actor=actor, revision=revision)
    decision = FinalDecision.objects.select_related("decided_by", "latest_correction").get(
        pk=decision.pk, escalation=escalation
    )
    _ensure_may_correct(actor, escalation, author=decision.decided_by)
    _text(text, "The decision")
    _text(reason, "Why it is being corrected")
    if text == decision.current_decision:
        raise engine.TransitionRefused(NOTHING_CORRECTED)
    return _keep_correction(
        Correction(final_decision=decision, version={"decision": text}),
        decision,
        escalation=escalation,
        actor=actor,
        reason=reason,
        event=events.FINAL_DECISION_CORRECTED,
        stage_number=escalation.final_stage_number,
        data={"decision": decision.pk},
    )


def _keep_correction(
    correction: Correction,
    entry: Contact | FinalDecision,
    *,
    escalation: Escalation,
    actor: Person,
    reason: str,
    event: str,
    stage_number: int,
    data: dict[str, object],
) -> Correction:
    """Save the new version, point ``entry`` at it and record the change on the chain,
    vouching for the correction row (the entry's own columns are untouched)."""
    correction.escalation, correction.reason, correction.corrected_by = escalation, reason, actor
    correction.save(force_insert=True)
    entry.latest_correction = correction
    entry.save(update_fields=["latest_correction"])
    escalation.participants.add(actor)
    _changed(
        escalation,
        event,
        actor=actor,
        stage_number=stage_number,
        data={**data, "correction": correction.pk},
        wrote=(correction,),
    )
    return correction


def _ensure_may_correct(actor: Person, escalation: Escalation, *, author: Person) -> None:
    refusal = authority.correction_refusal_for(actor, escalation, author)
    if refusal:
        raise engine.TransitionRefused(refusal)


@transaction.atomic
def escalate_stage(
    *,
    escalation: Escalation,
    actor: Person,
    reason: str,
    revision: int | None = None,
    today: date | None = None,
) -> Escalation:
    escalation = _locked(escalation, actor=actor, revision=revision)
    _allowed(moves.Move.ESCALATE, escalation, actor)
    _text(reason, "Why it cannot be resolved at this stage")
    today = today or local_today()
    rules = escalation.policy.rules
    change = engine.escalate(escalation.facts(), rules, today=today, calendar=calendar_for(rules))
    previous = escalation.stage_number
    _lapse_proposals(escalation)
    ended = _end_stage(escalation, engine.StageOutcome.ESCALATED, reason=reason, today=today)
    _enter_stage(escalation, change)
    escalation.participants.add(actor)
    _changed(
        escalation,
        events.STAGE_ESCALATED,
        actor=actor,
        stage_number=change.stage.number,
        data={"from": previous, "to": change.stage.number},
        fields=("stage_number", "stage_due_on"),
        wrote=ended,
        texts={"reason": reason},
    )
    notify_stage_entered(escalation=escalation, actor=actor)
    return escalation


def _enter_stage(escalation: Escalation, change: engine.StageChange) -> None:
    StageEntry.objects.create(
        escalation=escalation,
        number=change.stage.number,
        entered_on=change.entered_on,
        due_on=change.due_on,
        partnership_id=escalation.partnership_id,
        case_raised_on=escalation.raised_on,
    )
    escalation.stage_number = change.stage.number
    escalation.stage_due_on = change.due_on
    _tell_the_sides(escalation, change.stage.authority.involves)


def _tell_the_sides(escalation: Escalation, involves: Sides) -> None:
    """The sides a stage involves see the escalation from now on (docs/domain.md decision 13)."""
    sides = [side for side in Party.Side.values if involves.includes(side)]
    escalation.parties.filter(side__in=sides, is_told=False).update(is_told=True)


def _lapse_proposals(escalation: Escalation) -> None:
    """A proposal not yet agreed by everyone lapses when the stage ends another way."""
    escalation.resolution_proposals.filter(state=ResolutionProposal.State.PROPOSED).update(
        state=ResolutionProposal.State.LAPSED
    )


def _end_stage(
    escalation: Escalation, outcome: engine.StageOutcome, *, reason: str, today: date
) -> list[StageEntry]:
    """End the current stage, keeping the working days it took (and, if it ends resolved,
    the case took) for the board's figures: counted once here, not per row at every read.
    Returns the entries it ended, for the audit event to vouch for."""
    calendar = calendar_for(escalation.policy.rules)
    current = list(
        StageEntry.objects.filter(
            escalation=escalation, number=escalation.stage_number, ended_on=None
        )
    )
    for entry in current:
        entry.outcome, entry.outcome_reason, entry.ended_on = outcome.value, reason, today
        entry.working_days = calendar.working_days_between(entry.entered_on, today)
        entry.save(update_fields=["outcome", "outcome_reason", "ended_on", "working_days"])
    if outcome is engine.StageOutcome.RESOLVED:
        escalation.resolved_in_working_days = calendar.working_days_between(
            escalation.raised_on, today
        )
    return current


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
    """Record a resolution with its agreed actions for the other agencies to confirm.

    Where the stage involves one side only, recording it ends the stage at once
    (docs/domain.md decisions 8 and 13); otherwise the stage stays open and its deadline runs.
    """
    escalation = _locked(escalation, actor=actor, revision=revision)
    case, facts = _allowed(moves.Move.PROPOSE_RESOLUTION, escalation, actor)
    step = moves.propose_resolution(case, facts, escalation.policy.rules)
    _text(agreed_outcome, "The agreed outcome")
    if not actions:
        raise engine.TransitionRefused("Add at least one agreed action.")
    today = today or local_today()
    owners = [_checked_owner(details, escalation, today=today) for details in actions]
    assert actor.agency is not None  # the stage machine requires a party agency
    proposal = ResolutionProposal.objects.create(
        escalation=escalation,
        stage_number=escalation.stage_number,
        agency=actor.agency,
        proposed_by=actor,
        agreed_outcome=agreed_outcome,
        actions=[
            {
                "description": details.description,
                "owner": owner.pk,
                "due_on": details.due_on.isoformat(),
            }
            for details, owner in zip(actions, owners, strict=True)
        ],
    )
    escalation.participants.add(actor)
    if step.is_agreed:
        return _agree(escalation, proposal, actor=actor, today=today)
    _changed(
        escalation,
        events.RESOLUTION_PROPOSED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"proposal": proposal.pk, "agreed_actions": len(actions)},
        wrote=(proposal,),
    )
    notify_resolution_proposed(escalation=escalation, actor=actor)
    return escalation


def _checked_owner(details: AgreedActionDetails, escalation: Escalation, *, today: date) -> Person:
    """The action's owner, once the action is one the procedure can record."""
    _text(details.description, "What is to be done")
    owner = authority.ensure_in_partnership(details.owner, escalation)
    if details.due_on < today:
        raise engine.TransitionRefused("An agreed action's due date must be today or later.")
    return owner


@transaction.atomic
def confirm_resolution(
    *,
    escalation: Escalation,
    actor: Person,
    revision: int | None = None,
    today: date | None = None,
) -> Escalation:
    """The other agency's acting rung agrees the proposed resolution (decision 8)."""
    escalation = _locked(escalation, actor=actor, revision=revision)
    case, facts = _allowed(moves.Move.CONFIRM_RESOLUTION, escalation, actor)
    step = moves.confirm_resolution(case, facts, escalation.policy.rules)
    proposal = authority.current_proposal(escalation)
    assert proposal is not None and actor.agency is not None  # the stage machine checked both
    ResolutionConfirmation.objects.create(
        proposal=proposal, agency=actor.agency, confirmed_by=actor
    )
    escalation.participants.add(actor)
    today = today or local_today()
    if step.is_agreed:
        return _agree(escalation, proposal, actor=actor, today=today)
    _changed(
        escalation,
        events.RESOLUTION_CONFIRMED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"proposal": proposal.pk, "agency": actor.agency_id},
    )
    return escalation


def _agree(
    escalation: Escalation, proposal: ResolutionProposal, *, actor: Person, today: date
) -> Escalation:
    """Every agency agrees: the stage ends resolved and the agreed actions begin."""
    proposal.state = ResolutionProposal.State.AGREED
    proposal.save(update_fields=["state"])
    owners = {
        person.pk: person
        for person in Person.objects.filter(pk__in=[a["owner"] for a in proposal.actions])
    }
    for item in proposal.actions:
        agreed = AgreedAction.objects.create(
            escalation=escalation,
            stage_number=escalation.stage_number,
            description=item["description"],
            owner=owners[item["owner"]],
            due_on=date.fromisoformat(item["due_on"]),
        )
        escalation.participants.add(agreed.owner)
        record(
            events.AGREED_ACTION_ADDED,
            actor=actor,
            escalation=escalation,
            stage_number=escalation.stage_number,
            data={"agreed_action": agreed.pk, "owner": agreed.owner_id, "due_on": item["due_on"]},
            wrote=(agreed,),
        )
    escalation.status = Escalation.Status.RESOLVED
    ended = _end_stage(
        escalation, engine.StageOutcome.RESOLVED, reason=proposal.agreed_outcome, today=today
    )
    _changed(
        escalation,
        events.ESCALATION_RESOLVED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"agreed_actions": len(proposal.actions), "proposal": proposal.pk},
        fields=("status",),
        wrote=(proposal, *ended),
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
    """The raising side ends its challenge, with a reason every party hears (decision 9)."""
    escalation = _locked(escalation, actor=actor, revision=revision)
    _allowed(moves.Move.WITHDRAW, escalation, actor)
    _text(reason, "Why it is withdrawn")
    escalation.status = engine.withdraw(escalation.facts()).value
    _lapse_proposals(escalation)
    ended = _end_stage(
        escalation, engine.StageOutcome.WITHDRAWN, reason=reason, today=today or local_today()
    )
    escalation.closed_at = timezone.now()
    _end_appointments(escalation)
    _changed(
        escalation,
        events.ESCALATION_WITHDRAWN,
        actor=actor,
        stage_number=escalation.stage_number,
        fields=("status", "closed_at"),
        wrote=ended,
        texts={"reason": reason},
    )
    notify_outcome(escalation=escalation, actor=actor)
    return escalation


def _end_appointments(escalation: Escalation) -> None:
    """Appointees lose access when the case ends (decision 10); the record keeps who sat."""
    escalation.panel_members.clear()


def _action_on(escalation: Escalation, action: AgreedAction) -> AgreedAction:
    """The agreed action, locked, if it belongs to this escalation's current resolution."""
    locked = (
        AgreedAction.objects.select_for_update()
        .filter(pk=action.pk, escalation=escalation, superseded_at=None)
        .first()
    )
    if locked is None:
        raise engine.TransitionRefused("No such agreed action on this escalation.")
    return locked


@transaction.atomic
def confirm_understanding(
    *, action: AgreedAction, actor: Person, revision: int | None = None
) -> AgreedAction:
    escalation = _locked(action.escalation, actor=actor, revision=revision)
    _allowed(moves.Move.CONFIRM_UNDERSTANDING, escalation, actor)
    action = _action_on(escalation, action)
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
    escalation = _locked(action.escalation, actor=actor, revision=revision)
    _allowed(moves.Move.CHECK_BACK, escalation, actor)
    action = _action_on(escalation, action)
    if action.understanding_confirmed_at is None:
        raise engine.TransitionRefused(
            "Confirm shared understanding of the action before checking it back."
        )
    if action.implementation != AgreedAction.Implementation.PENDING:
        raise engine.TransitionRefused("This action has already been checked back.")
    _text(note, "Why the action was not done and what happens next", required=not implemented)
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
    """Answer one checklist item: for the actor's own agency where each agency answers it."""
    escalation = _locked(escalation, actor=actor, revision=revision)
    try:
        item = ChecklistItem(item)  # a view may pass the plain value
    except ValueError:
        raise engine.TransitionRefused("That item is not on this stage's checklist.") from None
    slot = moves.check_checklist_answer(
        authority.case_of(escalation),
        authority.actor_of(actor, escalation.partnership_id),
        escalation.policy.rules,
        item,
    )
    if not is_done:
        _text(not_done_reason, "Why this has not been done")
    if item is ChecklistItem.SET_REVIEW_DATE and is_done and review_on is None:
        raise engine.TransitionRefused("Give the review date.")
    tick, _ = ChecklistTick.objects.update_or_create(
        escalation=escalation,
        stage_number=escalation.stage_number,
        item=item.value,
        agency_id=slot.agency_id,
        defaults={
            "is_done": is_done,
            "not_done_reason": not_done_reason if not is_done else "",
            "review_on": review_on,
            "ticked_by": actor,
        },
    )
    _changed(
        escalation,
        events.CHECKLIST_ITEM_TICKED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"item": item.value, "done": is_done, "agency": slot.agency_id},
    )
    return tick


def outstanding_checklist(escalation: Escalation) -> list[moves.ChecklistSlot]:
    return list(moves.outstanding_items(authority.case_of(escalation), escalation.policy.rules))


@transaction.atomic
def close_escalation(
    *, escalation: Escalation, actor: Person, revision: int | None = None
) -> Escalation:
    escalation = _locked(escalation, actor=actor, revision=revision)
    _allowed(moves.Move.CLOSE, escalation, actor)
    escalation.status = Escalation.Status.CLOSED
    escalation.closed_at = timezone.now()
    _end_appointments(escalation)
    _changed(
        escalation,
        events.ESCALATION_CLOSED,
        actor=actor,
        stage_number=escalation.stage_number,
        fields=("status", "closed_at"),
    )
    return escalation


@transaction.atomic
def reopen_escalation(
    *,
    escalation: Escalation,
    actor: Person,
    reason: str,
    to_next_stage: bool,
    revision: int | None = None,
    today: date | None = None,
) -> Escalation:
    """After a failed check-back, open the stage again or take it to the next one."""
    escalation = _locked(escalation, actor=actor, revision=revision)
    case, _ = _allowed(moves.Move.REOPEN, escalation, actor)
    _text(reason, "Why it is reopened")
    rules = escalation.policy.rules
    target = rules.stage(moves.reopen_target(case, rules, to_next_stage=to_next_stage))
    today = today or local_today()
    previous = escalation.stage_number
    now = timezone.now()
    escalation.agreed_actions.filter(stage_number=previous, superseded_at=None).update(
        superseded_at=now
    )
    escalation.checklist_ticks.filter(stage_number=previous).delete()  # the audit keeps them
    _enter_stage(
        escalation,
        engine.StageChange(
            target,
            today,
            due_on(
                target.deadline,
                raised_on=escalation.raised_on,
                entered_on=today,
                calendar=calendar_for(rules),
            ),
        ),
    )
    escalation.status = Escalation.Status.OPEN
    escalation.resolved_in_working_days = None
    escalation.participants.add(actor)
    _changed(
        escalation,
        events.ESCALATION_REOPENED,
        actor=actor,
        stage_number=target.number,
        data={"from": previous, "to": target.number},
        fields=("status", "stage_number", "stage_due_on"),
        texts={"reason": reason},
    )
    notify_reopened(escalation=escalation, actor=actor)
    return escalation


# --- more than two agencies ------------------------------------------------------------------


@transaction.atomic
def add_party(
    *,
    escalation: Escalation,
    actor: Person,
    agency: Agency | None,
    side: moves.Side,
    practitioner: Person | None = None,
    revision: int | None = None,
    today: date | None = None,
) -> Party:
    escalation = _locked(escalation, actor=actor, revision=revision)
    _allowed(moves.Move.ADD_AGENCY, escalation, actor)
    agency = authority.ensure_agency_in_partnership(agency, escalation.partnership_id)
    if escalation.parties.filter(agency=agency).exists():
        raise engine.TransitionRefused(f"{agency.name} is already in this disagreement.")
    if practitioner is not None and practitioner.agency_id != agency.pk:
        authority.ensure_in_partnership(practitioner, escalation)
        raise engine.TransitionRefused(f"Choose someone who works in {agency.name}.")
    involves = escalation.policy.rules.stage(escalation.stage_number).authority.involves
    party = Party.objects.create(
        escalation=escalation,
        agency=agency,
        side=side.value,
        practitioner=practitioner,
        joined_on=today or local_today(),
        is_told=involves.includes(side.value),
    )
    if practitioner is not None and party.is_told:  # named, so they see it: once told
        escalation.participants.add(practitioner)
    _changed(
        escalation,
        events.PARTY_ADDED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"agency": agency.pk, "side": side.value},
    )
    notify_stage_entered(escalation=escalation, actor=actor)
    return party


@transaction.atomic
def set_lead_agency(
    *, escalation: Escalation, actor: Person, agency: Agency | None, revision: int | None = None
) -> Escalation:
    """Record which agency completes the Escalation Notification Form (decision 11)."""
    escalation = _locked(escalation, actor=actor, revision=revision)
    _allowed(moves.Move.SET_LEAD_AGENCY, escalation, actor)
    agency = authority.ensure_agency_in_partnership(agency, escalation.partnership_id)
    if not escalation.parties.filter(agency=agency).exists():
        raise engine.TransitionRefused("The lead agency must be one of the agencies in it.")
    escalation.parties.update(is_lead=False)
    escalation.parties.filter(agency=agency).update(is_lead=True)
    _changed(
        escalation,
        events.LEAD_AGENCY_CHOSEN,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"agency": agency.pk},
    )
    return escalation


# --- the final stage -------------------------------------------------------------------------


@transaction.atomic
def submit_representation(
    *, escalation: Escalation, actor: Person, text: str, revision: int | None = None
) -> Representation:
    escalation = _locked(escalation, actor=actor, revision=revision)
    _allowed(moves.Move.ADD_REPRESENTATION, escalation, actor)
    _text(text, "Your agency's written representation")
    assert actor.agency is not None  # the stage machine requires a party agency
    representation = Representation.objects.create(
        escalation=escalation, agency=actor.agency, author=actor, text=text
    )
    _changed(
        escalation,
        events.REPRESENTATION_SUBMITTED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"agency": actor.agency_id},
        wrote=(representation,),
    )
    return representation


def _appoint(
    escalation: Escalation, *, actor: Person, person: Person | None, role: moves.AppointeeRole
) -> Appointment:
    # Who may appoint first: someone who may not learns nothing about the id they gave.
    move = (
        moves.Move.APPOINT_PANEL_MEMBER
        if role is moves.AppointeeRole.PANEL_MEMBER
        else moves.Move.APPOINT_CHAIR
    )
    _allowed(move, escalation, actor)
    candidate = authority.candidate_of(person, escalation.partnership_id)
    if candidate is None:
        raise engine.TransitionRefused(moves.NOT_IN_PARTNERSHIP)
    moves.check_appointee(
        authority.case_of(escalation),
        authority.actor_of(actor, escalation.partnership_id),
        escalation.policy.rules,
        candidate,
        role,
    )
    assert person is not None
    appointment = Appointment.objects.create(
        escalation=escalation, person=person, role=role.value, appointed_by=actor
    )
    escalation.panel_members.add(person)
    return appointment


@transaction.atomic
def add_panel_member(
    *, escalation: Escalation, actor: Person, member: Person | None, revision: int | None = None
) -> Escalation:
    """Appoint a panel member from the partnership's panel or board roles (decision 10)."""
    escalation = _locked(escalation, actor=actor, revision=revision)
    assert member is None or isinstance(member, Person)
    _appoint(escalation, actor=actor, person=member, role=moves.AppointeeRole.PANEL_MEMBER)
    assert member is not None
    _changed(
        escalation,
        events.PANEL_MEMBER_ADDED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"member": member.pk},
    )
    notify_appointed(
        escalation=escalation, actor=actor, appointee=member, role=Appointment.Role.PANEL_MEMBER
    )
    return escalation


def _end_appointment(escalation: Escalation, appointment: Appointment) -> None:
    """End one appointment; the person keeps access while they hold another on the case."""
    appointment.ended_at = timezone.now()
    appointment.save(update_fields=["ended_at"])
    if not escalation.appointments.filter(person=appointment.person, ended_at=None).exists():
        escalation.panel_members.remove(appointment.person)


@transaction.atomic
def hand_over_places(
    *, escalation: Escalation, leaver: Person, successor: Person | None, actor: Person | None
) -> list[str]:
    """A leaver's places on one live escalation: the raiser's, the counterpart's and their
    agreed actions pass to ``successor`` (kept if None, for the business manager to settle);
    final-stage appointments end, as who sits on a panel is the stage machine's question.
    The directory checked the successor (``organisations.services.successor_refusal``);
    the actor is an administrator, who need not see the case. Returns the places found."""
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("policy", "partnership")
        .get(pk=escalation.pk)
    )
    places: list[str] = []
    fields: list[str] = []
    for place in ("raised_by", "counterpart"):
        if getattr(escalation, f"{place}_id") == leaver.pk:
            places.append("raiser" if place == "raised_by" else "counterpart")
            if successor is not None:
                setattr(escalation, place, successor)
                fields.append(place)
    actions = escalation.agreed_actions.filter(owner=leaver, checked_at=None, superseded_at=None)
    if actions.exists():
        places.append("actions")
        if successor is not None:
            actions.update(owner=successor)
    appointments = list(escalation.appointments.filter(person=leaver, ended_at=None))
    for appointment in appointments:
        _end_appointment(escalation, appointment)
    if appointments:
        places.append("panel")
    if places:
        data: dict[str, object] = {
            "from": leaver.pk,
            "to": successor.pk if successor else None,
            "places": places,
        }
        _changed(escalation, events.WORK_HANDED_OVER, actor=actor, data=data, fields=tuple(fields))
    return places


@transaction.atomic
def remove_panel_member(
    *, escalation: Escalation, actor: Person, member: Person | None, revision: int | None = None
) -> Escalation:
    escalation = _locked(escalation, actor=actor, revision=revision)
    _allowed(moves.Move.REMOVE_PANEL_MEMBER, escalation, actor)
    appointment = escalation.appointments.filter(
        person=member, role=Appointment.Role.PANEL_MEMBER, ended_at=None
    ).first()
    if appointment is None or member is None:
        raise engine.TransitionRefused("That person is not on the panel.")
    _end_appointment(escalation, appointment)
    _changed(
        escalation,
        events.PANEL_MEMBER_REMOVED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"member": member.pk},
    )
    return escalation


@transaction.atomic
def appoint_meeting_chair(
    *, escalation: Escalation, actor: Person, chair: Person | None, revision: int | None = None
) -> Escalation:
    """Appoint the final meeting's independent or uninvolved-agency chair (decision 10)."""
    escalation = _locked(escalation, actor=actor, revision=revision)
    previous = list(
        escalation.appointments.filter(role=Appointment.Role.MEETING_CHAIR, ended_at=None)
    )
    _appoint(escalation, actor=actor, person=chair, role=moves.AppointeeRole.MEETING_CHAIR)
    assert chair is not None
    for appointment in previous:
        _end_appointment(escalation, appointment)
    _changed(
        escalation,
        events.MEETING_CHAIR_APPOINTED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"chair": chair.pk},
    )
    notify_appointed(
        escalation=escalation, actor=actor, appointee=chair, role=Appointment.Role.MEETING_CHAIR
    )
    return escalation


@transaction.atomic
def record_panel_reason(
    *, escalation: Escalation, actor: Person, reason: str, revision: int | None = None
) -> Escalation:
    """Why the agencies in the disagreement are not all on the panel ("where possible")."""
    escalation = _locked(escalation, actor=actor, revision=revision)
    _allowed(moves.Move.EXPLAIN_PANEL, escalation, actor)
    escalation.panel_reason = _text(reason, "Why not every agency in it sits on the panel")
    _changed(
        escalation,
        events.PANEL_REASON_RECORDED,
        actor=actor,
        stage_number=escalation.stage_number,
        fields=("panel_reason",),
    )
    return escalation


@dataclass(frozen=True)
class PanelCheck:
    """Whether the panel meets the policy's composition rule, in words for the chair."""

    missing: str
    """Why the panel cannot decide yet; empty when it can."""


def check_panel(escalation: Escalation) -> PanelCheck:
    return PanelCheck(
        missing=moves.panel_shortfall(authority.case_of(escalation), escalation.policy.rules)
    )


@transaction.atomic
def record_final_decision(
    *,
    escalation: Escalation,
    actor: Person,
    decided_by_kind: FinalStageKind,
    decision: str,
    today: date | None = None,
    revision: int | None = None,
) -> FinalDecision:
    escalation = _locked(escalation, actor=actor, revision=revision)
    case, facts = _allowed(moves.Move.RECORD_DECISION, escalation, actor)
    refusal = moves.decision_refusal(case, facts, escalation.policy.rules, decided_by_kind)
    if refusal:
        raise engine.TransitionRefused(refusal)
    _text(decision, "The decision")
    chair = next((a for a in case.appointees if a.role is moves.AppointeeRole.MEETING_CHAIR), None)
    today = today or local_today()
    decision_row = FinalDecision.objects.create(
        escalation=escalation,
        decided_by_kind=decided_by_kind.value,
        decision=decision,
        decided_by=actor,
        chaired_by_agency_id=chair.agency_id if chair else None,
        decided_on=today,
    )
    escalation.status = engine.resolve(escalation.facts()).value
    ended = _end_stage(escalation, engine.StageOutcome.RESOLVED, reason=decision, today=today)
    _changed(
        escalation,
        events.FINAL_DECISION_RECORDED,
        actor=actor,
        stage_number=escalation.stage_number,
        data={"decided_by": decided_by_kind.value},
        fields=("status",),
        wrote=(decision_row, *ended),
    )
    notify_outcome(escalation=escalation, actor=actor, decided=True)
    return decision_row
