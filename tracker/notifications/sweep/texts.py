"""What each sweep reminder says, in the recipient's language. Pure (no database, no clock);
NamedTuples, since the sweep makes hundreds of thousands of them.

Each function takes the ``language`` to write in (``None``: the default language) and renders
dates with Django's translated month and day names: a format string is itself a message, so a
language orders the day and month its own way ("martes 10 de marzo").
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.languages import in_language


class Text(NamedTuple):
    subject: str
    body: str


class DueSoonText(NamedTuple):
    """An assignment not due yet: ``due_on`` (ISO date) names the reminder in its key."""

    days_left: int
    subject: str
    body: str
    due_on: str


class OverdueText(NamedTuple):
    """An assignment past due: ``week_overdue`` (0 for days 1 to 7) names the reminder in its key;
    the mentor is told in words of their own."""

    days_left: int
    subject: str
    body: str
    week_overdue: int
    mentor_subject: str
    mentor_body: str


def _long_day(day: dt.date) -> str:
    # Translators: a Django date format (see the "date" template filter): "Tuesday 10 March".
    return date_format(day, _("l j F"))


def assignment_text(
    title: str, due: dt.date, today: dt.date, language: str | None = None
) -> DueSoonText | OverdueText:
    """What every learner with this due date on this day is told about the assignment."""
    days_left = (due - today).days
    with in_language(language):
        if days_left >= 0:
            if days_left == 0:
                when_text = _("today")
            elif days_left == 1:
                when_text = _("tomorrow")
            else:
                when_text = ngettext("in %(count)d day", "in %(count)d days", days_left) % {
                    "count": days_left
                }
            return DueSoonText(
                days_left=days_left,
                subject=_("“%(title)s” is due %(when)s") % {"title": title, "when": when_text},
                body=_(
                    "Your assignment “%(title)s” is due on %(day)s (%(when)s). "
                    "Submit your work before the end of the day."
                )
                % {"title": title, "day": _long_day(due), "when": when_text},
                due_on=due.isoformat(),
            )
        late = -days_left
        body = ngettext(
            "“%(title)s” was due on %(day)s, %(count)d day ago, and is not approved yet.",
            "“%(title)s” was due on %(day)s, %(count)d days ago, and is not approved yet.",
            late,
        ) % {"title": title, "day": _long_day(due), "count": late}
        return OverdueText(
            days_left=days_left,
            subject=_("“%(title)s” is overdue") % {"title": title},
            body=body,
            week_overdue=(late - 1) // 7,
            mentor_subject=_("A learner's “%(title)s” is overdue") % {"title": title},
            mentor_body=_("%(body)s You mentor this learner.") % {"body": body},
        )


def inactive_text(
    idle_days: int, since: dt.date, language: str | None = None, mentor_language: str | None = None
) -> tuple[Text, Text]:
    """What the learner is told (in ``language``), and what their mentor is (in
    ``mentor_language``)."""

    def said(idle_days: int, since: dt.date) -> str:
        # Translators: a Django date format: "4 March".
        day = date_format(since, _("j F"))
        return _("No progress has been logged for %(days)d days (since %(day)s).") % {
            "days": idle_days,
            "day": day,
        }

    with in_language(language):
        to_learner = Text(
            _("Log your progress to keep your pace"),
            _("%(body)s Even a short session keeps the momentum going.")
            % {"body": said(idle_days, since)},
        )
    with in_language(mentor_language):
        to_mentor = Text(
            _("A learner has been inactive for %(days)d days") % {"days": idle_days},
            _("%(body)s Consider reaching out.") % {"body": said(idle_days, since)},
        )
    return to_learner, to_mentor


def review_waiting_text(
    *,
    title: str,
    version: int,
    submitted_at: dt.datetime,
    hours: int,
    has_mentor: bool,
    language: str | None = None,
) -> tuple[Text, Text]:
    """What the mentor is told, and what staff are (both in ``language``)."""
    with in_language(language):
        subject = _("“%(title)s” (v%(version)s) has waited %(hours)d hours for review") % {
            "title": title,
            "version": version,
            "hours": hours,
        }
        # Translators: a Django date format: "8 March 09:30".
        since = date_format(submitted_at, _("j F H:i"))
        to_mentor = Text(
            subject,
            _("A submission of “%(title)s” has been waiting for your review since %(since)s UTC.")
            % {"title": title, "since": since},
        )
        if has_mentor:
            staff_body = _(
                "A submission of “%(title)s” has waited %(hours)d hours without a review."
            )
        else:
            staff_body = _(
                "A submission of “%(title)s” has waited %(hours)d hours without a review "
                "and the learner has no active mentor."
            )
        to_staff = Text(subject, staff_body % {"title": title, "hours": hours})
    return to_mentor, to_staff


def session_upcoming_text(
    minutes: int, local_start: dt.datetime, zone_name: str, language: str | None = None
) -> Text:
    with in_language(language):
        return Text(
            # Translators: a Django date format: "Tue 10 Mar, 14:00".
            _("Mentor session %(when)s (%(zone)s)")
            % {"when": date_format(local_start, _("D j M, H:i")), "zone": zone_name},
            _("Your %(minutes)d-minute mentor session starts on %(when)s (%(zone)s).")
            % {
                "minutes": minutes,
                # Translators: a Django date format: "Tuesday 10 March at 14:00".
                "when": date_format(local_start, _("l j F \\a\\t H:i")),
                "zone": zone_name,
            },
        )


class MentorWeek(NamedTuple):
    learners: int
    waiting: int
    help: int
    sessions: int


class ProgramWeek(NamedTuple):
    active: int
    unpaired: int
    waiting: int
    help: int
    sessions: int


def weekly_digest_text(
    week: str, figures: MentorWeek | ProgramWeek, language: str | None = None
) -> Text:
    """A mentor's week (their learners) or a staff member's (every cohort)."""
    with in_language(language):
        if isinstance(figures, ProgramWeek):
            body = (
                _(
                    "This week across all cohorts: %(active)d active learners "
                    "(%(unpaired)d without a mentor), %(waiting)d submissions waiting for review, "
                    "%(help)d open help requests and %(sessions)d sessions scheduled."
                )
                % figures._asdict()
            )
        else:
            body = (
                _(
                    "This week: %(learners)d learners paired with you, %(waiting)d submissions "
                    "waiting for your review, %(help)d open help requests and %(sessions)d "
                    "sessions in the next seven days."
                )
                % figures._asdict()
            )
        return Text(_("Your Stride week %(week)s") % {"week": week}, body)
