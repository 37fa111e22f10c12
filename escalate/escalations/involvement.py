"""Keeping the involvement rows that the visibility filter reads.

``domain.access.involvements`` says who is involved in a case; this stores that, and
every service that changes parties, people or status calls ``keep_involvement`` inside
its transaction, so the rows never disagree with the case they describe.
"""

from __future__ import annotations

from uuid import UUID

from escalate.domain import access
from escalate.escalations.models import Escalation, Involvement


def keep_involvement(
    escalation: Escalation, facts: access.CaseAccessFacts | None = None, *, is_new: bool = False
) -> None:
    """Make the stored rows exactly the case's involvements: add the new, drop the gone.

    ``facts`` may be given where the caller already has them; ``is_new`` says the case
    has no rows yet (it is being raised), so there is nothing to read back.
    """
    wanted = access.involvements(facts or escalation.access_facts())
    stored: dict[access.Involvement, int] = {}
    if not is_new:
        stored = {
            row.as_fact(): row.pk for row in Involvement.objects.filter(escalation=escalation)
        }
    gone = [pk for fact, pk in stored.items() if fact not in wanted]
    if gone:
        Involvement.objects.filter(pk__in=gone).delete()
    Involvement.objects.bulk_create(
        row_for(escalation.pk, fact) for fact in sorted(wanted - stored.keys())
    )


def row_for(escalation_id: UUID, fact: access.Involvement) -> Involvement:
    return Involvement(
        escalation_id=escalation_id,
        why=fact.why.value,
        person_id=fact.person_id,
        agency_id=fact.agency_id,
    )
