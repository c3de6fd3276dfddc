"""Emails for a booked, moved or cancelled session, each carrying an iCalendar invitation.

The invitation's UID is the session's event UID in the calendar feed
(``tracker.calendar.session_uid``) and its SEQUENCE is the session's ``sequence``, which every
change sent out raises; so a calendar program takes a reschedule as an update of the same
event and a cancellation (``METHOD:CANCEL``, ``STATUS:CANCELLED``) as its removal.

At most: ``session_booked`` once per session and person; ``session_changed`` once per change
(sequence) and person. Opt-out, muted kinds and quiet hours apply in delivery, as for every kind.
"""

from __future__ import annotations

import datetime as dt

from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from curriculum.kernel import clock
from curriculum.kernel.names import display_name
from curriculum.kernel.zones import zone_or_utc
from mentors.models import MentorSession
from tracker.calendar import PRODID, session_uid
from tracker.languages import in_language, language_of
from tracker.models import Notification
from tracker.notifications import notify, preferences_for

Kind = Notification.Kind


def _address(user) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email or user.get_username() + '@invalid'}")
    address.params["cn"] = vText(display_name(user))
    return address


def invitation_text(session: MentorSession, *, method: str) -> str:
    """The VCALENDAR (METHOD REQUEST or CANCEL) for ``session`` as it is now, its SUMMARY and
    DESCRIPTION in the active language (the caller switches to the recipient's)."""
    mentor_user = session.pairing.mentor.user
    learner = session.enrollment.learner
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", session_uid(session.pk))
    event.add("sequence", session.sequence)
    event.add("dtstamp", clock.now())
    event.add("dtstart", session.scheduled_at.astimezone(dt.UTC))
    event.add("dtend", session.ends_at.astimezone(dt.UTC))
    event.add(
        "summary",
        _("Mentor session: %(mentor)s and %(learner)s")
        % {"mentor": display_name(mentor_user), "learner": display_name(learner)},
    )
    description = _("Your weekly mentor call.")
    if session.meeting_url:
        event.add("location", session.meeting_url)
        event.add("url", session.meeting_url)
        description += "\n" + _("Join: %(url)s") % {"url": session.meeting_url}
    if session.cancel_reason:
        description += "\n" + _("Reason: %(reason)s") % {"reason": _(session.cancel_reason)}
    event.add("description", description)
    event.add("organizer", _address(mentor_user))
    for person in (mentor_user, learner):
        attendee = _address(person)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _local(moment: dt.datetime, user) -> str:
    zone_name = preferences_for(user).timezone
    local = moment.astimezone(zone_or_utc(zone_name))
    # Translators: a Django date format (see the "date" template filter): "Tuesday 10 March
    # 2026, 14:00".
    day_and_time = date_format(local, _("l j F Y, H:i"))
    return f"{day_and_time} ({zone_name})"


def session_booking_notify(session_id: int, change: str, sequence: int) -> list[Notification]:
    """Tell the learner and the mentor about a booking, a move or a cancellation (called on
    commit). A change already overtaken by a later one (a newer sequence) sends nothing: the
    later change's email carries the newer state."""
    session = (
        MentorSession.objects.select_related(
            "pairing__mentor__user", "enrollment__learner", "enrollment__cohort"
        )
        .filter(pk=session_id)
        .first()
    )
    if session is None or session.sequence != sequence:
        return []
    mentor_user = session.pairing.mentor.user
    learner = session.enrollment.learner
    method = "CANCEL" if change == "cancelled" else "REQUEST"
    sent = []
    for recipient, other in ((learner, mentor_user), (mentor_user, learner)):
        with in_language(language_of(recipient)):
            notification = _notify_one(session, change, sequence, method, recipient, other)
        if notification is not None:
            sent.append(notification)
    return sent


def _notify_one(
    session: MentorSession, change: str, sequence: int, method: str, recipient, other
) -> Notification | None:
    """One person's email about the change, written in the active language (theirs), its
    calendar invitation too."""
    calendar = invitation_text(session, method=method)
    when = _local(session.scheduled_at, recipient)
    names = {"other": display_name(other), "when": when}
    if change == "booked":
        kind = Kind.SESSION_BOOKED
        subject = _("Session booked with %(other)s: %(when)s") % names
        body = _("Your session with %(other)s is booked for %(when)s.") % names
        key = f"session_booked:{session.pk}:{recipient.pk}"
    elif change == "rescheduled":
        kind = Kind.SESSION_CHANGED
        subject = _("Session moved: %(when)s with %(other)s") % names
        body = _("Your session with %(other)s now starts %(when)s.") % names
        key = f"session_changed:{session.pk}:{sequence}:{recipient.pk}"
    else:
        kind = Kind.SESSION_CHANGED
        subject = _("Session cancelled: %(when)s with %(other)s") % names
        body = _("Your session with %(other)s on %(when)s is cancelled.") % names
        if session.cancel_reason:
            body += "\n" + _("Reason: %(reason)s") % {"reason": _(session.cancel_reason)}
        key = f"session_changed:{session.pk}:{sequence}:{recipient.pk}"
    if session.meeting_url and change != "cancelled":
        body += "\n" + _("Join the call: %(url)s") % {"url": session.meeting_url}
    return notify(
        recipient=recipient,
        kind=kind,
        subject=str(subject),
        body=str(body),
        link="/sessions/",
        dedupe_key=key,
        calendar=calendar,
    )
