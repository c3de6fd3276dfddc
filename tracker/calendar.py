"""The private iCalendar feed (RFC 5545): ``GET /calendar/<token>.ics``.

The token (``UserPreferences.calendar_token``, 256 random bits) is the only credential the feed
accepts, so the feed holds only its owner's data: a learner's assignment due dates (pauses
honoured) and their mentor sessions; a mentor's sessions with their learners. Event UIDs are
stable (``assignment-<enrollment>-<assignment>@stride``, ``session-<id>@stride``) so calendar
clients update events in place. The token is a preference: it is issued and replaced by
``tracker.notifications.calendar_token_rotate``, which ends the old feed address at once.

The public face: ``calendar_feed_text`` (the selector behind the feed page, routed by
``tracker/web/urls.py``) and ``calendar_path``. A feature
room: it imports the lower apps, the kernel, ``tracker.models`` and ``tracker.progress``.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.models import Assignment
from learners.models import Enrollment, Submission
from mentors.models import MentorSession
from tracker.languages import in_language, language_of, supported
from tracker.models import UserPreferences
from tracker.progress.fetch import fetch_latest_submissions, fetch_pauses, fetch_plans
from tracker.progress.schedule import due_dates_for

PRODID = "-//Stride//Stride progress tracker//EN"
# Sessions further back than this are left out of the feed to keep it small.
SESSION_HISTORY_DAYS = 365
MAX_LINE_OCTETS = 75


# --- RFC 5545 text ------------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """A TEXT property value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped,
    other control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch for ch in value if ch == "\n" or ch == "\t" or ord(ch) >= 32)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character;
    continuation lines start with one space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= MAX_LINE_OCTETS:
        return line
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
            limit = MAX_LINE_OCTETS - 1  # the leading space counts
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def session_uid(session_id: int) -> str:
    """The session's event UID: the same in the feed and in every invitation email, so a
    calendar program updates one event."""
    return f"session-{session_id}@stride"


