"""Each reminder kind with the clock frozen: fires when due, not before, not twice."""

from __future__ import annotations

import datetime as dt

import pytest

from learners.models import Submission
from mentors.models import MentorSession
from tests.learners.factories import PauseFactory, ProgressLogFactory, SubmissionFactory
from tests.mentors.factories import MentorFactory, MentorSessionFactory
from tests.tracker.test_reminders_fixtures import (  # noqa: F401
    at,
    bootcamp_fixture,
    broker_fixture,
    eager_celery_fixture,
    frozen_fixture,
)
from tracker import jobs, tasks
from tracker.models import Notification, UserPreferences
from tracker.notifications import notify, outbox
from tracker.notifications.outbox import flush_outbox, publish_sweep_rows
from tracker.notifications.sweep import partitions, run_sweep

pytestmark = pytest.mark.django_db


def kinds_for(user, kind):
    return list(
        Notification.objects.filter(recipient=user, kind=kind).values_list("dedupe_key", flat=True)
    )


def sweep():
    return run_sweep().created


# --- due_soon -------------------------------------------------------------------------------
def test_due_soon_fires_three_days_before_and_only_once(bootcamp, frozen):
    frozen(at(2026, 3, 5, 23, 59))  # four days before the 9th
    assert sweep()["due_soon"] == 0
    frozen(at(2026, 3, 6, 0, 1))
    assert sweep()["due_soon"] == 1
    assert kinds_for(bootcamp.learner, "due_soon") == [
        f"due_soon:{bootcamp.enrollment.pk}:{bootcamp.assignment.pk}:2026-03-09"
    ]
    frozen(at(2026, 3, 8))
    assert sweep()["due_soon"] == 0
    assert Notification.objects.filter(kind="due_soon").count() == 1
    notification = Notification.objects.get(kind="due_soon")
    assert "Linear models" in notification.subject


def test_due_soon_skips_submitted_work(bootcamp, frozen):
    frozen(at(2026, 3, 7))
    SubmissionFactory(enrollment=bootcamp.enrollment, assignment=bootcamp.assignment)
    assert sweep()["due_soon"] == 0


def test_due_soon_follows_a_pause(bootcamp, frozen):
    frozen(at(2026, 2, 10))
    PauseFactory(
        enrollment=bootcamp.enrollment, start=dt.date(2026, 2, 10), end=dt.date(2026, 2, 16)
    )
    bootcamp.enrollment.paused_days = 7
    bootcamp.enrollment.save(update_fields=["paused_days"])
    frozen(at(2026, 3, 7))  # two days before the unshifted date: nothing, it moved a week
    assert sweep()["due_soon"] == 0
    frozen(at(2026, 3, 13))
    assert sweep()["due_soon"] == 1
    assert kinds_for(bootcamp.learner, "due_soon")[0].endswith(":2026-03-16")


def test_due_soon_uses_the_learners_local_day_on_both_sides_of_midnight(bootcamp, frozen):
    far_east = UserPreferences.objects.create(user=bootcamp.learner, timezone="Pacific/Kiritimati")
    # 11:00 UTC on the 5th is already 01:00 on the 6th in Kiritimati (UTC+14): three days left.
    frozen(at(2026, 3, 5, 11))
    assert sweep()["due_soon"] == 1
    far_east.delete()
    Notification.objects.all().delete()
    bootcamp.learner.refresh_from_db()
    UserPreferences.objects.create(user=bootcamp.learner, timezone="Pacific/Pago_Pago")
    # 10:59 UTC on the 6th is still 23:59 on the 5th in Pago Pago (UTC-11): four days left.
    frozen(at(2026, 3, 6, 10, 59))
    assert sweep()["due_soon"] == 0
    frozen(at(2026, 3, 6, 11, 0))
    assert sweep()["due_soon"] == 1


