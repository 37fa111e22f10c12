"""Each partnership gets a short code that starts its references, and a counter per year.

Existing partnerships get a code from their slug (see ``derive_code`` in
``escalate/policies/services.py``; the rule is copied here so this migration never
changes). References issued before this migration keep their "ESC-" form.
"""

import re

import django.db.models.deletion
from django.db import migrations, models

LEGACY_PREFIX = "ESC"


def _derive_code(slug, taken):
    stem = re.sub(r"[^A-Z0-9]", "", slug.upper())[:8].ljust(2, "X")
    code, suffix = stem, 1
    while code in taken or code == LEGACY_PREFIX:
        suffix += 1
        code = f"{stem[: 8 - len(str(suffix))]}{suffix}"
    return code


def fill_codes(apps, schema_editor):
    partnership_model = apps.get_model("policies", "Partnership")
    taken = set()
    for partnership in partnership_model.objects.order_by("pk"):
        partnership.code = _derive_code(partnership.slug, taken)
        taken.add(partnership.code)
        partnership.save(update_fields=["code"])


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0002_retentionrule"),
    ]

    operations = [
        migrations.AddField(
            model_name="partnership",
            name="code",
            field=models.CharField(max_length=8, null=True),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="partnership",
            name="code",
            field=models.CharField(
                help_text="Starts each of its escalations' references, e.g. 'NEL' in "
                "NEL-2026-000123. Fixed once a reference has been issued.",
                max_length=8,
                unique=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="partnership",
            constraint=models.CheckConstraint(
                condition=models.Q(("code__regex", "^[A-Z0-9]{2,8}$")),
                name="partnership_code_is_short_capitals",
            ),
        ),
        migrations.CreateModel(
            name="ReferenceCounter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField()),
                ("last_number", models.PositiveIntegerField()),
                (
                    "partnership",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="policies.partnership",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("partnership", "year"), name="one_reference_counter_per_year"
                    )
                ],
            },
        ),
    ]
