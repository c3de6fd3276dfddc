"""The private iCalendar feed: token only, own data only, RFC 5545 text."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from mentors.models import MentorSession
from tests.curriculum.factories import AssignmentFactory, CohortFactory, ProgramFactory
from tests.learners.factories import EnrollmentFactory, LearnerFactory, PauseFactory
from tests.mentors.factories import MentorFactory, MentorSessionFactory, PairingFactory
from tracker.calendar import calendar_path, calendar_token_rotate, escape_text, fold
from tracker.models import UserPreferences

START = dt.date(2026, 1, 5)
NOW = dt.datetime(2026, 2, 2, 12, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    program = ProgramFactory()
    homework = AssignmentFactory(
        program=program, module__program=program, title="Fit; evaluate, report", due_week=2
    )
    cohort = CohortFactory(program=program, start_date=START, name="Spring, 2026")
    learner = LearnerFactory(first_name="Ada", last_name="Lovelace")
    enrollment = EnrollmentFactory(cohort=cohort, learner=learner)
    mentor = MentorFactory(user__first_name="Grace", user__last_name="Hopper")
    pairing = PairingFactory(enrollment=enrollment, mentor=mentor)
    session = MentorSessionFactory(
        pairing=pairing, scheduled_at=dt.datetime(2026, 2, 3, 15, 30, tzinfo=dt.UTC)
    )
    other_enrollment = EnrollmentFactory(cohort=cohort, learner__first_name="Someone")
    other_session = MentorSessionFactory(
        pairing=PairingFactory(enrollment=other_enrollment),
        scheduled_at=dt.datetime(2026, 2, 4, 9, tzinfo=dt.UTC),
        status=MentorSession.Status.CANCELLED,
    )
    return {
        "homework": homework,
        "learner": learner,
        "enrollment": enrollment,
        "mentor": mentor,
        "session": session,
        "other_enrollment": other_enrollment,
        "other_session": other_session,
    }


def feed(client, user):
    preferences, _ = UserPreferences.objects.get_or_create(user=user)
    return client.get(calendar_path(preferences))


def unfold(body: str) -> str:
    return body.replace("\r\n ", "")


def test_learner_feed_has_due_dates_and_sessions_only_of_their_own(client, world):
    enrollment, homework = world["enrollment"], world["homework"]
    PauseFactory(enrollment=enrollment, start=START, end=START + dt.timedelta(days=2))
    response = feed(client, world["learner"])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    text = unfold(body)
    assert f"UID:assignment-{enrollment.pk}-{homework.pk}@stride" in text
    # Due two weeks after the start, three paused days later.
    assert "DTSTART;VALUE=DATE:20260122" in text
    assert "SUMMARY:Due: Fit\\; evaluate\\, report" in text
    assert f"UID:session-{world['session'].pk}@stride" in text
    assert "DTSTART:20260203T153000Z" in text
    assert "DTEND:20260203T160000Z" in text
    assert "Mentor session with Grace Hopper" in text
    assert f"session-{world['other_session'].pk}@" not in text
    assert f"assignment-{world['other_enrollment'].pk}-" not in text
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") == 2


def test_mentor_feed_has_their_sessions_and_no_due_dates(client, world):
    text = unfold(feed(client, world["mentor"].user).content.decode())
    assert f"UID:session-{world['session'].pk}@stride" in text
    assert "Mentoring session with Ada Lovelace" in text
    assert "assignment-" not in text
    assert f"session-{world['other_session'].pk}@" not in text


def test_uids_are_stable_between_fetches(client, world):
    first = feed(client, world["learner"]).content
    second = feed(client, world["learner"]).content
    assert first == second


def test_unknown_or_rotated_token_is_404(client, world):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    assert client.get("/calendar/x.ics").status_code == 404
    learner = world["learner"]
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


def test_only_get_and_no_login_needed(client, world):
    preferences, _ = UserPreferences.objects.get_or_create(user=world["learner"])
    assert client.post(calendar_path(preferences)).status_code == 405


def test_rotate_creates_preferences_and_refuses_anonymous(world):
    user = LearnerFactory()
    preferences = calendar_token_rotate(actor=user)
    assert preferences.user == user
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
