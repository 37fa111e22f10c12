"""Every audit event, declared once: dotted, past tense, with its label for the history."""

from __future__ import annotations

ESCALATION_RAISED = "escalation.raised"
IMMEDIATE_RISK_ROUTE_TAKEN = "escalation.immediate_risk_route_taken"
CONTACT_RECORDED = "contact.recorded"
CONTACT_CORRECTED = "contact.corrected"
STAGE_ESCALATED = "escalation.stage_escalated"
ESCALATION_RESOLVED = "escalation.resolved"
ESCALATION_WITHDRAWN = "escalation.withdrawn"
ESCALATION_CLOSED = "escalation.closed"
AGREED_ACTION_ADDED = "agreed_action.added"
AGREED_ACTION_UNDERSTANDING_CONFIRMED = "agreed_action.understanding_confirmed"
AGREED_ACTION_CHECKED = "agreed_action.checked"
CHECKLIST_ITEM_TICKED = "checklist_item.ticked"
REPRESENTATION_SUBMITTED = "representation.submitted"
PANEL_MEMBER_ADDED = "panel.member_added"
FINAL_DECISION_RECORDED = "final_decision.recorded"
FINAL_DECISION_CORRECTED = "final_decision.corrected"
PRACTICE_ISSUE_RECORDED = "practice_issue.recorded"
BOARD_ACTION_CREATED = "board_action.created"
BOARD_ACTION_COMPLETED = "board_action.completed"
GOOD_PRACTICE_RECORDED = "good_practice.recorded"
RESOLUTION_PROPOSED = "resolution.proposed"
RESOLUTION_CONFIRMED = "resolution.confirmed"
PARTY_ADDED = "party.added"
LEAD_AGENCY_CHOSEN = "party.lead_agency_chosen"
PANEL_MEMBER_REMOVED = "panel.member_removed"
MEETING_CHAIR_APPOINTED = "panel.chair_appointed"
PANEL_REASON_RECORDED = "panel.reason_recorded"
ESCALATION_REOPENED = "escalation.reopened"
AGENCY_CREATED = "agency.created"
AGENCY_UPDATED = "agency.updated"
PERSON_CREATED = "person.created"
PERSON_UPDATED = "person.updated"
DIRECTORY_IMPORTED = "directory.imported"
ESCALATION_ANONYMISED = "escalation.anonymised"
ATTACHMENT_ADDED = "attachment.added"
ATTACHMENT_DELETED = "attachment.deleted"
API_TOKEN_ISSUED = "api_token.issued"  # noqa: S105 - an event name, not a secret
API_TOKEN_REVOKED = "api_token.revoked"  # noqa: S105 - an event name, not a secret
# Account security (issue 12): each recorded by the service that makes the change.
INVITATION_SENT = "account.invitation_sent"
INVITATION_ACCEPTED = "account.invitation_accepted"
PASSWORD_SET = "account.password_set"  # noqa: S105 - an event name, not a secret
PASSWORD_RESET = "account.password_reset"  # noqa: S105 - an event name, not a secret
SECOND_FACTOR_SET_UP = "account.second_factor_set_up"
SECOND_FACTOR_RESET = "account.second_factor_reset"
RECOVERY_CODE_USED = "account.recovery_code_used"
SIGNED_OUT_EVERYWHERE = "account.signed_out_everywhere"
ROLE_GRANTED = "account.role_granted"
ROLE_REVOKED = "account.role_revoked"
PERSON_DEACTIVATED = "account.deactivated"
WORK_HANDED_OVER = "account.work_handed_over"
SIGN_IN_PROVIDER_SET = "partnership.sign_in_provider_set"

LABELS: dict[str, str] = {
    ESCALATION_RAISED: "Escalation raised",
    IMMEDIATE_RISK_ROUTE_TAKEN: "Same-day immediate risk route taken",
    CONTACT_RECORDED: "Contact recorded",
    CONTACT_CORRECTED: "Contact corrected",
    STAGE_ESCALATED: "Escalated to the next stage",
    ESCALATION_RESOLVED: "Resolved with an agreed outcome",
    ESCALATION_WITHDRAWN: "Withdrawn",
    ESCALATION_CLOSED: "Closed",
    AGREED_ACTION_ADDED: "Agreed action added",
    AGREED_ACTION_UNDERSTANDING_CONFIRMED: "Shared understanding of an agreed action confirmed",
    AGREED_ACTION_CHECKED: "Agreed action checked back",
    CHECKLIST_ITEM_TICKED: "Checklist item recorded",
    REPRESENTATION_SUBMITTED: "Written representation submitted",
    PANEL_MEMBER_ADDED: "Panel member appointed",
    FINAL_DECISION_RECORDED: "Final decision recorded",
    FINAL_DECISION_CORRECTED: "Final decision corrected",
    PRACTICE_ISSUE_RECORDED: "Policy or practice issue recorded",
    BOARD_ACTION_CREATED: "Board action made on a practice issue",
    BOARD_ACTION_COMPLETED: "Board action done",
    GOOD_PRACTICE_RECORDED: "Good multi-agency practice recognised",
    RESOLUTION_PROPOSED: "Resolution proposed, waiting for the other agencies to confirm",
    RESOLUTION_CONFIRMED: "Resolution confirmed by an agency",
    PARTY_ADDED: "Agency added to the disagreement",
    LEAD_AGENCY_CHOSEN: "Lead agency chosen",
    PANEL_MEMBER_REMOVED: "Panel member removed",
    MEETING_CHAIR_APPOINTED: "Chair of the final meeting appointed",
    PANEL_REASON_RECORDED: "Reason recorded for the panel's make-up",
    ESCALATION_REOPENED: "Reopened after a failed check-back",
    AGENCY_CREATED: "Agency added to the directory",
    AGENCY_UPDATED: "Agency changed",
    PERSON_CREATED: "Person added to the directory",
    PERSON_UPDATED: "Person's directory entry changed",
    DIRECTORY_IMPORTED: "Directory imported from a CSV file",
    ESCALATION_ANONYMISED: "Anonymised at the end of its retention period",
    ATTACHMENT_ADDED: "File attached",
    ATTACHMENT_DELETED: "Attached file deleted at the end of the retention period",
    API_TOKEN_ISSUED: "API token issued",
    API_TOKEN_REVOKED: "API token revoked",
    INVITATION_SENT: "Invitation to Escalate sent",
    INVITATION_ACCEPTED: "Invitation accepted",
    PASSWORD_SET: "Password set",
    PASSWORD_RESET: "Password reset by email",
    SECOND_FACTOR_SET_UP: "Second factor set up",
    SECOND_FACTOR_RESET: "Second factor reset by an administrator",
    RECOVERY_CODE_USED: "Signed in with a recovery code",
    SIGNED_OUT_EVERYWHERE: "Signed out everywhere",
    ROLE_GRANTED: "Partnership role granted",
    ROLE_REVOKED: "Partnership role revoked",
    PERSON_DEACTIVATED: "Person deactivated",
    WORK_HANDED_OVER: "Open work handed over to a successor",
    SIGN_IN_PROVIDER_SET: "Sign-in provider set or changed",
}