def test_learners_without_preferences_use_the_cohort_time_zone(bootcamp, frozen):
    bootcamp.cohort.timezone = "Pacific/Kiritimati"
    bootcamp.cohort.save(update_fields=["timezone"])
    frozen(at(2026, 3, 5, 11))
    assert sweep()["due_soon"] == 1


# --- overdue --------------------------------------------------------------------------------
def test_overdue_tells_learner_and_mentor_once_per_week(bootcamp, frozen):
    frozen(at(2026, 3, 9, 23))
    assert sweep()["overdue"] == 0
    frozen(at(2026, 3, 10, 8))
    assert sweep()["overdue"] == 2
    assert len(kinds_for(bootcamp.learner, "overdue")) == 1
    assert len(kinds_for(bootcamp.mentor.user, "overdue")) == 1
    frozen(at(2026, 3, 16, 8))  # day 7 overdue: still the first week
    assert sweep()["overdue"] == 0
    frozen(at(2026, 3, 17, 8))  # day 8: the second week
    assert sweep()["overdue"] == 2
    assert len(kinds_for(bootcamp.learner, "overdue")) == 2


def test_overdue_stops_once_approved(bootcamp, frozen):
    frozen(at(2026, 3, 10))
    SubmissionFactory(
        enrollment=bootcamp.enrollment,
        assignment=bootcamp.assignment,
        status=Submission.Status.APPROVED,
    )
    assert sweep()["overdue"] == 0


def test_paused_and_withdrawn_learners_get_no_schedule_reminders(bootcamp, frozen):
    bootcamp.enrollment.status = "withdrawn"
    bootcamp.enrollment.save(update_fields=["status"])
    frozen(at(2026, 3, 20))
    assert sum(sweep().values()) == 0


# --- inactive -------------------------------------------------------------------------------
def test_inactive_learner_then_mentor_from_fourteen_days(bootcamp, frozen):
    frozen(at(2026, 2, 20, 9))
    ProgressLogFactory(enrollment=bootcamp.enrollment, logged_on=dt.date(2026, 2, 20))
    frozen(at(2026, 2, 26))  # six days
    assert sweep()["inactive"] == 0
    frozen(at(2026, 2, 27))  # seven days
    assert sweep()["inactive"] == 1
    assert len(kinds_for(bootcamp.learner, "inactive")) == 1
    frozen(at(2026, 3, 3))
    assert sweep()["inactive"] == 0
    frozen(at(2026, 3, 6))  # fourteen days: the learner again, and now the mentor
    assert sweep()["inactive"] == 2
    assert len(kinds_for(bootcamp.mentor.user, "inactive")) == 1
    frozen(at(2026, 3, 7))
    assert sweep()["inactive"] == 0


def test_a_new_log_resets_inactivity(bootcamp, frozen):
    frozen(at(2026, 2, 27))
    ProgressLogFactory(enrollment=bootcamp.enrollment, logged_on=dt.date(2026, 2, 26))
    assert sweep()["inactive"] == 0


# --- review_waiting -------------------------------------------------------------------------
def test_review_waiting_mentor_at_48_hours_staff_at_96(bootcamp, frozen):
    submitted = at(2026, 3, 1, 10)
    frozen(submitted)
    submission = SubmissionFactory(
        enrollment=bootcamp.enrollment, assignment=bootcamp.assignment, submitted_at=submitted
    )
    frozen(submitted + dt.timedelta(hours=47, minutes=59))
    assert sweep()["review_waiting"] == 0
    frozen(submitted + dt.timedelta(hours=48))
    assert sweep()["review_waiting"] == 1
    assert kinds_for(bootcamp.mentor.user, "review_waiting") == [
        f"review_waiting:{submission.pk}:mentor:{bootcamp.mentor.user.pk}"
    ]
    frozen(submitted + dt.timedelta(hours=95))
    assert sweep()["review_waiting"] == 0
    frozen(submitted + dt.timedelta(hours=96))
    assert sweep()["review_waiting"] == 1
    assert len(kinds_for(bootcamp.staff, "review_waiting")) == 1
    frozen(submitted + dt.timedelta(hours=120))
    assert sweep()["review_waiting"] == 0


