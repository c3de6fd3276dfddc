"""The follow-ups of a session, found by a periodic sweep (``tracker.tasks.sweep_session_followups``
every 15 minutes, and ``send_reminders``):

- ``session_unmarked`` → the mentor, once per session: nobody marked it completed or missed
  within ``STRIDE_SESSION_UNMARKED_HOURS`` (24) of its end.
- ``rate_session`` → the learner, once per session: it was marked completed, is not rated and
  its rating window (``STRIDE_RATING_WINDOW_DAYS``, 7) is still open.

Sessions further back than ``LOOKBACK`` are left alone, so a first run on old data does not
flood anyone.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.kernel.names import display_name
from mentors.models import MentorSession
from tracker.models import Notification
from tracker.notifications import notify

Kind = Notification.Kind
LOOKBACK = dt.timedelta(days=30)
Status = MentorSession.Status


def session_followups_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or clock.now()
    counts = {"session_unmarked": 0, "rate_session": 0}
    unmarked_after = dt.timedelta(hours=settings.STRIDE_SESSION_UNMARKED_HOURS)
    for session in MentorSession.objects.filter(
        status=Status.SCHEDULED,
        scheduled_at__lte=now - unmarked_after,
        scheduled_at__gte=now - LOOKBACK,
    ).select_related("pairing__mentor__user", "enrollment__learner"):
        if session.ends_at + unmarked_after > now:
            continue
        learner = display_name(session.enrollment.learner)
        names = {"learner": learner, "when": f"{session.scheduled_at:%Y-%m-%d %H:%M} UTC"}
        if notify(
            recipient=session.pairing.mentor.user,
            kind=Kind.SESSION_UNMARKED,
            subject=str(_("Was your session with %(learner)s held?") % names),
            body=str(
                _(
                    "Your session with %(learner)s on %(when)s is not marked yet. Mark it "
                    "completed (with notes) or missed."
                )
                % names
            ),
            link=f"/sessions/{session.pk}/",
            dedupe_key=f"session_unmarked:{session.pk}",
        ):
            counts["session_unmarked"] += 1
    window = dt.timedelta(days=settings.STRIDE_RATING_WINDOW_DAYS)
    for session in MentorSession.objects.filter(
        status=Status.COMPLETED,
        rating__isnull=True,
        scheduled_at__gte=now - window - dt.timedelta(minutes=480),
        scheduled_at__lte=now,
    ).select_related("pairing__mentor__user", "enrollment__learner"):
        if session.ends_at + window < now:
            continue
        names = {"mentor": display_name(session.pairing.mentor.user)}
        if notify(
            recipient=session.enrollment.learner,
            kind=Kind.RATE_SESSION,
            subject=str(_("How was your session with %(mentor)s?") % names),
            body=str(
                _(
                    "Rate your session with %(mentor)s from 1 to 5 (and add a comment if you "
                    "like). Your mentor only ever sees an average of several ratings."
                )
                % names
            ),
            link="/sessions/",
            dedupe_key=f"rate_session:{session.pk}",
        ):
            counts["rate_session"] += 1
    return counts
