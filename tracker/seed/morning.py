"""Demo data for the staff home (issue 16): a session missed earlier this week, so the
morning view's "sessions missed this week" column has something to open. Tops up: a second
run adds nothing."""

from __future__ import annotations

import datetime as dt

from curriculum.kernel import clock
from curriculum.models import Cohort
from learners.models import Enrollment
from mentors.models import MentorSession, Pairing


def ensure_missed_session_this_week(cohort: Cohort) -> MentorSession | None:
    """One missed session in ``cohort`` this week (its own time zone), unless there is one."""
    now = clock.now()
    local = now.astimezone(cohort.tzinfo)
    monday = dt.datetime.combine(
        local.date() - dt.timedelta(days=local.weekday()), dt.time(0), tzinfo=cohort.tzinfo
    )
    missed = MentorSession.objects.filter(
        enrollment__cohort=cohort,
        status=MentorSession.Status.MISSED,
        scheduled_at__gte=monday,
        scheduled_at__lte=now,
    )
    if missed.exists():
        return None
    pairing = (
        Pairing.objects.filter(
            enrollment__cohort=cohort,
            enrollment__status=Enrollment.Status.ACTIVE,
            ended_at__isnull=True,
        )
        .order_by("enrollment__learner__username")
        .first()
    )
    if pairing is None:
        return None
    # Half-way between Monday 00:00 and now: this week, and in the past.
    session = MentorSession(
        enrollment_id=pairing.enrollment_id,
        pairing=pairing,
        scheduled_at=monday + (now - monday) / 2,
        duration_minutes=30,
        status=MentorSession.Status.MISSED,
        notes="Did not join (demo).",
    )
    session.full_clean()
    session.save()
    return session
