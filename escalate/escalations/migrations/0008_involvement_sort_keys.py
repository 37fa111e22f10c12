"""Copy each escalation's sort keys onto its involvement rows (``Involvement.is_open``,
``due_key``, ``raised_on``, ``created_at``), so a person's or an agency's list is read in order from an
index. The fill is written out here, frozen, as this migration's own."""

import datetime

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def fill_sort_keys(apps, schema_editor):
    Escalation = apps.get_model("escalations", "Escalation")
    Involvement = apps.get_model("escalations", "Involvement")
    own = Escalation.objects.filter(pk=OuterRef("escalation_id"))
    Involvement.objects.update(
        is_open=Exists(own.filter(status="open")),
        due_key=Coalesce(
            Subquery(own.values("stage_due_on")[:1]), Value(datetime.date(9999, 12, 31))
        ),
        raised_on=Subquery(own.values("raised_on")[:1]),
        created_at=Subquery(own.values("created_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0007_list_indexes"),
        ("organisations", "0003_data_protection_officer_role"),
    ]

    operations = [
        # Fields first, then the fill, then the indexes: building them once over filled rows.
        migrations.AddField(
            model_name="involvement",
            name="created_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="involvement",
            name="due_key",
            field=models.DateField(default=datetime.date(9999, 12, 31)),
        ),
        migrations.AddField(
            model_name="involvement",
            name="is_open",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="involvement",
            name="raised_on",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(fill_sort_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="involvement",
            index=models.Index(
                fields=["person", "is_open", "due_key", "escalation"], name="involved_person_due"
            ),
        ),
        migrations.AddIndex(
            model_name="involvement",
            index=models.Index(
                fields=["agency", "is_open", "due_key", "escalation"], name="involved_agency_due"
            ),
        ),
        migrations.AddIndex(
            model_name="involvement",
            index=models.Index(
                fields=["person", "raised_on", "escalation"], name="involved_person_raised"
            ),
        ),
        migrations.AddIndex(
            model_name="involvement",
            index=models.Index(
                fields=["agency", "raised_on", "escalation"], name="involved_agency_raised"
            ),
        ),
        migrations.AddIndex(
            model_name="involvement",
            index=models.Index(
                fields=["person", "created_at", "escalation"], name="involved_person_created"
            ),
        ),
        migrations.AddIndex(
            model_name="involvement",
            index=models.Index(
                fields=["agency", "created_at", "escalation"], name="involved_agency_created"
            ),
        ),
    ]
