"""Mentor operations through the API: a month of weekly calls from availability to payout.
Slots in UTC, booking and its 400s, rating once, metrics (constant queries, rating average
hidden below five ratings), payouts equal to their CSV, closing a month, late edits landing in
the open month."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from mentors import services
from mentors.models import MentorSession, PayoutEntry, SessionRating
from tests.api.conftest import client_for
from tests.learners.factories import EnrollmentFactory, SubmissionFactory
from tests.mentors.factories import MentorSessionFactory, PairingFactory
from tests.mentors.operations import utc

FRIDAY_20 = "2026-03-20T09:00:00Z"


def test_a_learner_sees_open_slots_in_utc_and_books_one(world):
    client = client_for(world.learner)
    response = client.get(
        f"/api/v1/mentors/{world.mentor.pk}/open-slots/?from=2026-03-10&to=2026-03-24"
    )
    assert response.status_code == 200
    # Fridays 10:00 in Madrid; the 13th is booked already (by Lena: and it is her week too).
    assert response.json() == [
        {"starts_at": "2026-03-20T09:00:00Z", "ends_at": "2026-03-20T09:45:00Z"},
    ]
    response = client.post(
        "/api/v1/sessions/book/",
        {"enrollment": world.enrollment.pk, "starts_at": FRIDAY_20},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "scheduled"
    assert body["meeting_url"] == "https://meet.example.com/max"
    assert body["cancelled_late"] is False and body["cancel_reason"] == ""
    again = client.post(
        "/api/v1/sessions/book/",
        {"enrollment": world.enrollment.pk, "starts_at": FRIDAY_20},
        format="json",
    )
    assert again.status_code == 400
    assert list(again.json()) == ["starts_at"]


@pytest.mark.parametrize(
    "body",
    [
        {"starts_at": "2026-03-20T09:10:00Z"},
        {"starts_at": "soon"},
        {"starts_at": "2026-04-03T08:00:00Z"},
    ],
)
def test_bad_bookings_are_400_on_starts_at_and_write_nothing(world, body):
    before = MentorSession.objects.count()
    response = client_for(world.learner).post(
        "/api/v1/sessions/book/", {"enrollment": world.enrollment.pk, **body}, format="json"
    )
    assert response.status_code == 400
    assert "starts_at" in response.json()
    assert MentorSession.objects.count() == before


def test_bad_query_dates_are_400(world):
    response = client_for(world.learner).get(
        f"/api/v1/mentors/{world.mentor.pk}/open-slots/?from=2026-03-20&to=2026-03-10"
    )
    assert response.status_code == 400 and "to" in response.json()
    response = client_for(world.learner).get(
        f"/api/v1/mentors/{world.mentor.pk}/open-slots/?from=tomorrow"
    )
    assert response.status_code == 400 and "from" in response.json()


def test_reschedule_cancel_and_rate_through_the_api(world, clock):
    client = client_for(world.learner)
    session = world.booked_session
    moved = client.post(
        f"/api/v1/sessions/{session.pk}/reschedule/", {"starts_at": FRIDAY_20}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["scheduled_at"] == FRIDAY_20
    assert moved.json()["sequence"] == 1
    clock.move_to(utc(2026, 3, 20, 10))
    mentor = client_for(world.mentor.user)
    marked = mentor.patch(
        f"/api/v1/sessions/{session.pk}/",
        {"status": "completed", "notes": "Went well"},
        format="json",
    )
    assert marked.status_code == 200
    rating = client.post(
        f"/api/v1/sessions/{session.pk}/rating/", {"score": 5, "comment": "Great"}, format="json"
    )
    assert rating.status_code == 201, rating.json()
    assert rating.json()["score"] == 5
    twice = client.post(f"/api/v1/sessions/{session.pk}/rating/", {"score": 4}, format="json")
    assert twice.status_code == 400
    bad = client.post(f"/api/v1/sessions/{world.session.pk}/rating/", {"score": 9}, format="json")
    assert bad.status_code == 400 and "score" in bad.json()
    assert SessionRating.objects.count() == 1


def test_cancel_inside_the_notice_needs_a_reason(world, clock):
    clock.move_to(utc(2026, 3, 13, 1))
    client = client_for(world.learner)
    path = f"/api/v1/sessions/{world.booked_session.pk}/cancel/"
    refused = client.post(path, {"reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    done = client.post(path, {"reason": "Flu"}, format="json")
    assert done.status_code == 200
    assert done.json()["cancelled_late"] is True and done.json()["cancel_reason"] == "Flu"


def _held_sessions(world, count: int, *, rated: bool = True):
    """``count`` extra learners of Max, each with a completed (and rated) session last week."""
    for index in range(count):
        enrollment = EnrollmentFactory(cohort=world.cohort)
        pairing = PairingFactory(enrollment=enrollment, mentor=world.mentor)
        session = MentorSessionFactory(
            pairing=pairing,
            scheduled_at=utc(2026, 3, 5, 8) + dt.timedelta(hours=index),
            status="completed",
        )
        if rated:
            SessionRating.objects.create(
                session=session, score=4 if index % 2 else 5, created_at=utc(2026, 3, 6)
            )
        SubmissionFactory(enrollment=enrollment)


def metrics(world, user=None):
    return client_for(user or world.staff).get(
        f"/api/v1/mentors/{world.mentor.pk}/metrics/?from=2026-03-01&to=2026-03-10"
    )


def test_metrics_hide_the_rating_average_below_five_ratings(world):
    _held_sessions(world, 4)
    response = metrics(world, world.mentor.user)
    assert response.status_code == 200
    body = response.json()
    assert body["sessions_held"] == 4 and body["rating_count"] == 4
    assert body["rating_average"] is None
    _held_sessions(world, 1)
    body = metrics(world, world.mentor.user).json()
    assert body["rating_count"] == 5 and body["rating_average"] == 4.6
    assert body["sessions_booked"] == 6  # five held and Lena's unmarked one
    assert body["reviews"] == 1 and body["changes_requested_share"] == 0.0
    assert body["review_turnaround_median_hours"] == body["review_turnaround_p90_hours"] == 48.0
    assert sum(body["pace_mix"].values()) == 6
    assert body["learners_with_session_by_week"][-1] == round(5 / 6, 2)
    assert metrics(world, world.other_mentor.user).status_code == 404


def test_metrics_take_a_constant_number_of_queries(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for extra in (1, 6):
        _held_sessions(world, extra)
        metrics(world)  # progress rows of the new learners computed once
        with CaptureQueriesContext(connection) as queries:
            assert metrics(world).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(counts[0]):
        metrics(world)


def test_payouts_page_equals_the_csv_and_a_closed_month_never_changes(world, clock):
    # February: one held session of 45 minutes and one review by Max.
    with clock.at(utc(2026, 2, 20, 12)):
        session = services.session_create(
            actor=world.staff,
            enrollment=world.enrollment,
            scheduled_at=utc(2026, 2, 20, 9),
            duration_minutes=45,
            status="completed",
        )
    staff = client_for(world.staff)
    rows = staff.get("/api/v1/payouts/?month=2026-02").json()
    max_row = next(row for row in rows if row["mentor"] == world.mentor.pk)
    assert (max_row["sessions_held"], max_row["minutes_held"], max_row["closed"]) == (
        1,
        45,
        False,
    )
    text = staff.get("/api/v1/payouts.csv?month=2026-02").content.decode()
    table = list(csv.DictReader(io.StringIO(text)))
    assert [
        (
            int(r["mentor_id"]),
            int(r["sessions_held"]),
            int(r["minutes_held"]),
            int(r["reviews_completed"]),
        )
        for r in table
    ] == [
        (r["mentor"], r["sessions_held"], r["minutes_held"], r["reviews_completed"]) for r in rows
    ]
    refused = staff.post("/api/v1/payouts/close/", {"month": "2026-03"}, format="json")
    assert refused.status_code == 400 and "month" in refused.json()
    assert (
        staff.post("/api/v1/payouts/close/", {"month": "26-02"}, format="json").status_code == 400
    )
    closed = staff.post("/api/v1/payouts/close/", {"month": "2026-02"}, format="json")
    assert closed.status_code == 200
    assert (
        staff.post("/api/v1/payouts/close/", {"month": "2026-02"}, format="json").status_code == 400
    )

    # A late correction: the February session was missed after all. February stays; March
    # takes the -1 with an audit note.
    services.session_update(actor=world.staff, session=session, status="missed")
    february = staff.get("/api/v1/payouts/?month=2026-02").json()
    assert next(r for r in february if r["mentor"] == world.mentor.pk) == {
        **max_row,
        "closed": True,
    }
    march = staff.get("/api/v1/payouts/?month=2026-03").json()
    march_max = next(r for r in march if r["mentor"] == world.mentor.pk)
    assert (march_max["sessions_held"], march_max["minutes_held"]) == (-1, -45)
    late = PayoutEntry.objects.get(session=session, sessions=-1)
    assert late.belongs_to == dt.date(2026, 2, 1) and "closed 2026-02" in late.note
    assert late.actor == world.staff


def test_payout_csv_neutralises_formula_cells(world):
    user = world.mentor.user
    user.first_name = "=HYPERLINK(1)"
    user.save()
    text = client_for(world.staff).get("/api/v1/payouts.csv?month=2026-03").content.decode()
    assert "'=HYPERLINK(1)" in text


def test_reviews_count_in_the_payout_month(world):
    submission = world.submission
    services.review_create(
        actor=world.mentor.user, submission=submission, verdict="approved", feedback="Good"
    )
    rows = client_for(world.staff).get("/api/v1/payouts/?month=2026-03").json()
    assert next(r for r in rows if r["mentor"] == world.mentor.pk)["reviews_completed"] == 1


def test_lists_payouts_and_open_slots_take_the_same_queries_at_two_sizes(world):
    """Availability lists, payouts and open slots: the same number of queries for a few rows
    and for many."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mentors.models import Availability, AvailabilityException
    from tests.mentors.factories import MentorFactory

    staff = client_for(world.staff)
    paths = [
        "/api/v1/availability/",
        "/api/v1/availability-exceptions/",
        "/api/v1/payouts/?month=2026-03",
        f"/api/v1/mentors/{world.mentor.pk}/open-slots/",
    ]

    def counts():
        result = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert staff.get(path).status_code == 200, path
            result.append(len(queries))
        return result

    counts()  # per-user caches (role, preferences) warmed up
    small = counts()
    for index in range(8):
        mentor = MentorFactory()
        Availability.objects.create(mentor=mentor, weekday=index % 7, start_time=dt.time(9))
        AvailabilityException.objects.create(
            mentor=mentor, date=dt.date(2026, 4, 1 + index), kind="unavailable"
        )
        Availability.objects.create(
            mentor=world.mentor, weekday=index % 5, start_time=dt.time(12 + index, 30)
        )
    _held_sessions(world, 3, rated=False)
    assert counts() == small