# --- session_upcoming -----------------------------------------------------------------------
def test_session_upcoming_for_both_once_per_session(bootcamp, frozen):
    starts = at(2026, 3, 4, 15)
    frozen(at(2026, 3, 1))
    session = MentorSessionFactory(pairing=bootcamp.pairing, scheduled_at=starts)
    frozen(starts - dt.timedelta(hours=24, minutes=1))
    assert sweep()["session_upcoming"] == 0
    frozen(starts - dt.timedelta(hours=23))
    assert sweep()["session_upcoming"] == 2
    assert kinds_for(bootcamp.learner, "session_upcoming") == [
        f"session_upcoming:{session.pk}:{bootcamp.learner.pk}"
    ]
    frozen(starts - dt.timedelta(hours=1))
    assert sweep()["session_upcoming"] == 0


def test_session_upcoming_is_shown_in_each_recipients_zone(bootcamp, frozen):
    UserPreferences.objects.create(user=bootcamp.learner, timezone="Asia/Tokyo")
    frozen(at(2026, 3, 4, 1))
    MentorSessionFactory(pairing=bootcamp.pairing, scheduled_at=at(2026, 3, 4, 15))
    sweep()
    learner_note = Notification.objects.get(recipient=bootcamp.learner, kind="session_upcoming")
    mentor_note = Notification.objects.get(recipient=bootcamp.mentor.user, kind="session_upcoming")
    assert "Thu 5 Mar, 00:00" in learner_note.subject
    assert "Wed 4 Mar, 15:00" in mentor_note.subject


def test_cancelled_sessions_are_not_announced(bootcamp, frozen):
    frozen(at(2026, 3, 4, 1))
    MentorSessionFactory(
        pairing=bootcamp.pairing,
        scheduled_at=at(2026, 3, 4, 15),
        status=MentorSession.Status.CANCELLED,
    )
    assert sweep()["session_upcoming"] == 0


# --- weekly_digest --------------------------------------------------------------------------
def test_weekly_digest_monday_0800_local_once_per_week(bootcamp, frozen):
    frozen(at(2026, 3, 2, 7, 59))  # a Monday
    assert sweep()["weekly_digest"] == 0
    frozen(at(2026, 3, 2, 8, 0))
    assert sweep()["weekly_digest"] == 2  # the mentor and the staff member
    assert kinds_for(bootcamp.mentor.user, "weekly_digest") == [
        f"weekly_digest:{bootcamp.mentor.user.pk}:2026-W10"
    ]
    assert "1 learners paired with you" in (
        Notification.objects.get(recipient=bootcamp.mentor.user, kind="weekly_digest").body
    )
    frozen(at(2026, 3, 2, 18))
    assert sweep()["weekly_digest"] == 0
    frozen(at(2026, 3, 3, 9))  # Tuesday
    assert sweep()["weekly_digest"] == 0
    frozen(at(2026, 3, 9, 8, 5))
    assert sweep()["weekly_digest"] == 2


def test_weekly_digest_in_a_zone_ahead_of_utc_arrives_on_sunday_utc(bootcamp, frozen):
    auckland = MentorFactory(timezone="Pacific/Auckland")
    # Monday 08:00 in Auckland (NZDT, UTC+13) is Sunday 19:00 UTC.
    frozen(at(2026, 3, 1, 18, 59))
    assert sweep()["weekly_digest"] == 0
    frozen(at(2026, 3, 1, 19, 0))
    assert sweep()["weekly_digest"] == 1
    assert len(kinds_for(auckland.user, "weekly_digest")) == 1
    assert kinds_for(bootcamp.staff, "weekly_digest") == []


