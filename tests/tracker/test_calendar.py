"""The private iCalendar feed: token only, own data only, RFC 5545 text."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from mentors.models import MentorSession
from tests.learners.factories import PauseFactory
from tests.mentors.factories import MentorSessionFactory
from tracker.calendar import calendar_path, escape_text, fold
from tracker.models import UserPreferences
from tracker.notifications import calendar_token_rotate, preferences_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def feeds(world):
    """Lena's and Max's feeds, from the world: the exercise renamed so its title needs
    escaping, Lena paused for the cohort's first three days, and Otto's session cancelled."""
    homework = world.exercise
    homework.title = "Fit; evaluate, report"
    homework.save()
    PauseFactory(
        enrollment=world.enrollment,
        start=world.cohort.start_date,
        end=world.cohort.start_date + dt.timedelta(days=2),
    )
    other_session = MentorSessionFactory(
        pairing=world.other_pairing,
        scheduled_at=timezone.now() + dt.timedelta(days=1),
        status=MentorSession.Status.CANCELLED,
    )
    return {
        "homework": homework,
        "learner": world.learner,
        "enrollment": world.enrollment,
        "mentor": world.mentor,
        "session": world.session,
        "booked_session": world.booked_session,
        "other_enrollment": world.other_enrollment,
        "other_session": other_session,
        "assignments": world.program.assignments.count(),
    }


def feed(client, user):
    preferences, _ = UserPreferences.objects.get_or_create(user=user)
    return client.get(calendar_path(preferences))


def unfold(body: str) -> str:
    return body.replace("\r\n ", "")


def test_learner_feed_has_due_dates_and_sessions_only_of_their_own(client, feeds):
    enrollment, homework = feeds["enrollment"], feeds["homework"]
    response = feed(client, feeds["learner"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    text = unfold(body)
    assert f"UID:assignment-{enrollment.pk}-{homework.pk}@stride" in text
    # Due two weeks after the start (2026-02-10), three paused days later.
    assert "DTSTART;VALUE=DATE:20260227" in text
    assert "SUMMARY:Due: Fit\\; evaluate\\, report" in text
    assert f"UID:session-{feeds['session'].pk}@stride" in text
    # Two hours before the world's noon, thirty minutes long.
    assert "DTSTART:20260310T100000Z" in text
    assert "DTEND:20260310T103000Z" in text
    assert "Mentor session with Max Mentor" in text
    assert f"session-{feeds['other_session'].pk}@" not in text
    assert f"assignment-{feeds['other_enrollment'].pk}-" not in text
    # One due date per assignment of the program, and the two sessions (the unmarked one and
    # the booked Friday call, with Max's link and its SEQUENCE).
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") == feeds["assignments"] + 2
    assert f"UID:session-{feeds['booked_session'].pk}@stride\r\nSEQUENCE:0" in text
    assert "LOCATION:https://meet.example.com/max" in text


def test_mentor_feed_has_their_sessions_and_no_due_dates(client, feeds):
    text = unfold(feed(client, feeds["mentor"].user).content.decode())
    assert f"UID:session-{feeds['session'].pk}@stride" in text
    assert "Mentoring session with Lena Learner" in text
    assert "assignment-" not in text
    assert f"session-{feeds['other_session'].pk}@" not in text


def test_uids_are_stable_between_fetches(client, feeds):
    first = feed(client, feeds["learner"]).content
    second = feed(client, feeds["learner"]).content
    assert first == second


def test_unknown_or_rotated_token_is_404(client, feeds):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    assert client.get("/calendar/x.ics").status_code == 404
    learner = feeds["learner"]
    preferences, _ = UserPreferences.objects.get_or_create(user=learner)
    old_path = calendar_path(preferences)
    assert client.get(old_path).status_code == 200
    rotated = calendar_token_rotate(actor=learner)
    assert rotated.calendar_token != preferences.calendar_token
    assert client.get(old_path).status_code == 404
    assert client.get(calendar_path(rotated)).status_code == 200
    # A token differing only in case is not accepted.
    swapped = rotated.calendar_token.swapcase()
    assert client.get(f"/calendar/{swapped}.ics").status_code == 404
    learner.is_active = False
    learner.save()
    assert client.get(calendar_path(rotated)).status_code == 404


def test_only_get_and_no_login_needed(client, feeds):
    preferences, _ = UserPreferences.objects.get_or_create(user=feeds["learner"])
    assert client.post(calendar_path(preferences)).status_code == 405


def test_rotate_creates_preferences_and_refuses_anonymous(world):
    user = world.learner
    assert calendar_path(preferences_for(user)) is None  # no feed until one is created
    preferences = calendar_token_rotate(actor=user)
    assert preferences.user == user
    # Created with the zone the learner's reminders follow, not UTC.
    assert preferences.timezone == world.cohort.timezone
    assert len(preferences.calendar_token) >= 40
    with pytest.raises(PermissionDenied):
        calendar_token_rotate(actor=AnonymousUser())


def test_text_escaping_and_folding():
    assert escape_text("a\\b;c,d\r\ne\x07") == "a\\\\b\\;c\\,d\\ne"
    line = "SUMMARY:" + "é" * 80
    folded = fold(line)
    parts = folded.split("\r\n ")
    assert "".join(parts) == line
    assert all(len(part.encode()) <= 75 for part in parts[:1])
    assert all(len(part.encode()) <= 74 for part in parts[1:])
    assert fold("SHORT:line") == "SHORT:line"
