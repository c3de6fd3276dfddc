"""Event notifications, email delivery (exactly once, preferences, quiet hours), the outbox,
and the notification/preferences services."""

from __future__ import annotations

import datetime as dt
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from learners.services import help_request_create, submission_create
from mentors.models import MentorSession
from mentors.services import review_create, session_update
from tests.curriculum.factories import StaffFactory, UserFactory
from tests.learners.factories import SubmissionFactory
from tests.mentors.factories import MentorSessionFactory
from tests.tracker.test_reminders_fixtures import (  # noqa: F401
    at,
    bootcamp_fixture,
    broker_fixture,
    eager_celery_fixture,
    frozen_fixture,
)
from tracker import jobs, tasks
from tracker.models import Notification, UserPreferences
from tracker.notifications import (
    delivery,
    notification_list,
    notification_mark_read,
    notify,
    preferences_for,
    preferences_update,
)
from tracker.notifications.delivery import TransientEmailError, deliver
from tracker.notifications.outbox import flush_outbox

pytestmark = pytest.mark.django_db
Sent = Notification.EmailState


def make(user, key="k1", kind="feedback_ready", **extra):
    return notify(
        recipient=user,
        kind=kind,
        subject="Feedback on “Linear models”",
        body="Nice work.",
        link="/submissions/1/",
        dedupe_key=key,
        **extra,
    )


