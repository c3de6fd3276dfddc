"""Booking, rescheduling and cancelling: only with the current mentor, only open slots, never a
double-booked mentor whatever the path, the notice period, late cancellations counted toward
the missed-session streak, and re-pairing cancelling the old mentor's future sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from mentors import booking, services
from mentors.models import MentorSession
from tests.mentors.operations import max_with_thursdays, utc
from tracker.models import Notification

THURSDAY = utc(2026, 3, 12, 9)  # 10:00 in Madrid
THURSDAY_LATER = utc(2026, 3, 12, 10)
NEXT_THURSDAY = utc(2026, 3, 19, 9)


@pytest.fixture
def world_history() -> bool:
    return False


@pytest.fixture
def slots(world):
    max_with_thursdays(world)
    return world


def book(world, when=THURSDAY, actor=None, enrollment=None):
    return booking.session_book(
        actor=actor or world.learner, enrollment=enrollment or world.enrollment, starts_at=when
    )


def test_learner_books_an_open_slot_with_the_mentors_link(slots):
    session = book(slots)
    assert session.status == "scheduled"
    assert session.scheduled_at == THURSDAY
    assert session.duration_minutes == 45
    assert session.meeting_url == "https://meet.example.com/max"
    assert session.pairing == slots.pairing
    assert session.sequence == 0


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (utc(2026, 3, 12, 9, 15), "no open slot"),
        (utc(2026, 3, 9, 9), "future"),
        (utc(2026, 3, 26, 9), "14 days"),
    ],
)
def test_times_that_are_not_open_slots_are_refused_on_starts_at(slots, when, message):
    with pytest.raises(ValidationError) as excinfo:
        book(slots, when)
    assert message in excinfo.value.message_dict["starts_at"][0]
    assert not MentorSession.objects.exists()


def test_weekly_limit_and_horizon_are_settings(slots):
    book(slots)
    with pytest.raises(ValidationError) as excinfo:
        book(slots, THURSDAY_LATER)
    assert "per week" in excinfo.value.message_dict["starts_at"][0]
    with override_settings(STRIDE_BOOKING_WEEKLY_LIMIT=2):
        book(slots, THURSDAY_LATER)
    with override_settings(STRIDE_BOOKING_HORIZON_DAYS=3), pytest.raises(ValidationError):
        book(slots, NEXT_THURSDAY)


def test_only_the_learner_their_mentor_or_staff_book(slots):
    for actor in (slots.other_learner, slots.other_mentor.user, slots.outsider):
        with pytest.raises(PermissionDenied):
            book(slots, actor=actor)
    session = book(slots, actor=slots.staff)
    assert session.enrollment == slots.enrollment


def test_a_taken_slot_is_refused_to_a_second_learner_of_the_mentor(slots):
    from tests.learners.factories import EnrollmentFactory
    from tests.mentors.factories import PairingFactory

    second = EnrollmentFactory(cohort=slots.cohort)
    PairingFactory(enrollment=second, mentor=slots.mentor)
    book(slots)
    with pytest.raises(ValidationError) as excinfo:
        book(slots, actor=second.learner, enrollment=second)
    assert excinfo.value.message_dict == {
        "starts_at": ["That slot has just been taken; pick another one."]
    }


def test_staff_and_mentor_created_sessions_never_overlap(slots):
    book(slots)
    for actor in (slots.staff, slots.mentor.user):
        with pytest.raises(ValidationError) as excinfo:
            services.session_create(
                actor=actor,
                enrollment=slots.enrollment,
                scheduled_at=THURSDAY + dt.timedelta(minutes=30),
                duration_minutes=30,
            )
        assert excinfo.value.message_dict == {
            "scheduled_at": ["The mentor already has a session at that time."]
        }
    # Back to back is fine.
    services.session_create(
        actor=slots.staff,
        enrollment=slots.enrollment,
        scheduled_at=THURSDAY + dt.timedelta(minutes=45),
        duration_minutes=15,
    )


def test_patching_a_session_onto_another_is_refused(slots):
    first = book(slots)
    second = services.session_create(
        actor=slots.staff, enrollment=slots.enrollment, scheduled_at=utc(2026, 3, 13, 9)
    )
    with pytest.raises(ValidationError) as excinfo:
        services.session_update(actor=slots.staff, session=second, scheduled_at=first.scheduled_at)
    assert "scheduled_at" in excinfo.value.message_dict


def test_reschedule_moves_to_another_open_slot_and_raises_the_sequence(slots):
    session = book(slots)
    moved = booking.session_reschedule(
        actor=slots.learner, session=session, starts_at=NEXT_THURSDAY
    )
    assert moved.scheduled_at == NEXT_THURSDAY
    assert moved.sequence == 1
    # The old slot is open again, and moving within the same week is allowed by the limit.
    again = booking.session_reschedule(
        actor=slots.mentor.user, session=moved, starts_at=utc(2026, 3, 19, 10)
    )
    assert again.sequence == 2
    with pytest.raises(PermissionDenied):
        booking.session_reschedule(actor=slots.other_learner, session=again, starts_at=THURSDAY)


def test_no_reschedule_inside_the_notice(slots, clock):
    session = book(slots)
    clock.move_to(THURSDAY - dt.timedelta(hours=11))
    with pytest.raises(ValidationError) as excinfo:
        booking.session_reschedule(actor=slots.learner, session=session, starts_at=NEXT_THURSDAY)
    assert "12 hours" in excinfo.value.message_dict["starts_at"][0]
    session.refresh_from_db()
    assert session.scheduled_at == THURSDAY and session.sequence == 0


def test_cancel_before_the_notice_is_plain(slots):
    session = book(slots)
    cancelled = booking.session_cancel(actor=slots.learner, session=session, reason="")
    assert (cancelled.status, cancelled.cancelled_late, cancelled.sequence) == (
        "cancelled",
        False,
        1,
    )
    with pytest.raises(ValidationError):
        booking.session_cancel(actor=slots.learner, session=cancelled, reason="again")


def test_late_cancel_needs_a_reason_and_counts_toward_the_missed_streak(
    slots, clock, django_capture_on_commit_callbacks
):
    earlier = services.session_create(
        actor=slots.mentor.user,
        enrollment=slots.enrollment,
        scheduled_at=utc(2026, 3, 5, 9),
        status="missed",
    )
    assert earlier.status == "missed"
    session = book(slots)
    clock.move_to(THURSDAY - dt.timedelta(hours=2))
    with pytest.raises(ValidationError) as excinfo:
        booking.session_cancel(actor=slots.learner, session=session, reason=" ")
    assert "reason" in excinfo.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = booking.session_cancel(actor=slots.learner, session=session, reason="Sick")
    assert cancelled.cancelled_late is True
    assert cancelled.cancel_reason == "Sick"
    alerts = Notification.objects.filter(kind="missed_sessions", recipient=slots.staff)
    assert alerts.count() == 1


def test_re_pairing_cancels_future_sessions_and_tells_both(
    slots, django_capture_on_commit_callbacks
):
    session = book(slots)
    with django_capture_on_commit_callbacks(execute=True):
        services.pairing_assign(
            actor=slots.staff, enrollment=slots.enrollment, mentor=slots.spare_mentor
        )
    session.refresh_from_db()
    assert session.status == "cancelled" and not session.cancelled_late
    assert "new mentor" in session.cancel_reason
    told = Notification.objects.filter(kind="session_changed").values_list("recipient", flat=True)
    assert sorted(told) == sorted([slots.learner.pk, slots.mentor.user.pk])


def test_the_admin_refuses_to_double_book_a_mentor(slots, admin_client):
    from django.urls import reverse

    session = book(slots)
    response = admin_client.post(
        reverse("admin:mentors_mentorsession_add"),
        {
            "enrollment": slots.enrollment.pk,
            "pairing": slots.pairing.pk,
            "scheduled_at_0": "2026-03-12",
            "scheduled_at_1": "09:15:00",
            "duration_minutes": 30,
            "status": "scheduled",
            "notes": "",
            "meeting_url": "",
            "cancel_reason": "",
            "sequence": 0,
        },
    )
    assert response.status_code == 200
    assert "The mentor already has a session at that time." in response.content.decode()
    assert MentorSession.objects.filter(pairing=slots.pairing).count() == 1
    assert session.pk
