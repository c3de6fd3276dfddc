"""The mentor-operations pages: a learner books, moves, cancels and rates on the sessions page
(times in their own zone, errors in place); a mentor keeps their week; staff see metrics and
payouts, whose figures equal the CSV."""

from __future__ import annotations

import csv
import io
import re

from django.test import Client

from mentors.models import Availability, AvailabilityException, MentorSession, SessionRating
from tests.mentors.operations import utc
from tracker.models import UserPreferences


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_learner_books_in_their_own_zone_and_errors_stay_in_place(world):
    UserPreferences.objects.create(user=world.learner, timezone="Asia/Kolkata")
    client = signed_in(world.learner)
    page = client.get("/sessions/")
    assert page.status_code == 200
    text = page.content.decode()
    # Friday 20 March 09:00 UTC is 14:30 in Kolkata.
    assert "Fri 20 Mar 2026, 14:30" in text
    assert "https://meet.example.com/max" in text
    refused = client.post("/sessions/book/", {"starts_at": "2026-03-20T09:10:00+00:00"})
    assert refused.status_code == 400
    assert 'role="alert"' in refused.content.decode()
    booked = client.post("/sessions/book/", {"starts_at": "2026-03-20T09:00:00+00:00"})
    assert booked.status_code == 302
    assert MentorSession.objects.filter(scheduled_at=utc(2026, 3, 20, 9)).exists()


def test_learner_moves_cancels_and_rates(world, clock):
    client = signed_in(world.learner)
    session = world.booked_session
    moved = client.post(
        f"/sessions/{session.pk}/reschedule/",
        {f"m{session.pk}-starts_at": "2026-03-20T09:00:00+00:00"},
    )
    assert moved.status_code == 302
    session.refresh_from_db()
    assert session.scheduled_at == utc(2026, 3, 20, 9) and session.sequence == 1
    clock.move_to(utc(2026, 3, 20, 1))
    late = client.post(f"/sessions/{session.pk}/cancel/", {f"c{session.pk}-reason": ""})
    assert late.status_code == 400 and "Say why" in late.content.decode()
    clock.move_to(utc(2026, 3, 20, 10))
    signed_in(world.mentor.user).post(
        f"/mentor/sessions/{session.pk}/",
        {f"s{session.pk}-status": "completed", f"s{session.pk}-notes": "ok"},
    )
    session.refresh_from_db()
    assert session.status == "completed"
    assert f'id="rate-{session.pk}"' in client.get("/sessions/").content.decode()
    rated = client.post(f"/sessions/{session.pk}/rate/", {f"r{session.pk}-score": "5"})
    assert rated.status_code == 302
    assert SessionRating.objects.get(session=session).score == 5


def test_mentor_keeps_their_week(world):
    client = signed_in(world.mentor.user)
    assert client.get("/mentor/availability/").status_code == 200
    added = client.post(
        "/mentor/availability/add/",
        {"weekday": "1", "start_time": "17:00", "duration_minutes": "30"},
    )
    assert added.status_code == 302
    dup = client.post(
        "/mentor/availability/add/",
        {"weekday": "1", "start_time": "17:00", "duration_minutes": "30"},
    )
    assert dup.status_code == 400 and "already has a slot" in dup.content.decode()
    extra = client.post("/mentor/availability/exceptions/", {"date": "2026-03-18", "kind": "extra"})
    assert extra.status_code == 400 and "needs a start time" in extra.content.decode()
    link = client.post("/mentor/meeting-link/", {"meeting_url": "ftp://x"})
    assert link.status_code == 400
    assert Availability.objects.filter(mentor=world.mentor).count() == 2
    assert AvailabilityException.objects.filter(mentor=world.mentor).count() == 1
    assert signed_in(world.learner).get("/mentor/availability/").status_code == 403


def test_staff_pages_metrics_and_payouts_equal_the_csv(world, clock):
    staff = signed_in(world.staff)
    metrics = staff.get("/staff/mentors/?sort=-sessions_booked")
    assert metrics.status_code == 200 and "Max Mentor" in metrics.content.decode()
    clock.move_to(utc(2026, 3, 13, 10))
    signed_in(world.mentor.user).post(
        f"/mentor/sessions/{world.booked_session.pk}/",
        {f"s{world.booked_session.pk}-status": "completed"},
    )
    page = staff.get("/staff/payouts/?month=2026-03").content.decode()
    cells = r"<td>(\d+)</td>" * 3
    row = re.search(
        rf'<tr id="payout-{world.mentor.pk}"><th scope="row">Max Mentor</th>{cells}', page
    )
    assert row is not None
    text = staff.get("/staff/payouts.csv?month=2026-03").content.decode()
    line = next(
        r for r in csv.DictReader(io.StringIO(text)) if r["mentor_id"] == str(world.mentor.pk)
    )
    assert (line["sessions_held"], line["minutes_held"], line["reviews_completed"]) == row.groups()
    assert row.groups() == ("1", "45", "0")
    closed = staff.post("/staff/payouts/close/", {"month": "2026-02"})
    assert closed.status_code == 302
    early = staff.post("/staff/payouts/close/", {"month": "2026-03"})
    assert early.status_code == 400 and "has ended" in early.content.decode()
    assert signed_in(world.mentor.user).get("/staff/payouts/").status_code == 403


def test_metrics_page_flags_a_mentor_whose_learner_went_a_week_without_a_call(world):
    # Lena has been paired with Max for weeks and has no held session in the last 7 days.
    world.pairing.started_at = utc(2026, 2, 10)
    world.pairing.save(update_fields=["started_at"])
    page = signed_in(world.staff).get("/staff/mentors/").content.decode()
    row = page[page.index(f'id="mentor-{world.mentor.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "without a held session for a week" in row
    assert signed_in(world.mentor.user).get("/staff/mentors/").status_code == 403


def test_a_held_session_this_week_clears_the_flag(world, clock):
    world.pairing.started_at = utc(2026, 2, 10)
    world.pairing.save(update_fields=["started_at"])
    from mentors.services import session_update

    session_update(actor=world.mentor.user, session=world.session, status="completed")
    page = signed_in(world.staff).get("/staff/mentors/").content.decode()
    row = page[page.index(f'id="mentor-{world.mentor.pk}"') :]
    assert "without a held session" not in row[: row.index("</tr>")]
