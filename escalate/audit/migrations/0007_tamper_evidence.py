"""Tamper evidence over the record itself (decision record 0022): the columns and tables.

The three new AuditEvent columns are nullable, so on SQLite too they are added with ALTER
TABLE ADD COLUMN (a non-null column or a default would rebuild the table and lose the
append-only triggers of 0003). Events written before keep NULL and their unkeyed links;
0009 seals them with a keyed checkpoint.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_reads_in_page_order"),
        ("policies", "0003_partnership_code_referencecounter"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                help_text="Which audit key signed the link; empty for the unkeyed links written before.",
                max_length=16,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="text_digests",
            field=models.JSONField(
                help_text="Keyed digests of the personal text kept in EventText, by name.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="wrote",
            field=models.JSONField(
                help_text="Keyed digests of the rows the change wrote: {'app.model:pk': {field: digest}}.",
                null=True,
            ),
        ),
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("taken_at", models.DateTimeField()),
                (
                    "events",
                    models.PositiveIntegerField(help_text="Events on the chain when it was taken."),
                ),
                ("last_event_id", models.BigIntegerField(null=True)),
                ("last_hash", models.CharField(max_length=64)),
                (
                    "seals_unkeyed",
                    models.BooleanField(
                        default=False,
                        help_text="Vouches for the unkeyed events written before decision 22.",
                    ),
                ),
                ("key_id", models.CharField(max_length=16)),
                ("signature", models.CharField(max_length=64)),
                (
                    "partnership",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="policies.partnership",
                    ),
                ),
            ],
            options={
                "ordering": ["pk"],
            },
        ),
        migrations.CreateModel(
            name="EventText",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=40)),
                ("text", models.TextField()),
                ("anonymised_at", models.DateTimeField(null=True)),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="texts",
                        to="audit.auditevent",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("event", "name"), name="audit_event_text_once")
                ],
            },
        ),
    ]
