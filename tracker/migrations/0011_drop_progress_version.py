"""The page cache's version tokens go with the page cache: progress pages are joined from the
stored report rows (``ProgressSnapshot``), whose own tokens say when they are outdated. The
snapshot row now goes with its enrollment in Django's cascade (no database constraint, as
before: the state-only change needs no SQL)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("learners", "0001_initial"),
        ("tracker", "0010_periodic_schedule"),
    ]

    operations = [
        migrations.DeleteModel(name="ProgressVersion"),
        migrations.AlterField(
            model_name="progresssnapshot",
            name="enrollment",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="progress_snapshot",
                serialize=False,
                to="learners.enrollment",
            ),
        ),
    ]
