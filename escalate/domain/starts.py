"""Where a new escalation may enter the ladder: one rule for raising and for timelines."""

from __future__ import annotations

from escalate.domain.policy import PolicyRules, stage_list


class StartRefused(ValueError):
    """The procedure does not let a disagreement start there; ``str()`` says why."""


def starting_stage(
    rules: PolicyRules,
    *,
    immediate_risk: bool = False,
    start_at: int | None = None,
    route_key: str | None = None,
) -> int:
    """The stage a disagreement starts at: stage 1, a route's stage, or with immediate risk
    one of the stages the policy allows (docs/domain.md decision 5)."""
    if route_key:
        try:
            return rules.entry_route(route_key).enters_at
        except KeyError:
            raise StartRefused("This procedure has no such route in.") from None
    if start_at is None or start_at == rules.first_stage.number:
        return rules.first_stage.number
    if start_at not in {stage.number for stage in rules.stages}:
        raise StartRefused(f"This procedure has no stage {start_at}.")
    if not immediate_risk:
        raise StartRefused(
            "A disagreement starts at stage 1 unless a child or adult is at immediate risk."
        )
    if start_at not in rules.immediate_risk.may_start_at:
        allowed = stage_list(rules.immediate_risk.may_start_at)
        raise StartRefused(f"With immediate risk this procedure may start only at {allowed}.")
    return start_at