# --- the sweep as a whole -------------------------------------------------------------------
def test_sweeping_twice_creates_nothing_new(bootcamp, frozen):
    frozen(at(2026, 3, 1, 10))
    MentorSessionFactory(pairing=bootcamp.pairing, scheduled_at=at(2026, 3, 2, 9))
    SubmissionFactory(
        enrollment=bootcamp.enrollment,
        assignment=bootcamp.assignment,
        submitted_at=at(2026, 2, 20),
    )
    frozen(at(2026, 3, 2, 8, 30))
    first = sweep()
    assert sum(first.values()) >= 4
    rows = Notification.objects.count()
    assert sum(sweep().values()) == 0
    assert Notification.objects.count() == rows


def test_the_sweep_runs_in_a_fixed_number_of_queries(
    bootcamp, frozen, django_assert_max_num_queries
):
    from tests.learners.factories import EnrollmentFactory

    frozen(at(2026, 2, 2, 9))
    for _ in range(30):
        enrollment = EnrollmentFactory(cohort=bootcamp.cohort)
        ProgressLogFactory(enrollment=enrollment, logged_on=dt.date(2026, 2, 2))
    frozen(at(2026, 3, 10, 9))
    # Enrollments, pauses, submissions, then insert + read-back per batch, plus the global
    # lookups: independent of the 31 enrollments.
    with django_assert_max_num_queries(16):
        created = sweep()
    assert created["overdue"] == 31 + 1
    assert created["inactive"] == 31 + 1  # every learner, and the mentor of the first


def test_partitions_cover_every_enrollment_exactly_once(bootcamp, frozen):
    from tests.learners.factories import EnrollmentFactory

    frozen(at(2026, 2, 2, 9))
    for _ in range(9):
        EnrollmentFactory(cohort=bootcamp.cohort)
    frozen(at(2026, 3, 10, 9))
    ranges = partitions(4)
    assert len(ranges) == 4
    total = sum(
        sum(run_sweep(lo=lo, hi=hi, include_global=False).created.values()) for lo, hi in ranges
    )
    # Ten learners overdue and inactive; the one with a mentor brings the mentor twice.
    assert total == (10 + 1) + (10 + 1)
    assert sum(sweep().values()) == 0


def test_a_dry_run_creates_nothing(bootcamp, frozen):
    frozen(at(2026, 3, 10, 9))
    result = run_sweep(dry_run=True, keep_reminders=True)
    assert result.created["overdue"] == 2
    assert {r.kind for r in result.reminders} >= {"overdue", "inactive"}
    assert Notification.objects.count() == 0


def test_replaying_a_past_day_sends_nothing_twice(bootcamp, frozen):
    frozen(at(2026, 3, 6, 9))
    assert sweep()["due_soon"] == 1
    frozen(at(2026, 3, 12, 9))
    replay = run_sweep(day=dt.date(2026, 3, 6)).created
    assert replay["due_soon"] == 0
    # A day the sweep missed (the outage on the 10th) is filled in by a replay.
    replay = run_sweep(day=dt.date(2026, 3, 10)).created
    assert replay["overdue"] == 2
    assert run_sweep(day=dt.date(2026, 3, 10)).created["overdue"] == 0