# --- events ---------------------------------------------------------------------------------
def test_a_saved_review_reaches_the_learner_by_email(
    bootcamp, frozen, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.STRIDE_BASE_URL = "https://stride.example.org"
    frozen(at(2026, 3, 8, 10))
    submission = SubmissionFactory(enrollment=bootcamp.enrollment, assignment=bootcamp.assignment)
    with django_capture_on_commit_callbacks(execute=True):
        review = review_create(
            actor=bootcamp.mentor.user,
            submission=submission,
            verdict="changes_requested",
            feedback="Add a baseline model & don't forget <b>tests</b>.",
        )
    notification = Notification.objects.get(kind="feedback_ready")
    assert notification.recipient == bootcamp.learner
    assert notification.dedupe_key == f"feedback_ready:{review.pk}"
    assert notification.email_state == Sent.SENT
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [bootcamp.learner.email]
    assert "Linear models" in email.subject
    # Plain text stays plain; the HTML part escapes what the mentor typed.
    assert "Add a baseline model & don't forget <b>tests</b>." in email.body
    assert f"https://stride.example.org/submissions/{submission.pk}/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="https://stride.example.org/submissions/{submission.pk}/"' in html
    assert "&amp; don&#x27;t forget &lt;b&gt;tests&lt;/b&gt;." in html
    assert email.extra_headers["Message-ID"].startswith(f"<stride-notification-{notification.pk}@")


def test_help_request_and_submission_notify_the_mentor(
    bootcamp, frozen, django_capture_on_commit_callbacks
):
    frozen(at(2026, 3, 8, 10))
    with django_capture_on_commit_callbacks(execute=True):
        help_request = help_request_create(
            actor=bootcamp.learner, enrollment=bootcamp.enrollment, message="Stuck on SGD"
        )
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(
            actor=bootcamp.learner,
            enrollment=bootcamp.enrollment,
            assignment=bootcamp.assignment,
            url="https://github.com/me/linear",
        )
    mentor_kinds = dict(
        Notification.objects.filter(recipient=bootcamp.mentor.user).values_list(
            "kind", "dedupe_key"
        )
    )
    mentor_id = bootcamp.mentor.user.pk
    assert mentor_kinds["help_requested"] == f"help_requested:{help_request.pk}:{mentor_id}"
    assert mentor_kinds["submission_received"] == (
        f"submission_received:{submission.pk}:{mentor_id}"
    )
    assert "Stuck on SGD" in Notification.objects.get(kind="help_requested").body


def test_a_rolled_back_write_notifies_nobody(bootcamp, frozen, django_capture_on_commit_callbacks):
    frozen(at(2026, 3, 8, 10))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                help_request_create(
                    actor=bootcamp.learner, enrollment=bootcamp.enrollment, message="Help"
                )
                raise RuntimeError("the request failed after the write")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.exists()


def test_two_missed_sessions_in_a_row_alert_staff_once_per_streak(
    bootcamp, frozen, django_capture_on_commit_callbacks
):
    frozen(at(2026, 2, 10))
    sessions = [
        MentorSessionFactory(pairing=bootcamp.pairing, scheduled_at=at(2026, 2, day, 15))
        for day in (11, 18, 25, 26)
    ]
    frozen(at(2026, 3, 1))

    def mark(session, status):
        with django_capture_on_commit_callbacks(execute=True):
            session_update(actor=bootcamp.mentor.user, session=session, status=status)

    mark(sessions[0], MentorSession.Status.MISSED)
    mark(sessions[1], MentorSession.Status.COMPLETED)
    mark(sessions[2], MentorSession.Status.MISSED)
    assert not Notification.objects.filter(kind="missed_sessions").exists()
    mark(sessions[3], MentorSession.Status.MISSED)
    alerts = Notification.objects.filter(kind="missed_sessions")
    assert [n.recipient for n in alerts] == [bootcamp.staff]
    assert alerts[0].dedupe_key.endswith(f":{sessions[2].pk}:{bootcamp.staff.pk}")
    # A third miss continues the same streak: no second alert.
    frozen(at(2026, 3, 5))
    later = MentorSessionFactory(pairing=bootcamp.pairing, scheduled_at=at(2026, 3, 4, 15))
    mark(later, MentorSession.Status.MISSED)
    assert Notification.objects.filter(kind="missed_sessions").count() == 1


# --- delivery -------------------------------------------------------------------------------
def test_delivery_sends_once_however_often_it_runs(bootcamp, frozen):
    frozen(at(2026, 3, 8, 10))
    notification = make(bootcamp.learner)
    assert deliver(notification.pk) == "sent"
    assert deliver(notification.pk) == "sent"
    tasks.deliver_notification.apply(args=[notification.pk])
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.email_attempts == 1
    assert notification.emailed_at == at(2026, 3, 8, 10)


def test_delivery_reads_the_recipient_and_preferences_once(bootcamp, frozen):
    # A roster invites thousands at once: each email is the notification read with its
    # recipient and preferences, the claim and the mark, whether or not the recipient has a
    # preferences row (nor is the language read again for the email).
    frozen(at(2026, 3, 8, 10))
    without_row = make(bootcamp.learner)
    UserPreferences.objects.create(user=bootcamp.mentor.user, language="es")
    with_row = make(bootcamp.mentor.user, key="k2")
    for notification in (without_row, with_row):
        with CaptureQueriesContext(connection) as queries:
            assert deliver(notification.pk) == "sent"
        assert len(queries) == 3, [query["sql"] for query in queries]
    assert mail.outbox[1].body.startswith("Hola, ")


def test_delivery_of_a_deleted_notification_is_quiet(bootcamp):
    assert deliver(999_999) == "gone"
    assert mail.outbox == []


def test_opted_out_and_muted_kinds_stay_in_app_only(bootcamp, frozen):
    frozen(at(2026, 3, 8, 10))
    preferences_update(actor=bootcamp.learner, email_reminders=False)
    first = make(bootcamp.learner, key="a")
    assert deliver(first.pk) == "skipped"
    preferences_update(
        actor=bootcamp.learner, email_reminders=True, email_muted_kinds=["feedback_ready"]
    )
    second = make(bootcamp.learner, key="b")
    assert deliver(second.pk) == "skipped"
    third = make(bootcamp.learner, key="c", kind="due_soon")
    assert deliver(third.pk) == "sent"
    assert len(mail.outbox) == 1
    assert notification_list(fetched_by=bootcamp.learner).count() == 3


def test_quiet_hours_defer_the_email_and_the_outbox_sends_it_after(bootcamp, frozen, broker):
    preferences_update(
        actor=bootcamp.learner,
        timezone="Europe/Berlin",
        quiet_hours_start="22:00",
        quiet_hours_end="07:00",
    )
    frozen(at(2026, 3, 8, 22, 30))  # 23:30 in Berlin (CET)
    notification = make(bootcamp.learner)
    assert deliver(notification.pk) == "deferred"
    notification.refresh_from_db()
    assert notification.email_state == Sent.PENDING
    assert notification.email_after == at(2026, 3, 9, 6, 0)  # 07:00 Berlin
    frozen(at(2026, 3, 9, 5, 59))
    assert flush_outbox() == 0
    assert broker.sent == []
    assert mail.outbox == []
    frozen(at(2026, 3, 9, 6, 0))
    assert deliver(notification.pk) == "sent"
    assert len(mail.outbox) == 1


def test_quiet_hours_window_without_midnight(bootcamp, frozen):
    prefs = preferences_update(
        actor=bootcamp.learner, quiet_hours_start="12:00", quiet_hours_end="14:00"
    )
    assert delivery.quiet_window_end(prefs, at(2026, 3, 9, 11, 59)) is None
    assert delivery.quiet_window_end(prefs, at(2026, 3, 9, 13)) == at(2026, 3, 9, 14)
    assert delivery.quiet_window_end(prefs, at(2026, 3, 9, 14)) is None


def test_a_transient_smtp_error_is_retried_and_a_final_one_recorded(bootcamp, frozen):
    frozen(at(2026, 3, 8, 10))
    notification = make(bootcamp.learner)
    broken = mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("gone away"),
    )
    with broken, pytest.raises(TransientEmailError):
        deliver(notification.pk)
    notification.refresh_from_db()
    assert (notification.email_state, notification.email_attempts) == (Sent.PENDING, 1)
    assert "gone away" in notification.email_error
    with broken:
        assert deliver(notification.pk, final_attempt=True) == "failed"
    notification.refresh_from_db()
    assert notification.email_state == Sent.FAILED
    assert deliver(notification.pk) == "failed"
    assert mail.outbox == []


