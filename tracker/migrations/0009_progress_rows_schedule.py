"""Superseded by ``0010_periodic_schedule``, which holds the one list of periodic tasks.

This migration added the hourly progress rows refresh; it is kept, doing nothing, so the
migration history stays intact. Databases it already ran on keep their row, and the later
migration creates whatever is missing.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0008_progress_snapshot"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
