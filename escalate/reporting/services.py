"""The one way in for practice issues: check, store, audit."""

from __future__ import annotations

from django.db import transaction

from escalate.audit import events
from escalate.audit.services import record
from escalate.domain.access import Action
from escalate.domain.engine import TransitionRefused
from escalate.domain.policy import PolicyRules, StageAction
from escalate.escalations.access import ensure_allowed
from escalate.escalations.models import Escalation
from escalate.organisations.models import Agency, Person
from escalate.reporting.models import PracticeIssue

# Declared in audit/events.py by the audit app's owner; until it is, nothing is recorded.
DEFAULT_FIRST_PRACTICE_ISSUE_STAGE = 3
"""Source 003: the lead agency notifies the partnership "whether resolved or not" from stage 3."""


def first_practice_issue_stage(rules: PolicyRules) -> int:
    """The stage whose procedure sends the Escalation Notification Form; stage 3 if none says."""
    for stage in rules.stages:
        if StageAction.SEND_NOTIFICATION_FORM in (*stage.on_entry, *stage.on_outcome):
            return stage.number
    return DEFAULT_FIRST_PRACTICE_ISSUE_STAGE


def practice_issue_refusal(escalation: Escalation) -> str:
    """Why no practice issue can be recorded on ``escalation`` yet; empty when one can."""
    first = first_practice_issue_stage(escalation.policy.rules)
    if escalation.stage_number < first:
        return (
            f"Policy and practice issues are recorded from stage {first}; "
            f"this escalation is at stage {escalation.stage_number}."
        )
    return ""


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
    ensure_allowed(actor, Action.ACT, escalation)
    refusal = practice_issue_refusal(escalation)
    if refusal:
        raise TransitionRefused(refusal)
    if not issue.strip():
        raise TransitionRefused("Describe the policy or practice issue, or say what remains of it.")
    practice_issue = PracticeIssue.objects.create(
        escalation=escalation,
        stage_number=escalation.stage_number,
        issue=issue.strip(),
        is_resolved=is_resolved,
        lead_agency=_lead_agency(escalation, actor),
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


def _lead_agency(escalation: Escalation, actor: Person) -> Agency:
    """The actor's agency if it is a party; else the agency that led the last update.

    Someone acting for the partnership (a business manager, say) keeps the lead where it
    was; the first update from outside the agencies falls to the raising agency.
    """
    parties = {escalation.raising_agency_id, escalation.other_agency_id}
    if actor.agency_id in parties and actor.agency is not None:
        return actor.agency
    previous = (
        PracticeIssue.objects.filter(escalation=escalation)
        .select_related("lead_agency")
        .order_by("-updated_at", "-pk")
        .first()
    )
    return previous.lead_agency if previous else escalation.raising_agency
