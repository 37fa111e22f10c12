"""Each stage entry carries its escalation's partnership and raise day (the board's index)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_escalations(apps, schema_editor):
    StageEntry = apps.get_model("escalations", "StageEntry")
    Escalation = apps.get_model("escalations", "Escalation")
    own = Escalation.objects.filter(pk=OuterRef("escalation_id"))
    StageEntry.objects.update(
        partnership_id=Subquery(own.values("partnership_id")[:1]),
        case_raised_on=Subquery(own.values("raised_on")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0013_board_figures"),
        ("policies", "0003_partnership_code_referencecounter"),
    ]

    operations = [
        migrations.AddField(
            model_name="stageentry",
            name="case_raised_on",
            field=models.DateField(null=True, help_text="The day its escalation was raised."),
        ),
        migrations.AddField(
            model_name="stageentry",
            name="partnership",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="policies.partnership",
            ),
        ),
        migrations.RunPython(copy_from_escalations, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="stageentry",
            name="case_raised_on",
            field=models.DateField(help_text="The day its escalation was raised."),
        ),
        migrations.AlterField(
            model_name="stageentry",
            name="partnership",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="policies.partnership",
            ),
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                fields=["partnership", "status", "raised_on", "id"], name="escalation_oldest_open"
            ),
        ),
        migrations.AddIndex(
            model_name="stageentry",
            index=models.Index(
                fields=["partnership", "case_raised_on"],
                include=("number", "working_days", "due_on", "ended_on"),
                name="stage_entry_board",
            ),
        ),
    ]
