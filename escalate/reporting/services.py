"""The one way in for the learning loop: practice issues, board actions and good practice.

Each service checks, stores and audits in one transaction.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from escalate.audit import events
from escalate.audit.services import record
from escalate.common.text import text_problem
from escalate.domain import moves
from escalate.domain.access import Action
from escalate.domain.engine import TransitionRefused
from escalate.domain.policy import PolicyRules
from escalate.escalations import authority
from escalate.escalations.access import ActionForbidden, ensure_allowed
from escalate.escalations.models import Escalation
from escalate.organisations.models import Agency, Person
from escalate.reporting.models import BoardAction, GoodPractice, PracticeIssue
from escalate.reporting.selectors import overseen_partnership_ids


def first_practice_issue_stage(rules: PolicyRules) -> int:
    return rules.first_practice_issue_stage


def practice_issue_refusal(escalation: Escalation, person: Person) -> str:
    """Why ``person`` may not record a practice issue on ``escalation`` now; "" when they may."""
    return authority.moves_of(person, escalation).refusal(moves.Move.RECORD_PRACTICE_ISSUE)


@transaction.atomic
def record_practice_issue(
    *, escalation: Escalation, actor: Person, issue: str, is_resolved: bool
) -> PracticeIssue:
    """Append the lead agency's latest word on the issues; earlier rows stay as they were.

    Raises ``ActionForbidden`` if ``actor`` may not act on the escalation and
    ``TransitionRefused`` before the procedure's notification stage.
    """
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("policy")
        .get(pk=escalation.pk)
    )
    ensure_allowed(actor, Action.VIEW, escalation)
    refusal = practice_issue_refusal(escalation, actor)
    if refusal:
        raise TransitionRefused(refusal)
    if not issue.strip():
        raise TransitionRefused("Describe the policy or practice issue, or say what remains of it.")
    problem = text_problem(issue, "The policy or practice issue")
    if problem:
        raise TransitionRefused(f"{problem}.")
    practice_issue = PracticeIssue.objects.create(
        escalation=escalation,
        stage_number=escalation.stage_number,
        issue=issue.strip(),
        is_resolved=is_resolved,
        lead_agency=_lead_agency(escalation),
        updated_by=actor,
    )
    # The stage machine now knows the form was sent at this stage (decision 0013): keep the
    # row's facts, and its revision, as every change to a case does.
    escalation.revision += 1
    escalation.case_facts = authority.stored_facts(authority.case_of(escalation))
    escalation.save(update_fields=["revision", "case_facts"])
    record(
        events.PRACTICE_ISSUE_RECORDED,
        actor=actor,
        escalation=escalation,
        stage_number=escalation.stage_number,
        data={
            "practice_issue": practice_issue.pk,
            "is_resolved": is_resolved,
            "lead_agency": practice_issue.lead_agency_id,
        },
    )
    return practice_issue


def _lead_agency(escalation: Escalation) -> Agency:
    """The party recorded as lead, else the raising agency (docs/domain.md decision 11)."""
    lead = escalation.parties.filter(is_lead=True).select_related("agency").first()
    return lead.agency if lead else escalation.raising_agency


# --- board actions ---------------------------------------------------------------------------

BOARD_ACTION_REFUSED = (
    "Only the partnership's business manager and chair make board actions and mark them done."
)


def board_action_refusal(person: Person, partnership_id: int) -> str:
    """Why ``person`` may not make or complete ``partnership_id``'s board actions; "" when
    they may: its business manager and its chair, while their account is active."""
    return "" if partnership_id in overseen_partnership_ids(person) else BOARD_ACTION_REFUSED


def _checked_text(value: str, label: str, missing: str) -> str:
    if not value.strip():
        raise TransitionRefused(missing)
    problem = text_problem(value, label)
    if problem:
        raise TransitionRefused(f"{problem}.")
    return value.strip()


@transaction.atomic
def create_board_action(
    *,
    practice_issue: PracticeIssue,
    actor: Person,
    description: str,
    owner: Person | None,
    due_on: date,
    today: date,
) -> BoardAction:
    """Make a board action on ``practice_issue``, owned by someone active in its partnership.

    Raises ``ActionForbidden`` unless ``actor`` oversees the partnership, and
    ``TransitionRefused`` for an owner outside it, a due date in the past or unusable text.
    """
    escalation = practice_issue.escalation
    partnership_id = escalation.partnership_id
    if refusal := board_action_refusal(actor, partnership_id):
        raise ActionForbidden(refusal)
    description = _checked_text(description, "The board action", "Describe what the board will do.")
    owner = authority.ensure_in_partnership(owner, escalation)
    if due_on < today:
        raise TransitionRefused("The due date must be today or in the future.")
    action = BoardAction.objects.create(
        practice_issue=practice_issue,
        partnership_id=partnership_id,
        description=description,
        owner=owner,
        due_on=due_on,
        created_by=actor,
        created_at=timezone.now(),
    )
    # On the partnership's chain, not the case's history: the board's work is its own.
    record(
        events.BOARD_ACTION_CREATED,
        actor=actor,
        partnership=escalation.partnership,
        data={
            "board_action": action.pk,
            "practice_issue": practice_issue.pk,
            "escalation": str(escalation.pk),
            "owner": owner.pk,
            "due_on": due_on.isoformat(),
        },
    )
    return action


@transaction.atomic
def complete_board_action(
    *, board_action: BoardAction, actor: Person, outcome: str, note: str
) -> BoardAction:
    """Mark ``board_action`` done with its outcome (procedure changed, training, guidance or
    no change) and a note. Raises ``ActionForbidden`` unless ``actor`` oversees its
    partnership, and ``TransitionRefused`` when it is already done or the outcome is unknown."""
    action = (
        BoardAction.objects.select_for_update(of=("self",))
        .select_related("partnership")
        .get(pk=board_action.pk)
    )
    if refusal := board_action_refusal(actor, action.partnership_id):
        raise ActionForbidden(refusal)
    if action.status == BoardAction.Status.DONE:
        raise TransitionRefused("This board action is already done.")
    if outcome not in BoardAction.Outcome.values:
        raise TransitionRefused("Choose the outcome of the board action.")
    if note.strip():
        note = _checked_text(note, "The note", "")
    action.status = BoardAction.Status.DONE
    action.outcome = outcome
    action.note = note.strip()
    action.completed_by = actor
    action.completed_at = timezone.now()
    action.save(update_fields=["status", "outcome", "note", "completed_by", "completed_at"])
    record(
        events.BOARD_ACTION_COMPLETED,
        actor=actor,
        partnership=action.partnership,
        data={"board_action": action.pk, "outcome": outcome},
    )
    return action


# --- good practice ---------------------------------------------------------------------------


def good_practice_refusal(escalation: Escalation, person: Person) -> str:
    """Why ``person`` may not recognise good practice in ``escalation``; "" when they may."""
    return moves.good_practice_refusal(
        authority.stored_case(escalation), authority.actor_of(person, escalation.partnership_id)
    )


@transaction.atomic
def record_good_practice(
    *, escalation: Escalation, actor: Person, description: str
) -> GoodPractice:
    """Record good multi-agency practice seen in ``escalation``. Raises ``ActionForbidden``
    for someone who cannot see it, and ``TransitionRefused`` for someone who sees it but is
    neither involved nor overseeing (decision 0013), or for unusable text."""
    ensure_allowed(actor, Action.VIEW, escalation)
    if refusal := good_practice_refusal(escalation, actor):
        raise TransitionRefused(refusal)
    description = _checked_text(
        description, "The good practice", "Describe the good practice you saw."
    )
    entry = GoodPractice.objects.create(
        escalation=escalation,
        partnership_id=escalation.partnership_id,
        description=description,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    record(
        events.GOOD_PRACTICE_RECORDED,
        actor=actor,
        escalation=escalation,
        stage_number=escalation.stage_number,
        data={"good_practice": entry.pk},
    )
    return entry
