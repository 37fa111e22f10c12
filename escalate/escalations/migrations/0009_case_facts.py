"""Keep the stage machine's facts from a case's other rows on the escalation
(``Escalation.case_facts``, see ``authority.stored_facts``), and fill them for the cases
already held, a thousand at a time. The fill is written out here, frozen, as this
migration's own."""

from django.db import migrations, models
from django.db.models import Prefetch

BATCH = 1000


def facts_of(escalation):
    stage = escalation.stage_number
    parties = list(escalation.parties.all())
    named = {escalation.raised_by_id, *(p.pk for p in escalation.participants.all())}
    named |= {party.practitioner_id for party in parties if party.practitioner_id}
    if escalation.counterpart_id:
        named.add(escalation.counterpart_id)
    proposals = [p for p in escalation.open_proposals if p.stage_number == stage]
    proposal = proposals[0] if proposals else None
    agreed = (
        {proposal.agency_id, *(c.agency_id for c in proposal.confirmations.all())}
        if proposal
        else set()
    )
    return {
        "parties": [[p.agency_id, p.side, p.is_lead] for p in parties],
        "named": sorted(named),
        "proposal": [proposal.agency_id, sorted(agreed)] if proposal else None,
        "appointees": [
            [a.person_id, a.person.agency_id, a.role] for a in escalation.current_appointments
        ],
        "actions": [
            [a.pk, a.understanding_confirmed_at is not None, a.implementation]
            for a in escalation.current_actions
            if a.stage_number == stage
        ],
        "answered": sorted(
            [t.item, t.agency_id] for t in escalation.all_ticks if t.stage_number == stage
        ),
    }


def fill_case_facts(apps, schema_editor):
    Escalation = apps.get_model("escalations", "Escalation")
    ResolutionProposal = apps.get_model("escalations", "ResolutionProposal")
    Appointment = apps.get_model("escalations", "Appointment")
    AgreedAction = apps.get_model("escalations", "AgreedAction")
    ChecklistTick = apps.get_model("escalations", "ChecklistTick")
    rows = Escalation.objects.order_by("pk").only(
        "pk", "stage_number", "raised_by_id", "counterpart_id"
    )
    after = None
    while True:
        batch = rows.filter(pk__gt=after) if after is not None else rows
        chunk = list(
            batch.prefetch_related(
                "parties",
                "participants",
                Prefetch(
                    "resolution_proposals",
                    queryset=ResolutionProposal.objects.filter(state="proposed")
                    .prefetch_related("confirmations")
                    .order_by("-pk"),
                    to_attr="open_proposals",
                ),
                Prefetch(
                    "appointments",
                    queryset=Appointment.objects.filter(ended_at=None).select_related("person"),
                    to_attr="current_appointments",
                ),
                Prefetch(
                    "agreed_actions",
                    queryset=AgreedAction.objects.filter(superseded_at=None),
                    to_attr="current_actions",
                ),
                Prefetch(
                    "checklist_ticks", queryset=ChecklistTick.objects.all(), to_attr="all_ticks"
                ),
            )[:BATCH]
        )
        if not chunk:
            return
        for escalation in chunk:
            escalation.case_facts = facts_of(escalation)
        Escalation.objects.bulk_update(chunk, ["case_facts"])
        after = chunk[-1].pk


class Migration(migrations.Migration):
    dependencies = [("escalations", "0008_involvement_sort_keys")]

    operations = [
        migrations.AddField(
            model_name="escalation",
            name="case_facts",
            field=models.JSONField(
                default=dict,
                help_text="The stage machine's facts from the case's other rows (parties, "
                "proposal, appointees, actions, checklist), kept by the services with "
                "waiting_on, so lists ask the stage machine about a row without reading those "
                "rows (authority.stored_case).",
            ),
        ),
        migrations.RunPython(fill_case_facts, migrations.RunPython.noop),
    ]
