"""Display-ready facts about a procedure, so templates choose wording, not rules."""

from __future__ import annotations

from dataclasses import dataclass

from escalate.domain.policy import (
    CHECKLIST_LABELS,
    FINAL_STAGE_LABELS,
    STAGE_ACTION_LABELS,
    Contact,
    PolicyRules,
    StageRule,
)
from escalate.policies.models import Policy

_AGENCY_KIND_LABELS = {
    "education": "Education",
    "early_years": "Early years",
    "health": "Health",
    "childrens_social_care": "Children's social care",
    "adult_social_care": "Adult social care",
    "police": "Police",
    "voluntary": "Voluntary sector",
    "other": "Other agencies",
}


@dataclass(frozen=True)
class StageView:
    number: int
    name: str
    summary: str
    timescale: str
    job_titles: list[tuple[str, str]]
    on_entry: list[str]
    on_outcome: list[str]
    checklist: list[str]
    final_kinds: list[str]


@dataclass(frozen=True)
class PolicyView:
    slug: str
    partnership: str
    title: str
    version: int
    source: str
    covers: str
    stage_count: int
    target: str
    stages: list[StageView]
    contacts: tuple[Contact, ...]
    immediate_risk: str
    entry_routes: list[str]
    notes: tuple[str, ...]
    url: str


def present_policy(policy: Policy) -> PolicyView:
    rules = policy.rules
    return PolicyView(
        slug=policy.partnership.slug,
        partnership=policy.partnership.name,
        title=rules.title,
        version=policy.version,
        source=rules.source,
        covers=_covers(rules),
        stage_count=len(rules.stages),
        target=rules.target.describe() if rules.target.days else "No overall target",
        stages=[_present_stage(stage) for stage in rules.stages],
        contacts=rules.contacts,
        immediate_risk=rules.immediate_risk.guidance,
        entry_routes=[
            f"{route.name}: enters at stage {route.enters_at}" for route in rules.entry_routes
        ],
        notes=rules.notes,
        url=policy.get_absolute_url(),
    )


def _covers(rules: PolicyRules) -> str:
    kinds = {kind.value for kind in rules.covers}
    if kinds == {"child", "adult"}:
        return "Children and adults with care and support needs"
    return "Children" if kinds == {"child"} else "Adults with care and support needs"


def _present_stage(stage: StageRule) -> StageView:
    return StageView(
        number=stage.number,
        name=stage.name,
        summary=stage.summary,
        timescale=stage.deadline.describe().capitalize(),
        job_titles=[
            (_AGENCY_KIND_LABELS[kind.value], ", ".join(titles))
            for kind, titles in stage.job_titles
        ],
        on_entry=[STAGE_ACTION_LABELS[action] for action in stage.on_entry],
        on_outcome=[STAGE_ACTION_LABELS[action] for action in stage.on_outcome],
        checklist=[CHECKLIST_LABELS[item] for item in stage.checklist],
        final_kinds=[FINAL_STAGE_LABELS[kind] for kind in stage.final.decided_by]
        if stage.final
        else [],
    )
