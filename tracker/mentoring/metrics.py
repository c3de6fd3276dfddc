"""Mentor metrics for staff (and a mentor's own): what each mentor delivered in a period.

Per mentor: sessions booked (scheduled in the period, any outcome), held (completed), missed,
cancelled late; the share of their current learners with a held session in each of the last 4
weeks (7-day windows ending now, oldest first); the median and 90th-percentile review
turnaround in hours (submission to review); reviews written and the share asking for changes;
the average rating (only from ``STRIDE_RATING_MIN_AGGREGATE`` ratings on, so no single learner
is exposed) and the rating count; the pace mix of their current learners; and ``flagged`` when
one of their learners (paired for at least a week) has gone 7 days without a held session.

A fixed number of queries whatever the number of mentors, sessions or reviews: each figure is
one grouped query (or one flat read folded in Python, for the percentiles).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Q
from django.utils.translation import gettext

from curriculum.kernel import clock
from curriculum.kernel.access import is_staff
from mentors.models import Mentor, MentorSession, Pairing, Review, SessionRating
from tracker.progress import progress_of

Status = MentorSession.Status
WEEKS = 4
SORT_KEYS = (
    "name",
    "sessions_booked",
    "sessions_held",
    "sessions_missed",
    "sessions_cancelled_late",
    "review_turnaround_median_hours",
    "review_turnaround_p90_hours",
    "reviews",
    "changes_requested_share",
    "rating_average",
    "flagged",
)


def percentile(values: list[float], share: float) -> float | None:
    """The ``share`` percentile (0 to 1) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 1)


def mentor_metrics(
    *,
    fetched_by: Any,
    start: dt.datetime,
    end: dt.datetime,
    mentor_ids: list[int] | None = None,
    sort: str = "name",
) -> list[dict[str, Any]]:
    """The metrics of every mentor (staff), or of ``mentor_ids``: staff any, a mentor only
    their own (PermissionDenied otherwise)."""
    if not is_staff(fetched_by):
        own = Mentor.objects.filter(user_id=getattr(fetched_by, "pk", None)).values_list(
            "pk", flat=True
        )
        own = list(own)
        if not own or mentor_ids is None or set(mentor_ids) - set(own):
            raise PermissionDenied(gettext("Only staff see other mentors' metrics."))
    now = clock.now()
    mentors = Mentor.objects.select_related("user")
    if mentor_ids is not None:
        mentors = mentors.filter(pk__in=mentor_ids)
    else:
        mentors = mentors.filter(is_active=True)
    mentors = list(mentors)
    ids = [mentor.pk for mentor in mentors]

    in_period = Q(scheduled_at__gte=start, scheduled_at__lt=end)
    sessions = {
        row["pairing__mentor_id"]: row
        for row in MentorSession.objects.filter(in_period, pairing__mentor_id__in=ids)
        .values("pairing__mentor_id")
        .annotate(
            booked=Count("pk"),
            held=Count("pk", filter=Q(status=Status.COMPLETED)),
            missed=Count("pk", filter=Q(status=Status.MISSED)),
            cancelled_late=Count("pk", filter=Q(status=Status.CANCELLED, cancelled_late=True)),
        )
    }
    reviews: dict[int, list[tuple[float, str]]] = defaultdict(list)
    mentor_by_user = {mentor.user_id: mentor.pk for mentor in mentors}
    for reviewer_id, created_at, submitted_at, verdict in Review.objects.filter(
        reviewer_id__in=list(mentor_by_user), created_at__gte=start, created_at__lt=end
    ).values_list("reviewer_id", "created_at", "submission__submitted_at", "verdict"):
        hours = max((created_at - submitted_at).total_seconds() / 3600, 0.0)
        reviews[mentor_by_user[reviewer_id]].append((hours, verdict))
    ratings = {
        row["session__pairing__mentor_id"]: row
        for row in SessionRating.objects.filter(
            session__scheduled_at__gte=start,
            session__scheduled_at__lt=end,
            session__pairing__mentor_id__in=ids,
        )
        .values("session__pairing__mentor_id")
        .annotate(average=Avg("score"), count=Count("pk"))
    }
    pairings = list(
        Pairing.objects.filter(ended_at__isnull=True, mentor_id__in=ids).values_list(
            "mentor_id", "enrollment_id", "started_at"
        )
    )
    learners: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for mentor_id, enrollment_id, started_at in pairings:
        learners[mentor_id].append((enrollment_id, started_at))
    window_start = now - dt.timedelta(days=7 * WEEKS)
    held_at: dict[int, list[dt.datetime]] = defaultdict(list)
    for enrollment_id, scheduled_at in MentorSession.objects.filter(
        enrollment_id__in=[enrollment for _, enrollment, _ in pairings],
        status=Status.COMPLETED,
        scheduled_at__gte=window_start,
        scheduled_at__lt=now,
    ).values_list("enrollment_id", "scheduled_at"):
        held_at[enrollment_id].append(scheduled_at)
    progress = progress_of(
        fetched_by=fetched_by, enrollment_ids=[enrollment for _, enrollment, _ in pairings]
    )

    minimum = settings.STRIDE_RATING_MIN_AGGREGATE
    rows = []
    for mentor in mentors:
        counts = sessions.get(mentor.pk, {})
        written = reviews.get(mentor.pk, [])
        hours = [value for value, _ in written]
        changes = sum(1 for _, verdict in written if verdict == Review.Verdict.CHANGES_REQUESTED)
        rating = ratings.get(mentor.pk, {})
        rating_count = rating.get("count", 0)
        their = learners.get(mentor.pk, [])
        weekly_share = []
        for week in range(WEEKS):
            lo = now - dt.timedelta(days=7 * (WEEKS - week))
            hi = lo + dt.timedelta(days=7)
            if not their:
                weekly_share.append(None)
                continue
            met = sum(
                1 for enrollment, _ in their if any(lo <= at < hi for at in held_at[enrollment])
            )
            weekly_share.append(round(met / len(their), 2))
        week_ago = now - dt.timedelta(days=7)
        without = [
            enrollment
            for enrollment, started_at in their
            if started_at <= week_ago and not any(at >= week_ago for at in held_at[enrollment])
        ]
        pace_mix: dict[str, int] = defaultdict(int)
        for enrollment, _ in their:
            if enrollment in progress:
                pace_mix[progress[enrollment].pace] += 1
        rows.append(
            {
                "mentor": mentor.pk,
                "name": str(mentor),
                "sessions_booked": counts.get("booked", 0),
                "sessions_held": counts.get("held", 0),
                "sessions_missed": counts.get("missed", 0),
                "sessions_cancelled_late": counts.get("cancelled_late", 0),
                "learners_with_session_by_week": weekly_share,
                "review_turnaround_median_hours": percentile(hours, 0.5),
                "review_turnaround_p90_hours": percentile(hours, 0.9),
                "reviews": len(written),
                "changes_requested_share": round(changes / len(written), 2) if written else None,
                "rating_average": (
                    round(float(rating["average"]), 2) if rating_count >= minimum else None
                ),
                "rating_count": rating_count,
                "pace_mix": dict(pace_mix),
                "flagged": bool(without),
                "learners_without_session_7d": len(without),
            }
        )
    key = sort.lstrip("-") if sort.lstrip("-") in SORT_KEYS else "name"
    reverse = sort.startswith("-")
    # Unknown values (None) sort last either way.
    rows.sort(key=lambda row: (row[key] is None, row[key] if row[key] is not None else 0))
    if reverse:
        known = [row for row in rows if row[key] is not None]
        rows = list(reversed(known)) + [row for row in rows if row[key] is None]
    return rows
