# The progress version becomes one row per cohort, keyed by the cohort's id (0: every cohort).
# The table only holds cache tokens, so it is made anew rather than altered: losing the old
# token only means the next progress page is computed instead of read from the cache.

import secrets

from django.db import migrations, models


def create_every_cohort_row(apps, schema_editor):
    ProgressVersion = apps.get_model("tracker", "ProgressVersion")
    ProgressVersion.objects.get_or_create(cohort_id=0, defaults={"token": secrets.token_hex(8)})


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0006_notification_indexes"),
    ]

    operations = [
        migrations.DeleteModel(name="ProgressVersion"),
        migrations.CreateModel(
            name="ProgressVersion",
            fields=[
                (
                    "cohort_id",
                    models.PositiveBigIntegerField(
                        help_text="The cohort whose pages the token keys; 0 for every cohort.",
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("token", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(create_every_cohort_row, migrations.RunPython.noop),
    ]
