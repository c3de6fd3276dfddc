"""``manage.py send_reminders`` and the sweep tasks (partitioned and not)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from tests.learners.factories import EnrollmentFactory
from tests.tracker.test_reminders_fixtures import (  # noqa: F401
    at,
    bootcamp_fixture,
    eager_celery_fixture,
    frozen_fixture,
)
from tracker import tasks
from tracker.models import Notification

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_dry_run_lists_what_would_be_sent_and_sends_nothing(bootcamp, frozen):
    frozen(at(2026, 3, 10, 9))
    output = run("--dry-run")
    assert "Would create 4 notification(s) over 1 active enrollment(s)." in output
    assert "overdue              2" in output
    assert f"[overdue:{bootcamp.enrollment.pk}:{bootcamp.assignment.pk}:w0:learner]" in output
    assert Notification.objects.count() == 0


def test_a_real_run_counts_per_kind_and_a_second_run_finds_nothing(bootcamp, frozen):
    frozen(at(2026, 3, 10, 9))
    output = run()
    assert "Created 4 notification(s)" in output
    assert "inactive             2" in output
    assert Notification.objects.count() == 4
    assert "Created 0 notification(s)" in run()


def test_a_past_date_replays_that_day_without_sending_twice(bootcamp, frozen):
    frozen(at(2026, 3, 6, 9))
    run()
    frozen(at(2026, 3, 20, 9))
    output = run("--date", "2026-03-06")
    assert "Created 0 notification(s) for 2026-03-06" in output
    output = run("--date", "2026-03-11")  # a day nobody swept: its reminders are filled in
    assert "overdue              2" in output


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "2099-01-01"])
def test_bad_dates_are_refused(bootcamp, frozen, value):
    frozen(at(2026, 3, 10, 9))
    with pytest.raises(CommandError):
        run("--date", value)


def test_the_partitioned_sweep_task_equals_one_sweep(bootcamp, frozen, eager_celery, settings):
    settings.STRIDE_SWEEP_PARTITIONS = 3
    frozen(at(2026, 2, 2, 9))
    for _ in range(5):
        EnrollmentFactory(cohort=bootcamp.cohort)
    frozen(at(2026, 3, 9, 8, 30))  # Monday: digests too
    result = tasks.sweep_reminders.apply().get()
    assert result["partitions"] == 3
    # 6 learners due today + 6 inactive + the first one's mentor inactive + 2 digests.
    by_kind = dict(Notification.objects.values_list("kind").annotate(n=Count("id")))
    assert by_kind == {"due_soon": 6, "inactive": 7, "weekly_digest": 2}
    settings.STRIDE_SWEEP_PARTITIONS = 1
    assert tasks.sweep_reminders.apply().get() == {}


def test_the_schedule_runs_every_periodic_task_and_keeps_what_staff_changed(db):
    import importlib
    from pathlib import Path

    from django.apps import apps
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from tracker.celery import app

    schedule = importlib.import_module("tracker.migrations.0010_periodic_schedule")
    # 0010's list, and what later migrations add in its shape (0018, 0022) or as one NAME (0019).
    # Each migration's function runs again first (it adds only what is missing): a transactional
    # test that ran earlier in this process may have flushed the rows the migrations made.
    listed = {name for name, *_ in schedule.SCHEDULE}
    for path in sorted(Path(schedule.__file__).parent.glob("0*.py")):
        later = importlib.import_module(f"tracker.migrations.{path.stem}")
        if hasattr(later, "create_schedule"):
            later.create_schedule(apps, None)
        if later is not schedule and isinstance(getattr(later, "SCHEDULE", None), list):
            listed |= {name for name, *_ in later.SCHEDULE}
        elif isinstance(getattr(later, "NAME", None), str):  # one task, e.g. 0019's
            listed.add(later.NAME)
    scheduled = {
        task.name: task for task in PeriodicTask.objects.filter(task__startswith="tracker.")
    }
    assert set(scheduled) == listed
    for task in scheduled.values():
        assert task.enabled and task.task in app.tasks
    assert scheduled["Email outbox flush"].interval.every == 60
    assert scheduled["Daily deployment re-check"].crontab.hour == "3"

    # Staff slowed the sweep down and switched the flush off: running the list again keeps it.
    sweep_task = scheduled["Reminder sweep"]
    sweep_task.interval = IntervalSchedule.objects.create(every=3600, period="seconds")
    sweep_task.save()
    PeriodicTask.objects.filter(name="Email outbox flush").update(enabled=False)
    schedule.create_schedule(apps, None)
    assert PeriodicTask.objects.get(name="Reminder sweep").interval.every == 3600
    assert not PeriodicTask.objects.get(name="Email outbox flush").enabled
