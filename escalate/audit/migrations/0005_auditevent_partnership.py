"""One chain per partnership (decision record 0006).

Events already written keep partnership NULL: they stay linked as they were and form
the start of the national chain. Adding a nullable column is an ALTER TABLE on both
databases, so the append-only triggers of 0003 are untouched.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_read_event"),
        ("policies", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="partnership",
            field=models.ForeignKey(
                db_index=False,
                help_text="Whose chain the event is on; empty for the national chain.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="policies.partnership",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["partnership", "id"], name="audit_event_chain_idx"),
        ),
    ]
