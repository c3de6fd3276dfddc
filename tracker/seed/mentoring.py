"""Demo data for mentor operations: every demo mentor gets a video link, a week of open slots
in their own zone and a day off; upcoming sessions carry the link; about three in four held
sessions of the last weeks are rated; the payout ledger is filled from the held sessions and
reviews, and last month is closed. Idempotent: a second run adds only what is missing."""

from __future__ import annotations

import datetime as dt
import random

from curriculum.kernel import clock
from mentors.models import (
    Availability,
    AvailabilityException,
    Mentor,
    MentorSession,
    PayoutEntry,
    PayoutMonth,
    Review,
    SessionRating,
)
from mentors.payouts import month_of

COMMENTS = [
    "Very helpful, we unblocked my data pipeline.",
    "Good call, clear next steps.",
    "",
    "We ran out of time, but useful.",
    "Great feedback on my model evaluation.",
]
SLOT_HOURS = (15, 16, 17, 18)


def seed_mentor_operations(*, mentors: list[Mentor]) -> None:
    now = clock.now()
    for mentor in mentors:
        if not mentor.meeting_url:
            mentor.meeting_url = f"https://meet.stride.example/{mentor.user.username}"
            mentor.save(update_fields=["meeting_url"])
        if not Availability.objects.filter(mentor=mentor).exists():
            Availability.objects.bulk_create(
                Availability(
                    mentor=mentor, weekday=weekday, start_time=dt.time(hour), duration_minutes=45
                )
                for weekday in range(5)
                for hour in SLOT_HOURS
            )
        if not AvailabilityException.objects.filter(mentor=mentor).exists():
            local_today = clock.today(mentor.timezone)
            AvailabilityException.objects.bulk_create(
                [
                    AvailabilityException(
                        mentor=mentor, date=local_today + dt.timedelta(days=9), kind="unavailable"
                    ),
                    AvailabilityException(
                        mentor=mentor,
                        date=local_today + dt.timedelta(days=5),
                        kind="extra",
                        start_time=dt.time(10),
                        duration_minutes=45,
                    ),
                ]
            )
        MentorSession.objects.filter(
            pairing__mentor=mentor, status="scheduled", scheduled_at__gt=now, meeting_url=""
        ).update(meeting_url=mentor.meeting_url)
    _ratings(mentors, now)
    _ledger(mentors, now)


def _ratings(mentors: list[Mentor], now: dt.datetime) -> None:
    held = MentorSession.objects.filter(
        pairing__mentor__in=mentors,
        status="completed",
        scheduled_at__gte=now - dt.timedelta(days=28),
        scheduled_at__lte=now,
        rating__isnull=True,
    ).values_list("pk", "scheduled_at", "duration_minutes")
    ratings = []
    for pk, scheduled_at, minutes in held:
        rng = random.Random(pk)
        if rng.random() < 0.25:
            continue
        ratings.append(
            SessionRating(
                session_id=pk,
                score=rng.choice((3, 4, 4, 5, 5, 5)),
                comment=rng.choice(COMMENTS),
                created_at=min(scheduled_at + dt.timedelta(minutes=minutes, hours=3), now),
            )
        )
    SessionRating.objects.bulk_create(ratings)


def _month_row(month: dt.date, months: dict[dt.date, PayoutMonth]) -> PayoutMonth:
    if month not in months:
        months[month], _ = PayoutMonth.objects.get_or_create(month=month)
    return months[month]


def _ledger(mentors: list[Mentor], now: dt.datetime) -> None:
    """Ledger lines for held sessions and mentor reviews that have none (the demo's history is
    bulk-written, past the services); closed months are left as they are."""
    months = {row.month: row for row in PayoutMonth.objects.all()}
    counted_sessions = set(
        PayoutEntry.objects.filter(session__isnull=False).values_list("session_id", flat=True)
    )
    counted_reviews = set(
        PayoutEntry.objects.filter(review__isnull=False).values_list("review_id", flat=True)
    )
    mentor_by_user = {mentor.user_id: mentor.pk for mentor in mentors}
    entries = []
    for pk, mentor_id, scheduled_at, minutes in MentorSession.objects.filter(
        pairing__mentor__in=mentors, status="completed", scheduled_at__lte=now
    ).values_list("pk", "pairing__mentor_id", "scheduled_at", "duration_minutes"):
        row = _month_row(month_of(scheduled_at), months)
        if pk in counted_sessions or row.closed_at is not None:
            continue
        entries.append(
            PayoutEntry(
                mentor_id=mentor_id,
                month=row,
                sessions=1,
                minutes=minutes,
                session_id=pk,
                note=f"Session {pk} held (demo history)",
                created_at=now,
            )
        )
    for pk, reviewer_id, created_at, submission_id in Review.objects.filter(
        reviewer_id__in=list(mentor_by_user)
    ).values_list("pk", "reviewer_id", "created_at", "submission_id"):
        row = _month_row(month_of(created_at), months)
        if pk in counted_reviews or row.closed_at is not None:
            continue
        entries.append(
            PayoutEntry(
                mentor_id=mentor_by_user[reviewer_id],
                month=row,
                reviews=1,
                review_id=pk,
                note=f"Review {pk} of submission {submission_id} (demo history)",
                created_at=now,
            )
        )
    PayoutEntry.objects.bulk_create(entries)
    last_month = (month_of(now) - dt.timedelta(days=1)).replace(day=1)
    row = _month_row(last_month, months)
    if row.closed_at is None:
        row.closed_at = now
        row.save(update_fields=["closed_at"])
