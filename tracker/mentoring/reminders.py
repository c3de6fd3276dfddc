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
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.kernel.names import display_name
from curriculum.kernel.zones import zone_or_utc
from mentors.models import MentorSession
from tracker.languages import in_language, languages_of
from tracker.models import Notification
from tracker.notifications import notify

Kind = Notification.Kind
LOOKBACK = dt.timedelta(days=30)
Status = MentorSession.Status


def session_followups_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or clock.now()
    counts = {"session_unmarked": 0, "rate_session": 0}
    unmarked_after = dt.timedelta(hours=settings.STRIDE_SESSION_UNMARKED_HOURS)
    unmarked = [
        session
        for session in MentorSession.objects.filter(
            status=Status.SCHEDULED,
            scheduled_at__lte=now - unmarked_after,
            scheduled_at__gte=now - LOOKBACK,
        ).select_related("pairing__mentor__user", "enrollment__learner")
        if session.ends_at + unmarked_after <= now
    ]
    languages = languages_of(session.pairing.mentor.user_id for session in unmarked)
    for session in unmarked:
        mentor_user = session.pairing.mentor.user
        with in_language(languages.get(mentor_user.pk)):
            counts["session_unmarked"] += _unmarked(session, mentor_user)
    window = dt.timedelta(days=settings.STRIDE_RATING_WINDOW_DAYS)
    to_rate = [
        session
        for session in MentorSession.objects.filter(
            status=Status.COMPLETED,
            rating__isnull=True,
            scheduled_at__gte=now - window - dt.timedelta(minutes=480),
            scheduled_at__lte=now,
        ).select_related("pairing__mentor__user", "enrollment__learner")
        if session.ends_at + window >= now
    ]
    languages = languages_of(session.enrollment.learner_id for session in to_rate)
    for session in to_rate:
        with in_language(languages.get(session.enrollment.learner_id)):
            counts["rate_session"] += _rate(session)
    return counts


def _unmarked(session: MentorSession, mentor_user) -> int:
    """Ask the mentor, in the active language (theirs), whether the session was held (its time
    on the mentor's clock)."""
    learner = display_name(session.enrollment.learner)
    zone_name = session.pairing.mentor.timezone or "UTC"
    local = session.scheduled_at.astimezone(zone_or_utc(zone_name))
    # Translators: a Django date format (see the "date" template filter): "Tuesday 10 March
    # 2026, 14:00".
    day_and_time = date_format(local, _("l j F Y, H:i"))
    names = {"learner": learner, "when": f"{day_and_time} ({zone_name})"}
    return int(
        notify(
            recipient=mentor_user,
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
        )
        is not None
    )


def _rate(session: MentorSession) -> int:
    """Ask the learner, in the active language (theirs), to rate the session."""
    names = {"mentor": display_name(session.pairing.mentor.user)}
    return int(
        notify(
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
        )
        is not None
    )
