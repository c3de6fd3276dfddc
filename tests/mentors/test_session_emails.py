"""Booking, moving and cancelling email both people once, each email carrying an iCalendar
invitation that calendar programs take as one event: the feed's UID, a SEQUENCE that grows,
METHOD:CANCEL for a cancellation. Unmarked sessions remind the mentor once; completed ones ask
the learner for a rating once. Opt-out and quiet hours apply."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.core import mail

from mentors import booking, services
from tests.mentors.operations import max_with_thursdays, utc
from tracker.calendar import calendar_for
from tracker.mentoring.reminders import session_followups_sweep
from tracker.models import Notification, UserPreferences
from tracker.notifications.delivery import deliver

THURSDAY = utc(2026, 3, 12, 9)
NEXT_THURSDAY = utc(2026, 3, 19, 9)


@pytest.fixture
def world_history() -> bool:
    return False


@pytest.fixture
def slots(world):
    max_with_thursdays(world)
    return world


def emailed(kind: str) -> list:
    """Deliver every pending notification of ``kind``; the emails sent, by recipient."""
    mail.outbox.clear()
    for notification in Notification.objects.filter(kind=kind, email_state="pending"):
        deliver(notification.pk)
    return list(mail.outbox)


def invitation(message) -> tuple[str, icalendar.Calendar]:
    parts = [
        part for part in message.message().walk() if part.get_content_type() == "text/calendar"
    ]
    assert len(parts) == 1
    part = parts[0]
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_payload(decode=True))


def event_of(calendar: icalendar.Calendar):
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def test_book_move_cancel_send_one_event_updated_in_place(
    slots, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        session = booking.session_book(
            actor=slots.learner, enrollment=slots.enrollment, starts_at=THURSDAY
        )
    booked = emailed("session_booked")
    assert sorted(m.to[0] for m in booked) == sorted([slots.learner.email, slots.mentor.user.email])
    uid = f"session-{session.pk}@stride"
    for message in booked:
        method, calendar = invitation(message)
        assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
        event = event_of(calendar)
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTART") == THURSDAY
        assert event.decoded("DTEND") == THURSDAY + dt.timedelta(minutes=45)
        assert str(event["LOCATION"]) == "https://meet.example.com/max"
        assert "https://meet.example.com/max" in message.body
    # The feed has the same event (UID), with the link.
    feed = icalendar.Calendar.from_ical(calendar_for(slots.learner))
    feed_event = next(e for e in feed.walk("VEVENT") if str(e["UID"]) == uid)
    assert str(feed_event["URL"]) == "https://meet.example.com/max"
    assert int(feed_event["SEQUENCE"]) == 0

    with django_capture_on_commit_callbacks(execute=True):
        booking.session_reschedule(actor=slots.learner, session=session, starts_at=NEXT_THURSDAY)
    moved = emailed("session_changed")
    assert len(moved) == 2
    for message in moved:
        method, calendar = invitation(message)
        event = event_of(calendar)
        assert method == "REQUEST"
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == NEXT_THURSDAY

    with django_capture_on_commit_callbacks(execute=True):
        booking.session_cancel(actor=slots.mentor.user, session=session, reason="Conference")
    cancelled = emailed("session_changed")
    assert len(cancelled) == 2
    for message in cancelled:
        method, calendar = invitation(message)
        event = event_of(calendar)
        assert method == "CANCEL" and calendar["METHOD"] == "CANCEL"
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2
        assert str(event["STATUS"]) == "CANCELLED"
    feed = icalendar.Calendar.from_ical(calendar_for(slots.mentor.user))
    feed_event = next(e for e in feed.walk("VEVENT") if str(e["UID"]) == uid)
    assert int(feed_event["SEQUENCE"]) == 2 and str(feed_event["STATUS"]) == "CANCELLED"
    # Each change once per person: replaying the signal sends nothing new.
    from tracker.mentoring.invitations import session_booking_notify

    assert session_booking_notify(session.pk, "cancelled", 2) == []
    assert session_booking_notify(session.pk, "rescheduled", 1) == []  # overtaken
    assert Notification.objects.filter(kind__in=["session_booked", "session_changed"]).count() == 6


def test_opt_out_and_quiet_hours_apply(slots, django_capture_on_commit_callbacks):
    UserPreferences.objects.create(user=slots.learner, email_reminders=False)
    UserPreferences.objects.create(
        user=slots.mentor.user,
        timezone="UTC",
        quiet_hours_start=dt.time(11),
        quiet_hours_end=dt.time(13),
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking.session_book(actor=slots.learner, enrollment=slots.enrollment, starts_at=THURSDAY)
    assert emailed("session_booked") == []
    states = dict(
        Notification.objects.filter(kind="session_booked").values_list("recipient", "email_state")
    )
    assert states[slots.learner.pk] == "skipped"
    mentor_row = Notification.objects.get(kind="session_booked", recipient=slots.mentor.user)
    assert mentor_row.email_state == "pending"
    assert mentor_row.email_after == utc(2026, 3, 10, 13)


def test_unmarked_session_reminds_the_mentor_once(slots, clock):
    session = booking.session_book(
        actor=slots.learner, enrollment=slots.enrollment, starts_at=THURSDAY
    )
    clock.move_to(THURSDAY + dt.timedelta(hours=24, minutes=30))
    assert session_followups_sweep() == {"session_unmarked": 0, "rate_session": 0}
    clock.move_to(THURSDAY + dt.timedelta(hours=24, minutes=46))
    assert session_followups_sweep() == {"session_unmarked": 1, "rate_session": 0}
    assert session_followups_sweep() == {"session_unmarked": 0, "rate_session": 0}
    reminder = Notification.objects.get(kind="session_unmarked")
    assert reminder.recipient == slots.mentor.user
    assert reminder.link == f"/sessions/{session.pk}/"
    assert [m.to for m in emailed("session_unmarked")] == [[slots.mentor.user.email]]


def test_completed_session_asks_the_learner_to_rate_once_and_rating_rules(slots, clock):
    session = booking.session_book(
        actor=slots.learner, enrollment=slots.enrollment, starts_at=THURSDAY
    )
    clock.move_to(THURSDAY + dt.timedelta(hours=1))
    with pytest.raises(booking.ValidationError):
        booking.session_rate(actor=slots.learner, session=session, score=5)  # not completed
    services.session_update(
        actor=slots.mentor.user, session=session, status="completed", notes="Good call"
    )
    assert session_followups_sweep()["rate_session"] == 1
    assert session_followups_sweep()["rate_session"] == 0
    assert Notification.objects.get(kind="rate_session").recipient == slots.learner
    mail.outbox.clear()
    assert [m.to for m in emailed("rate_session")] == [[slots.learner.email]]
    assert "/sessions/" in mail.outbox[0].body
    with pytest.raises(booking.PermissionDenied):
        booking.session_rate(actor=slots.mentor.user, session=session, score=5)
    with pytest.raises(booking.ValidationError) as excinfo:
        booking.session_rate(actor=slots.learner, session=session, score=6)
    assert "score" in excinfo.value.message_dict
    rating = booking.session_rate(actor=slots.learner, session=session, score=4, comment=" ok ")
    assert (rating.score, rating.comment) == (4, "ok")
    with pytest.raises(booking.ValidationError) as excinfo:
        booking.session_rate(actor=slots.learner, session=session, score=5)
    assert "already" in excinfo.value.message_dict["session"][0]


def test_rating_window_closes_after_seven_days(slots, clock):
    session = booking.session_book(
        actor=slots.learner, enrollment=slots.enrollment, starts_at=THURSDAY
    )
    clock.move_to(THURSDAY + dt.timedelta(hours=1))
    services.session_update(actor=slots.mentor.user, session=session, status="completed")
    clock.move_to(THURSDAY + dt.timedelta(days=7, hours=1))
    with pytest.raises(booking.ValidationError) as excinfo:
        booking.session_rate(actor=slots.learner, session=session, score=5)
    assert "7 days" in excinfo.value.message_dict["session"][0]
    assert session_followups_sweep()["rate_session"] == 0


def test_send_reminders_by_hand_runs_the_session_follow_ups_once(slots, clock):
    from io import StringIO

    from django.core.management import call_command

    booking.session_book(actor=slots.learner, enrollment=slots.enrollment, starts_at=THURSDAY)
    clock.move_to(THURSDAY + dt.timedelta(hours=25))
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "session_unmarked" in out.getvalue()
    again = StringIO()
    call_command("send_reminders", stdout=again)
    assert "session_unmarked" not in again.getvalue()
    assert Notification.objects.filter(kind="session_unmarked").count() == 1
