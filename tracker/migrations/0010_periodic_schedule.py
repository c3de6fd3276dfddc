"""The periodic schedule: the one list of Stride's periodic tasks.

Beat reads its schedule from the database (django-celery-beat's DatabaseScheduler), so staff
see and change it in the admin under *Periodic tasks*. This migration creates each task of the
list below that does not exist yet (by name); a task staff changed or disabled is left alone.
It supersedes ``0003_periodic_tasks`` and ``0009_progress_rows_schedule``, which created the
same tasks in two steps and now do nothing. docs/OPERATIONS.md shows the table.
"""

from django.db import migrations

SCHEDULE = [
    # name, task, every (seconds) or crontab (UTC), description
    (
        "Reminder sweep",
        "tracker.tasks.sweep_reminders",
        {"every": 15 * 60},
        "Finds every due reminder (set-based) and creates the notifications.",
    ),
    (
        "Email outbox flush",
        "tracker.tasks.flush_outbox",
        {"every": 60},
        "Publishes due emails no task carries: broker outages, quiet hours, dead workers.",
    ),
    (
        "Pause status sync",
        "tracker.tasks.sync_pause_statuses",
        {"crontab": {"minute": "5", "hour": "*"}},
        "Flips enrollments between active and paused as pauses begin and end (hourly, so "
        "every cohort's local midnight is caught within the hour).",
    ),
    (
        "Progress rows refresh",
        "tracker.tasks.refresh_progress_rows",
        {"crontab": {"minute": "10", "hour": "*"}},
        "Computes the cohort progress report rows that are not fresh (hourly, so every "
        "cohort's new day is ready within the hour).",
    ),
    (
        "Daily deployment re-check",
        "tracker.tasks.recheck_deployments",
        {"crontab": {"minute": "30", "hour": "3"}},
        "Checks every capstone deployment again, once a day (03:30 UTC).",
    ),
]


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    created = False
    for name, task, when, description in SCHEDULE:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        fields = {"task": task, "description": description, "enabled": True}
        if "every" in when:
            fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=when["every"], period="seconds"
            )
            # Running late is pointless: the next run does the same work.
            fields["expire_seconds"] = when["every"]
        else:
            fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=when["crontab"]["minute"],
                hour=when["crontab"]["hour"],
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone="UTC",
            )
        PeriodicTask.objects.create(name=name, **fields)
        created = True
    if created:
        # Tell a running beat that the schedule changed.
        from django.utils import timezone

        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0009_progress_rows_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