def _utc_stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _date_value(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _person(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def render_calendar(name: str, events: Iterable[list[tuple[str, str]]]) -> str:
    """The VCALENDAR text: each event is a list of (property with parameters, value) pairs whose
    values are already escaped."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.append("BEGIN:VEVENT")
        lines.extend(f"{key}:{value}" for key, value in event)
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


# --- The events of one user ---------------------------------------------------------------------


def assignment_events(user: Any, stamp: str) -> list[list[tuple[str, str]]]:
    """All-day events on the learner's (pause-shifted) due dates."""
    rows = list(
        Enrollment.objects.filter(learner_id=user.pk)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .order_by("pk")
        .values("pk", "cohort__start_date", "cohort__program_id", "cohort__name")
    )
    if not rows:
        return []
    ids = [row["pk"] for row in rows]
    plans = fetch_plans({row["cohort__program_id"] for row in rows})
    pauses = fetch_pauses(ids)
    latest = fetch_latest_submissions(ids)
    events = []
    for row in rows:
        plan = plans[row["cohort__program_id"]]
        dues = due_dates_for(row["cohort__start_date"], plan.due_weeks, pauses.get(row["pk"], ()))
        subs = latest.get(row["pk"], {})
        for assignment, due in zip(plan.assignments, dues, strict=True):
            sub = subs.get(assignment.id)
            status = sub.status if sub is not None else "not_started"
            if status == Submission.Status.APPROVED:
                summary = _("Due: %(title)s (approved)") % {"title": assignment.title}
            else:
                summary = _("Due: %(title)s") % {"title": assignment.title}
            status_text = Submission.Status(status).label if sub is not None else _("not started")
            description = (
                _("%(cohort)s: %(kind)s “%(title)s”.")
                % {
                    "cohort": row["cohort__name"],
                    "kind": _kind_label(assignment.kind),
                    "title": assignment.title,
                }
                + "\n"
                + _("Status: %(status)s.") % {"status": str(status_text).lower()}
                + f"\n{settings.STRIDE_BASE_URL}/"
            )
            events.append(
                [
                    ("UID", f"assignment-{row['pk']}-{assignment.id}@stride"),
                    ("DTSTAMP", stamp),
                    ("DTSTART;VALUE=DATE", _date_value(due)),
                    ("DTEND;VALUE=DATE", _date_value(due + dt.timedelta(days=1))),
                    ("SUMMARY", escape_text(summary)),
                    ("DESCRIPTION", escape_text(description)),
                    ("TRANSP", "TRANSPARENT"),
                ]
            )
    return events


def session_events(user: Any, stamp: str, now: dt.datetime) -> list[list[tuple[str, str]]]:
    """The user's mentor sessions: as the learner, and as the mentor of that pairing."""
    sessions = (
        MentorSession.objects.filter(
            Q(enrollment__learner_id=user.pk) | Q(pairing__mentor__user_id=user.pk),
            scheduled_at__gte=now - dt.timedelta(days=SESSION_HISTORY_DAYS),
        )
        .order_by("scheduled_at", "pk")
        .values(
            "pk",
            "scheduled_at",
            "duration_minutes",
            "status",
            "sequence",
            "meeting_url",
            "enrollment__learner_id",
            "enrollment__learner__username",
            "enrollment__learner__first_name",
            "enrollment__learner__last_name",
            "pairing__mentor__user__username",
            "pairing__mentor__user__first_name",
            "pairing__mentor__user__last_name",
        )
    )
    events = []
    for session in sessions:
        if session["enrollment__learner_id"] == user.pk:
            other = _person(
                session["pairing__mentor__user__first_name"],
                session["pairing__mentor__user__last_name"],
                session["pairing__mentor__user__username"],
            )
            summary = _("Mentor session with %(person)s") % {"person": other}
        else:
            other = _person(
                session["enrollment__learner__first_name"],
                session["enrollment__learner__last_name"],
                session["enrollment__learner__username"],
            )
            summary = _("Mentoring session with %(person)s") % {"person": other}
        start = session["scheduled_at"]
        end = start + dt.timedelta(minutes=session["duration_minutes"])
        cancelled = session["status"] == MentorSession.Status.CANCELLED
        status_text = str(MentorSession.Status(session["status"]).label).lower()
        description = _("Status: %(status)s.") % {"status": status_text}
        event = [
            ("UID", session_uid(session["pk"])),
            ("SEQUENCE", str(session["sequence"])),
            ("DTSTAMP", stamp),
            ("DTSTART", _utc_stamp(start)),
            ("DTEND", _utc_stamp(end)),
            ("SUMMARY", escape_text(summary)),
        ]
        if session["meeting_url"]:
            description += "\n" + _("Join: %(url)s") % {"url": session["meeting_url"]}
            event.append(("LOCATION", escape_text(session["meeting_url"])))
            event.append(("URL", session["meeting_url"]))
        event.append(("DESCRIPTION", escape_text(description)))
        event.append(("STATUS", "CANCELLED" if cancelled else "CONFIRMED"))
        events.append(event)
    return events


def _kind_label(kind: str) -> str:
    try:
        return str(Assignment.Kind(kind).label).lower()
    except ValueError:
        return kind


def calendar_for(user: Any) -> str:
    """The user's feed, in the language they chose (calendar apps send no useful one)."""
    with in_language(language_of(user)):
        return _calendar_for(user)


def _calendar_for(user: Any) -> str:
    now = clock.now()
    stamp = _utc_stamp(now)
    name = _person(user.first_name, user.last_name, user.get_username())
    return render_calendar(
        _("Stride: %(name)s") % {"name": name},
        [*assignment_events(user, stamp), *session_events(user, stamp, now)],
    )


# --- Service and selector ------------------------------------------------------------------


def calendar_path(preferences: UserPreferences) -> str | None:
    """The feed's path, or None while the user has no stored token (no feed yet)."""
    if preferences.pk is None:
        return None
    return reverse("calendar-feed", kwargs={"token": preferences.calendar_token})


def calendar_feed_text(*, token: str) -> str | None:
    """The iCalendar text of the active user whose feed token is exactly ``token``; None for
    any other token (unknown, a near miss, a deactivated owner's)."""
    preferences = (
        UserPreferences.objects.select_related("user").filter(calendar_token=token).first()
    )
    # The lookup finds the row; the constant-time comparison makes the final decision so that
    # no database collation quirk (case, trailing spaces) ever accepts a near-miss token.
    if (
        preferences is None
        or not hmac.compare_digest(preferences.calendar_token.encode(), token.encode())
        or not preferences.user.is_active
    ):
        return None
    preferences.user._stride_language = supported(preferences.language)
    return calendar_for(preferences.user)
