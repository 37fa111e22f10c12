"""The one way in for practice issues: check, store, audit."""

from __future__ import annotations

from django.db import transaction

from escalate.audit import events
from escalate.audit.services import record
from escalate.common.text import text_problem
from escalate.domain import moves
from escalate.domain.access import Action
from escalate.domain.engine import TransitionRefused
from escalate.domain.policy import PolicyRules
from escalate.escalations import authority
from escalate.escalations.access import ensure_allowed
from escalate.escalations.models import Escalation
from escalate.organisations.models import Agency, Person
from escalate.reporting.models import PracticeIssue


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
    """The party recorded as lead, else the raising agency (DOMAIN.md decision 11)."""
    lead = escalation.parties.filter(is_lead=True).select_related("agency").first()
    return lead.agency if lead else escalation.raising_agency
