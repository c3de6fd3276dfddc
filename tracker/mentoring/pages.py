"""What the mentor-operations pages show: the sessions page (booking for a learner, the week
for a mentor), the availability page, the staff metrics and payouts pages. Selectors only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.kernel.zones import zone_or_utc
from learners.selectors import current_enrollment
from mentors.availability import open_slots_for
from mentors.models import (
    Availability,
    AvailabilityException,
    Mentor,
    MentorSession,
    Pairing,
    SessionRating,
)
from mentors.payouts import month_of, next_month, payout_rows
from mentors.selectors import session_list
from tracker.notifications import preferences_for

from .metrics import mentor_metrics

Status = MentorSession.Status


def local_label(moment: dt.datetime, zone_name: str) -> str:
    """``moment`` on ``zone_name``'s clock, in the active language: "Thu 12 Mar 2026, 10:00"."""
    local = moment.astimezone(zone_or_utc(zone_name))
    # Translators: a Django date format (see the "date" template filter): "Thu 12 Mar 2026,
    # 10:00".
    return date_format(local, _("D j M Y, H:i"))


def sessions_page(*, fetched_by: Any) -> dict[str, Any]:
    """The caller's sessions (upcoming and the last few), in their own zone; for a learner
    also their mentor, the open slots they may book and which sessions they can still rate."""
    now = clock.now()
    zone_name = preferences_for(fetched_by).timezone
    sessions = list(
        session_list(fetched_by=fetched_by)
        .filter(scheduled_at__gte=now - dt.timedelta(days=30))
        .order_by("scheduled_at", "pk")[:200]
    )
    rated = set(
        SessionRating.objects.filter(session__in=[s.pk for s in sessions]).values_list(
            "session_id", flat=True
        )
    )
    window = dt.timedelta(days=settings.STRIDE_RATING_WINDOW_DAYS)
    enrollment = current_enrollment(fetched_by=fetched_by)
    mentor = None
    slots = []
    if enrollment is not None:
        pairing = (
            Pairing.objects.filter(enrollment=enrollment, ended_at__isnull=True)
            .select_related("mentor__user")
            .first()
        )
        if pairing is not None:
            mentor = pairing.mentor
            slots = open_slots_for(
                fetched_by=fetched_by,
                mentor=mentor,
                start=now,
                end=now + dt.timedelta(days=settings.STRIDE_BOOKING_HORIZON_DAYS),
            )
    notice = dt.timedelta(hours=settings.STRIDE_BOOKING_NOTICE_HOURS)
    items = []
    for session in sessions:
        own = session.enrollment.learner_id == fetched_by.pk
        items.append(
            {
                "session": session,
                "when": local_label(session.scheduled_at, zone_name),
                "learner_name": str(session.enrollment.learner.get_full_name()),
                "mentor_name": str(session.pairing.mentor),
                "upcoming": session.status == Status.SCHEDULED and session.scheduled_at > now,
                "can_move": session.status == Status.SCHEDULED
                and session.scheduled_at - now >= notice,
                "can_cancel": session.status == Status.SCHEDULED,
                "late_if_cancelled": session.status == Status.SCHEDULED
                and session.scheduled_at - now < notice,
                "can_rate": own
                and session.status == Status.COMPLETED
                and session.pk not in rated
                and now <= session.ends_at + window,
                "rated": session.pk in rated,
            }
        )
    return {
        "zone_name": zone_name,
        "enrollment": enrollment,
        "mentor": mentor,
        "slots": [(slot, local_label(slot.starts_at, zone_name)) for slot in slots],
        "upcoming": [item for item in items if item["upcoming"]],
        "past": [item for item in reversed(items) if not item["upcoming"]][:20],
        "notice_hours": settings.STRIDE_BOOKING_NOTICE_HOURS,
    }


def availability_page(*, fetched_by: Any) -> dict[str, Any]:
    mentor = Mentor.objects.select_related("user").filter(user_id=fetched_by.pk).first()
    if mentor is None:
        return {"mentor": None, "slots": [], "exceptions": []}
    return {
        "mentor": mentor,
        "slots": list(Availability.objects.filter(mentor=mentor)),
        "exceptions": list(
            AvailabilityException.objects.filter(
                mentor=mentor, date__gte=clock.today(mentor.timezone)
            )
        ),
    }


def metrics_page(
    *, fetched_by: Any, start: dt.datetime, end: dt.datetime, sort: str
) -> dict[str, Any]:
    return {"rows": mentor_metrics(fetched_by=fetched_by, start=start, end=end, sort=sort)}


def payouts_page(*, fetched_by: Any, month: dt.date) -> dict[str, Any]:
    rows = payout_rows(fetched_by=fetched_by, month=month)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    return {
        "rows": rows,
        "month": month,
        "previous_month": previous,
        "next_month": next_month(month),
        "closed": bool(rows and rows[0]["closed"]),
        "can_close": next_month(month) <= month_of(clock.now()),
        "totals": {
            key: sum(row[key] for row in rows)
            for key in ("sessions_held", "minutes_held", "reviews_completed")
        },
    }
