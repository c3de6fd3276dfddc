"""The capstone live-model check: the enrollment's extra examples in the audit history, and the
hourly check of approved capstones until graduation (a task added to the periodic schedule
the way ``0010_periodic_schedule`` adds its own; a task staff changed is left alone)."""

from django.db import migrations, models

NAME = "Capstone live-model check"
TASK = "tracker.tasks.check_capstones"
DESCRIPTION = (
    "Sends the prediction contract's examples to every approved capstone deployment of a "
    "learner not yet graduated (hourly at :20 UTC), so uptime and latency are known over time."
)


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="20",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.create(
        name=NAME, task=TASK, description=DESCRIPTION, enabled=True, crontab=crontab
    )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0018_webhooks"),
        ("learners", "0003_deployment_check_examples"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalenrollment",
            name="prediction_examples",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