def test_the_delivery_task_retries_a_transient_failure_and_records_the_last(bootcamp, frozen):
    frozen(at(2026, 3, 8, 10))
    disconnected = smtplib.SMTPServerDisconnected("gone away")
    flaky = make(bootcamp.learner, key="flaky")
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=[disconnected, disconnected, 1],
    ):
        assert tasks.deliver_notification.apply(args=[flaky.pk]).get() == "sent"
    flaky.refresh_from_db()
    assert (flaky.email_state, flaky.email_attempts) == (Sent.SENT, 3)

    broken = make(bootcamp.learner, key="broken")
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=disconnected
    ):
        assert tasks.deliver_notification.apply(args=[broken.pk]).get() == "failed"
    broken.refresh_from_db()
    # The first try and six retries, then the failure is kept for staff to see.
    assert (broken.email_state, broken.email_attempts) == (Sent.FAILED, 7)
    assert "gone away" in broken.email_error


def test_a_live_claim_blocks_a_second_delivery_and_a_dead_one_is_released(bootcamp, frozen, broker):
    frozen(at(2026, 3, 8, 10))
    notification = make(bootcamp.learner)
    Notification.objects.filter(pk=notification.pk).update(
        email_state=Sent.SENDING, email_claimed_at=at(2026, 3, 8, 10), email_attempts=1
    )
    assert deliver(notification.pk) == "busy"
    frozen(at(2026, 3, 8, 10, 30))  # far past the lease: that worker is dead
    assert flush_outbox() == 1
    assert broker.sent == [(jobs.DELIVER_NOTIFICATION, [notification.pk])]
    assert deliver(notification.pk) == "sent"
    assert len(mail.outbox) == 1


def test_a_broker_outage_leaves_the_row_to_the_outbox(
    bootcamp, frozen, django_capture_on_commit_callbacks, broker
):
    frozen(at(2026, 3, 8, 10))
    broker.down()
    with django_capture_on_commit_callbacks(execute=True):
        notification = make(bootcamp.learner)
    notification.refresh_from_db()
    assert notification.email_enqueued_at is None
    assert notification.email_state == Sent.PENDING
    # The next write in this process does not wait for the broker again, even once it is back.
    broker.failure = None
    with django_capture_on_commit_callbacks(execute=True):
        second = make(bootcamp.learner, key="second")
    assert broker.sent == []
    # The flush runs on a worker that just got its task from the broker: it publishes both.
    assert flush_outbox() == 2
    assert broker.sent == [(jobs.DELIVER_NOTIFICATION_BATCH, [[notification.pk, second.pk]])]
    notification.refresh_from_db()
    assert notification.email_enqueued_at == at(2026, 3, 8, 10)
    # Published rows are not published again while their task may still be in the queue.
    assert flush_outbox() == 0
    assert len(broker.sent) == 1


# --- services and selectors -----------------------------------------------------------------
def test_notify_keeps_one_row_per_dedupe_key(bootcamp):
    assert make(bootcamp.learner) is not None
    assert make(bootcamp.learner) is None
    assert Notification.objects.count() == 1


