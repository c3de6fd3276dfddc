"""``seed_demo`` gives every demo mentor a week of slots and a link, upcoming sessions with the
link, ratings, ledger lines and a closed month; a second run adds nothing."""

from __future__ import annotations

import pytest

from mentors.models import (
    Availability,
    Mentor,
    MentorSession,
    PayoutEntry,
    PayoutMonth,
    SessionRating,
)
from tracker.seed.builder import seed_demo


@pytest.mark.django_db
def test_seed_demo_shows_mentor_operations(clock):
    seed_demo(learners=6)
    mentors = list(Mentor.objects.all())
    assert mentors
    for mentor in mentors:
        assert mentor.meeting_url.startswith("https://")
        assert Availability.objects.filter(mentor=mentor).count() == 20
    upcoming = MentorSession.objects.filter(status="scheduled", scheduled_at__gt=clock.now())
    assert upcoming.exists() and not upcoming.filter(meeting_url="").exists()
    assert SessionRating.objects.exists()
    assert PayoutMonth.objects.filter(closed_at__isnull=False).exists()
    counts = (SessionRating.objects.count(), PayoutEntry.objects.count())
    assert counts[1] > 0
    seed_demo(learners=6)
    assert (SessionRating.objects.count(), PayoutEntry.objects.count()) == counts
