"""Mentor suggestions: free seats only, ranked by expertise, time-zone overlap and load."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.curriculum.factories import CohortFactory, ModuleFactory, ProgramFactory
from tests.learners.factories import EnrollmentFactory
from tests.mentors.factories import MentorFactory, PairingFactory
from tracker.suggestions import hours_apart, mentor_suggestions, tag_matches

START = dt.date(2026, 1, 5)
NOW = dt.datetime.combine(START + dt.timedelta(weeks=5, days=2), dt.time(12), tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock(clock):
    clock.move_to(NOW)


@pytest.fixture
def enrollment():
    program = ProgramFactory()
    ModuleFactory(program=program, order=1, title="Probability and statistics", end_week=4)
    ModuleFactory(
        program=program,
        order=2,
        title="Deep learning and neural networks",
        start_week=5,
        end_week=8,
    )
    ModuleFactory(
        program=program, order=3, title="NLP and information retrieval", start_week=9, end_week=12
    )
    cohort = CohortFactory(program=program, start_date=START, timezone="Europe/Berlin")
    return EnrollmentFactory(cohort=cohort)


def fill(mentor, seats):
    for _ in range(seats):
        PairingFactory(mentor=mentor)


def test_tag_matching_and_time_zone_distance():
    assert tag_matches("NLP", "NLP and information retrieval")
    assert tag_matches("neural networks", "Deep learning and neural networks")
    assert not tag_matches("mlops", "Big data and production ML systems")
    assert not tag_matches("  ", "Anything")
    at = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    assert hours_apart("Europe/Berlin", "Europe/Paris", at) == 0
    assert hours_apart("America/New_York", "Europe/Berlin", at) == 6
    # Around the clock: UTC+13 and UTC-10 are 1 hour apart, not 23.
    assert hours_apart("Pacific/Auckland", "Pacific/Honolulu", at) == 1


def test_ranked_by_expertise_time_zone_and_load(enrollment):
    expert = MentorFactory(
        expertise=["deep learning", "statistics"], timezone="Europe/Paris", capacity=4
    )
    fill(expert, 2)
    generalist = MentorFactory(expertise=["python"], timezone="Europe/Berlin", capacity=4)
    far_expert = MentorFactory(expertise=["deep learning"], timezone="America/Los_Angeles")
    full = MentorFactory(expertise=["deep learning", "nlp"], timezone="Europe/Berlin", capacity=1)
    fill(full, 1)
    MentorFactory(expertise=["deep learning"], is_active=False)

    suggestions = mentor_suggestions(enrollment=enrollment)
    assert [s["mentor"] for s in suggestions] == [expert.pk, far_expert.pk, generalist.pk]
    top = suggestions[0]
    assert top["free_seats"] == 2
    assert top["active_learners"] == 2
    assert top["capacity"] == 4
    assert top["name"] == expert.user.get_full_name()
    # 20 (current module) + 20 (two modules) + 30 (same offset) + 10 (half the seats free)
    assert top["score"] == 80.0
    assert any("current module" in reason for reason in top["reasons"])
    assert "2 of 4 seats free" in top["reasons"]
    assert any("9 h" in reason for reason in suggestions[1]["reasons"])


def test_the_current_mentor_and_ended_pairings(enrollment):
    current = MentorFactory(capacity=3)
    PairingFactory(mentor=current, enrollment=enrollment)
    former = MentorFactory(capacity=1)
    PairingFactory(mentor=former, ended_at=NOW - dt.timedelta(days=3))
    ids = [s["mentor"] for s in mentor_suggestions(enrollment=enrollment)]
    assert current.pk not in ids
    assert former.pk in ids  # an ended pairing frees the seat


def test_constant_queries(enrollment):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            mentor_suggestions(enrollment=enrollment)
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]

    MentorFactory()
    small, _ = count()
    for _ in range(8):
        fill(MentorFactory(capacity=5), 2)
    big, sql = count()
    assert small == big == 4, "\n".join(sql)