def test_notify_refuses_unknown_kinds(bootcamp):
    with pytest.raises(ValidationError) as error:
        make(bootcamp.learner, kind="gossip")
    assert "kind" in error.value.message_dict


def test_only_the_recipient_marks_a_notification_read(bootcamp, frozen):
    frozen(at(2026, 3, 8, 10))
    notification = make(bootcamp.learner)
    with pytest.raises(PermissionDenied):
        notification_mark_read(actor=bootcamp.mentor.user, notification=notification)
    with pytest.raises(PermissionDenied):
        notification_mark_read(actor=bootcamp.staff, notification=notification)
    notification_mark_read(actor=bootcamp.learner, notification=notification)
    notification.refresh_from_db()
    assert notification.read_at == at(2026, 3, 8, 10)


def test_each_user_lists_only_their_own_notifications(bootcamp):
    mine = make(bootcamp.learner, key="mine")
    make(bootcamp.mentor.user, key="theirs")
    assert list(notification_list(fetched_by=bootcamp.learner)) == [mine]
    assert list(notification_list(fetched_by=StaffFactory())) == []
    from django.contrib.auth.models import AnonymousUser

    assert list(notification_list(fetched_by=AnonymousUser())) == []


def test_preferences_default_to_the_cohort_time_zone(bootcamp):
    bootcamp.cohort.timezone = "America/Bogota"
    bootcamp.cohort.save(update_fields=["timezone"])
    assert preferences_for(bootcamp.learner).timezone == "America/Bogota"
    assert preferences_for(UserFactory()).timezone == "UTC"
    bootcamp.mentor.timezone = "Asia/Kolkata"
    bootcamp.mentor.save(update_fields=["timezone"])
    assert preferences_for(bootcamp.mentor.user).timezone == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "late", "quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"email_muted_kinds": ["spam"]}, "email_muted_kinds"),
        ({"calendar_token": "x"}, "calendar_token"),
    ],
)
def test_preferences_update_rejects_bad_input_and_writes_nothing(bootcamp, fields, field):
    with pytest.raises(ValidationError) as error:
        preferences_update(actor=bootcamp.learner, **fields)
    assert field in error.value.message_dict
    stored = UserPreferences.objects.filter(user=bootcamp.learner).first()
    assert stored is None or (stored.timezone, stored.quiet_hours_start) == ("UTC", None)


def test_preferences_update_sets_and_clears_quiet_hours(bootcamp):
    prefs = preferences_update(
        actor=bootcamp.learner, quiet_hours_start="21:30", quiet_hours_end="06:45"
    )
    assert (prefs.quiet_hours_start, prefs.quiet_hours_end) == (dt.time(21, 30), dt.time(6, 45))
    prefs = preferences_update(actor=bootcamp.learner, quiet_hours_start=None, quiet_hours_end=None)
    assert prefs.quiet_hours_start is None
    assert UserPreferences.objects.get(user=bootcamp.learner).quiet_hours_end is None


# --- other receivers and tasks --------------------------------------------------------------
def test_a_withdrawn_learner_frees_the_mentors_seat(
    bootcamp, frozen, django_capture_on_commit_callbacks
):
    from learners.services import enrollment_set_status

    frozen(at(2026, 3, 8, 10))
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_set_status(
            actor=bootcamp.staff, enrollment=bootcamp.enrollment, status="withdrawn"
        )
    bootcamp.pairing.refresh_from_db()
    assert bootcamp.pairing.ended_at == at(2026, 3, 8, 10)
    assert "withdrawn" in bootcamp.pairing.end_reason.lower()


def test_the_hourly_task_starts_and_ends_pauses(bootcamp, frozen):
    from tests.learners.factories import PauseFactory

    frozen(at(2026, 3, 8, 10))
    PauseFactory(
        enrollment=bootcamp.enrollment, start=dt.date(2026, 3, 9), end=dt.date(2026, 3, 10)
    )
    assert tasks.sync_pause_statuses.apply().get() == 0
    frozen(at(2026, 3, 9, 0, 5))
    assert tasks.sync_pause_statuses.apply().get() == 1
    bootcamp.enrollment.refresh_from_db()
    assert bootcamp.enrollment.status == "paused"
    frozen(at(2026, 3, 11, 0, 5))
    assert tasks.sync_pause_statuses.apply().get() == 1
    bootcamp.enrollment.refresh_from_db()
    assert bootcamp.enrollment.status == "active"