# --- publishing the emails ------------------------------------------------------------------
def test_a_sweep_publishes_its_emails_once_and_only_its_own_rows(
    bootcamp, frozen, django_capture_on_commit_callbacks, broker
):
    frozen(at(2026, 3, 10, 9))
    earlier = notify(
        recipient=bootcamp.staff,
        kind="help_requested",
        subject="Help",
        body="Help",
        link="/",
        dedupe_key="event-before-the-sweep",
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = run_sweep()
    rows = Notification.objects.exclude(pk=earlier.pk)
    assert sum(result.created.values()) == rows.count() == 4
    # The sweep says what it made, and one message goes out for the whole sweep.
    ids = sorted(rows.values_list("id", flat=True))
    assert (result.first_id, result.last_id, result.stamp) == (ids[0], ids[-1], at(2026, 3, 10, 9))
    assert broker.sent == [
        (jobs.DELIVER_SWEEP_NOTIFICATIONS, [ids[0], ids[-1], at(2026, 3, 10, 9).isoformat()])
    ]
    assert set(rows.values_list("email_enqueued_at", flat=True)) == {at(2026, 3, 10, 9)}

    # The task (a moment later, on a worker) hands out exactly the sweep's rows, in batches,
    # and marks them published.
    frozen(at(2026, 3, 10, 9, 1))
    broker.sent.clear()
    assert publish_sweep_rows(0, ids[-1], at(2026, 3, 10, 9)) == (4, None)
    assert broker.sent == [(jobs.DELIVER_NOTIFICATION_BATCH, [ids])]
    # Published again (a redelivered message): nothing is left to publish.
    broker.sent.clear()
    assert publish_sweep_rows(ids[0], ids[-1], at(2026, 3, 10, 9)) == (0, None)
    assert broker.sent == []


def test_the_sweep_hand_out_continues_in_a_new_task_after_its_budget(
    bootcamp, frozen, monkeypatch, broker
):
    frozen(at(2026, 3, 10, 9))
    sweep()
    ids = sorted(Notification.objects.values_list("id", flat=True))
    monkeypatch.setattr(outbox, "SWEEP_PUBLISH_PAGE", 2)
    stamp = at(2026, 3, 10, 9)
    assert outbox.publish_sweep_rows(ids[0], ids[-1], stamp, budget_seconds=0) == (2, ids[1] + 1)
    assert tasks.deliver_sweep_notifications(ids[2], ids[-1], stamp.isoformat()) == 2
    assert broker.of(jobs.DELIVER_NOTIFICATION_BATCH) == [[ids[:2]], [ids[2:]]]
    assert broker.of(jobs.DELIVER_SWEEP_NOTIFICATIONS) == []
    # Out of budget, the task's hand-out publishes itself again for the rest (the clock stands
    # still here, so the rows still carry the sweep's stamp and are handed out once more).
    assert outbox.hand_out_sweep_emails(ids[0], ids[-1], stamp, budget_seconds=0) == 2
    assert broker.of(jobs.DELIVER_SWEEP_NOTIFICATIONS) == [[ids[1] + 1, ids[-1], stamp.isoformat()]]


def test_a_sweep_whose_publish_failed_is_left_to_the_outbox_flush(
    bootcamp, frozen, django_capture_on_commit_callbacks, broker
):
    frozen(at(2026, 3, 10, 9))
    broker.down()
    with django_capture_on_commit_callbacks(execute=True):
        assert sum(sweep().values()) == 4
    broker.up()
    # Within the claim lease the rows count as published; then the flush takes them.
    assert flush_outbox() == 0
    frozen(at(2026, 3, 10, 9, 5))
    assert flush_outbox() == 4
    assert [len(ids) for [ids] in broker.of(jobs.DELIVER_NOTIFICATION_BATCH)] == [4]


def test_the_sweeps_emails_reach_every_recipient_exactly_once(
    bootcamp, frozen, eager_celery, django_capture_on_commit_callbacks, mailoutbox
):
    frozen(at(2026, 3, 10, 9))
    with django_capture_on_commit_callbacks(execute=True):
        created = sum(sweep().values())
    assert created == 4
    assert len(mailoutbox) == 4
    states = set(Notification.objects.values_list("email_state", flat=True))
    assert states == {Notification.EmailState.SENT}
    # A flush, a second sweep and a replayed hand-out send nothing more.
    frozen(at(2026, 3, 10, 9, 30))
    with django_capture_on_commit_callbacks(execute=True):
        assert sum(sweep().values()) == 0
    assert flush_outbox() == 0
    assert publish_sweep_rows(0, 10**9, at(2026, 3, 10, 9)) == (0, None)
    assert len(mailoutbox) == 4
