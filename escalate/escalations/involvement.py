"""Keeping the involvement rows that the visibility filter reads.

``domain.access.involvements`` says who is involved in a case; this stores that, and
every service that changes parties, people or status calls ``keep_involvement`` inside
its transaction, so the rows never disagree with the case they describe.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import date, datetime
from uuid import UUID

from escalate.domain import access
from escalate.escalations.models import NONE_DUE, Escalation, Involvement


@dataclass(frozen=True)
class SortKeys:
    """The escalation's keys that the lists sort and filter by, copied onto its rows."""

    is_open: bool
    due_key: date
    raised_on: date | None
    created_at: datetime | None

    @classmethod
    def of(cls, escalation: Escalation) -> SortKeys:
        return cls(
            is_open=escalation.status == Escalation.Status.OPEN,
            due_key=escalation.stage_due_on or NONE_DUE,
            raised_on=escalation.raised_on,
            created_at=escalation.created_at,
        )

    @classmethod
    def stored(cls, row: Involvement) -> SortKeys:
        return cls(row.is_open, row.due_key, row.raised_on, row.created_at)

    def as_fields(self) -> dict[str, object]:
        names = ("is_open", "due_key", "raised_on", "created_at")
        return dict(zip(names, astuple(self), strict=True))


def keep_involvement(
    escalation: Escalation, facts: access.CaseAccessFacts | None = None, *, is_new: bool = False
) -> None:
    """Make the stored rows exactly the case's involvements, with its sort keys: add the
    new, drop the gone, and bring the kept rows' keys up to date where they moved.

    ``facts`` may be given where the caller already has them; ``is_new`` says the case
    has no rows yet (it is being raised), so there is nothing to read back.
    """
    wanted = access.involvements(facts or escalation.access_facts())
    keys = SortKeys.of(escalation)
    stored: dict[access.Involvement, Involvement] = {}
    if not is_new:
        stored = {row.as_fact(): row for row in Involvement.objects.filter(escalation=escalation)}
    gone = [row.pk for fact, row in stored.items() if fact not in wanted]
    if gone:
        Involvement.objects.filter(pk__in=gone).delete()
    if any(SortKeys.stored(row) != keys for fact, row in stored.items() if fact in wanted):
        Involvement.objects.filter(escalation=escalation).update(**keys.as_fields())
    Involvement.objects.bulk_create(
        row_for(escalation.pk, fact, keys) for fact in sorted(wanted - stored.keys())
    )


def row_for(escalation_id: UUID, fact: access.Involvement, keys: SortKeys) -> Involvement:
    return Involvement(
        escalation_id=escalation_id,
        why=fact.why.value,
        person_id=fact.person_id,
        agency_id=fact.agency_id,
        **keys.as_fields(),
    )
