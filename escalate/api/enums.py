"""Choice sets the OpenAPI document names once each (see ``ENUM_NAME_OVERRIDES``)."""

from __future__ import annotations

from escalate.domain import engine, moves, policy

SUBJECT_KINDS = [member.value for member in policy.SubjectKind]
AGENCY_KINDS = [member.value for member in policy.AgencyKind]
LADDER_ROLES = [member.value for member in policy.LadderRole]
PARTNERSHIP_ROLES = [member.value for member in policy.PartnershipRole]
DEADLINE_KINDS = [member.value for member in policy.DeadlineKind]
STAGE_ACTIONS = [member.value for member in policy.StageAction]
CHECKLIST_ITEMS = [member.value for member in policy.ChecklistItem]
FINAL_STAGE_KINDS = [member.value for member in policy.FinalStageKind]
POLICY_CONTACT_KINDS = [member.value for member in policy.ContactKind]
NATIONS = [member.value for member in policy.Nation]
DEADLINE_STATES = [member.value for member in engine.DeadlineState]
CHECKLIST_STATES = ["to_do", "done", "not_done"]
CHECKLIST_ANSWERED_BY = ["record", "people"]
MOVES = [member.value for member in moves.Move]
SIDES = [member.value for member in moves.Side]
WAITING_ON = [member.value for member in moves.WaitingOn]
APPOINTEE_ROLES = [member.value for member in moves.AppointeeRole]
