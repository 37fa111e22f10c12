"""Seal the chains written before decision 22 with a keyed checkpoint each.

Their events keep their rows and their plain SHA-256 links (the table refuses UPDATE, and
rewriting history to re-key it is what the chain exists to show). Instead each chain's head
at this moment is signed with the audit key (ESCALATE_AUDIT_KEYS, or the key derived from
SECRET_KEY): rewriting any event before it changes the head and no longer matches the seal,
and an unkeyed event after it fails verification. Run it with the production key in the
environment; a seal signed with a key later dropped leaves those chains unverifiable.
"""

from django.db import migrations


def seal(apps, schema_editor):
    from escalate.audit.services import seal_unkeyed_chains

    seal_unkeyed_chains(
        event_model=apps.get_model("audit", "AuditEvent"),
        checkpoint_model=apps.get_model("audit", "Checkpoint"),
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_door_for_the_purge_role")]

    # Reversing leaves the seals: the checkpoints are append-only too.
    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
