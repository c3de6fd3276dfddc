"""Who is reminded of what, and at most how often: the contract's reminder table as code.

Each reminder's dedupe key encodes the "at most" column, so the same reminder made twice is one
row. Pure: decides over the rows the reads gave; no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings

from tracker.models import Notification
from tracker.progress.schedule import shift_due_date

from .clock import SweepClock
from .reads import ChunkFacts, Context, DigestCounts, UpcomingSession
from .texts import (
    DueSoonText,
    MentorWeek,
    OverdueText,
    ProgramWeek,
    assignment_text,
    inactive_text,
    review_waiting_text,
    session_upcoming_text,
    weekly_digest_text,
)

Kind = Notification.Kind


class Reminder(NamedTuple):
    """One reminder to create (a tuple: the sweep makes hundreds of thousands of them)."""

    recipient_id: int
    kind: str
    subject: str
    body: str
    link: str
    dedupe_key: str


def enrollment_reminders(
    rows: list[dict], facts: ChunkFacts, when: SweepClock, context: Context
) -> Iterable[Reminder]:
    """``due_soon``: once per learner, assignment and due date, from three days before.
    ``overdue``: learner and mentor, once per assignment and week overdue, until approved.
    ``inactive``: the learner once per seven idle days, the mentor too from fourteen."""
    due_soon_days = settings.STRIDE_DUE_SOON_DAYS
    inactive_days = settings.STRIDE_INACTIVE_DAYS
    mentor_inactive_days = settings.STRIDE_INACTIVE_MENTOR_DAYS
    # Learners of a cohort share their local day and (unless paused) every due date, so the
    # texts of a reminder are made once per (assignment, due date, day) and reused.
    # Each recipient reads them in their language (``context.languages``; most: the default).
    texts: dict[tuple, DueSoonText | OverdueText] = {}
    language_of = context.languages.get

    def text_for(assignment_id: int, title: str, due: dt.date, today: dt.date, language=None):
        key = (assignment_id, due, today, language)
        text = texts.get(key)
        if text is None:
            text = texts[key] = assignment_text(title, due, today, language)
        return text

    # The assignments that can remind anyone, per (program, cohort start, day): a pause only
    # moves a due date later, so one due more than ``due_soon_days`` ahead on the unpaused
    # schedule cannot remind a paused learner either (most of a six-month program, most days).
    candidates: dict[tuple[int, dt.date, dt.date], list] = {}
    for row in rows:
        enrollment_id = row["id"]
        zone_name = row["learner__preferences__timezone"] or row["cohort__timezone"]
        today = when.today(zone_name)
        start = row["cohort__start_date"]
        if start > today:
            continue
        learner, mentor = row["learner_id"], row["mentor_user_id"]
        learner_language = language_of(learner)
        mentor_language = language_of(mentor) if mentor else None
        link = f"/enrollments/{enrollment_id}/"
        enrollment_pauses = facts.pauses.get(enrollment_id)

        program_id = row["cohort__program_id"]
        reachable = candidates.get((program_id, start, today))
        if reachable is None:
            reachable = candidates[program_id, start, today] = []
            for assignment_id, title, due_week in context.assignments.get(program_id, ()):
                text = text_for(assignment_id, title, start + dt.timedelta(weeks=due_week), today)
                if text.days_left <= due_soon_days:
                    reachable.append((assignment_id, title, due_week, text))

        for assignment_id, title, due_week, unpaused_text in reachable:
            text = unpaused_text
            due = start + dt.timedelta(weeks=due_week)
            if enrollment_pauses:
                due = shift_due_date(due, enrollment_pauses)
                text = text_for(assignment_id, title, due, today)
            if text.days_left > due_soon_days:
                continue
            if learner_language:
                text = text_for(assignment_id, title, due, today, learner_language)
            pair = (enrollment_id, assignment_id)
            if isinstance(text, DueSoonText):
                if pair not in facts.submitted:
                    key = f"due_soon:{enrollment_id}:{assignment_id}:{text.due_on}"
                    yield Reminder(learner, Kind.DUE_SOON, text.subject, text.body, link, key)
            elif pair not in facts.approved:
                key = f"overdue:{enrollment_id}:{assignment_id}:w{text.week_overdue}"
                yield Reminder(
                    learner, Kind.OVERDUE, text.subject, text.body, link, f"{key}:learner"
                )
                if mentor:
                    said = text
                    if mentor_language != learner_language:
                        said = text_for(assignment_id, title, due, today, mentor_language)
                    yield Reminder(
                        mentor, Kind.OVERDUE, said.mentor_subject, said.mentor_body, link,
                        f"{key}:mentor:{mentor}",
                    )  # fmt: skip

        enrolled_on = when.local_time(row["enrolled_at"], zone_name).date()
        baseline = max(d for d in (row["last_logged_on"], start, enrolled_on) if d is not None)
        idle = (today - baseline).days
        if idle >= inactive_days:
            key = f"inactive:{enrollment_id}:{baseline.isoformat()}:p{idle // inactive_days}"
            to_learner, to_mentor = inactive_text(idle, baseline, learner_language, mentor_language)
            yield Reminder(learner, Kind.INACTIVE, *to_learner, f"{link}#log", f"{key}:learner")
            if mentor and idle >= mentor_inactive_days:
                yield Reminder(mentor, Kind.INACTIVE, *to_mentor, link, f"{key}:mentor:{mentor}")


def review_waiting(
    waiting: Iterable[tuple],
    when: SweepClock,
    staff: list[dict],
    languages: dict[int, str] | None = None,
):
    """The mentor once per submission after 48 hours, every staff member once after 96."""
    staff_step = dt.timedelta(hours=settings.STRIDE_REVIEW_ESCALATE_HOURS)
    language_of = (languages or {}).get
    for submission_id, version, submitted_at, title, mentor in waiting:
        hours = int((when.now - submitted_at).total_seconds() // 3600)
        link = f"/submissions/{submission_id}/"
        said: dict[str | None, tuple] = {}
        facts = {
            "title": title, "version": version, "submitted_at": submitted_at, "hours": hours,
            "has_mentor": bool(mentor),
        }  # fmt: skip
        base = f"review_waiting:{submission_id}"
        if mentor:
            language = language_of(mentor)
            if language not in said:
                said[language] = review_waiting_text(**facts, language=language)
            to_mentor = said[language][0]
            yield Reminder(mentor, Kind.REVIEW_WAITING, *to_mentor, link, f"{base}:mentor:{mentor}")
        if submitted_at <= when.now - staff_step:
            for member in staff:
                recipient = member["id"]
                key = f"{base}:staff:{recipient}"
                language = language_of(recipient)
                if language not in said:
                    said[language] = review_waiting_text(**facts, language=language)
                to_staff = said[language][1]
                yield Reminder(recipient, Kind.REVIEW_WAITING, *to_staff, link, key)


def session_upcoming(
    sessions: Iterable[UpcomingSession], when: SweepClock, languages: dict[int, str] | None = None
):
    """Learner and mentor once per session, each in their own zone and language."""
    language_of = (languages or {}).get
    for session in sessions:
        link = f"/sessions/{session.session_id}/"
        for recipient, zone_name in (
            (session.learner_id, session.learner_zone),
            (session.mentor_user_id, session.mentor_zone),
        ):
            local_start = when.local_time(session.scheduled_at, zone_name)
            said = session_upcoming_text(
                session.duration_minutes, local_start, zone_name, language_of(recipient)
            )
            key = f"session_upcoming:{session.session_id}:{recipient}"
            yield Reminder(recipient, Kind.SESSION_UPCOMING, *said, link, key)


def digests_due(
    recipients: dict[int, tuple[str, bool]], when: SweepClock
) -> list[tuple[int, bool, str]]:
    """``(user id, is staff, ISO week)`` of everyone whose Monday 08:00 has come (in their
    zone) this week: at most one digest per recipient and week."""
    due = []
    for user_id, (zone_name, is_staff) in recipients.items():
        local = when.local_now(zone_name)
        if local.isoweekday() == 1 and local.time() >= dt.time(8, 0):
            year, week, _ = local.isocalendar()
            due.append((user_id, is_staff, f"{year}-W{week:02d}"))
    return due


def weekly_digests(
    due: list[tuple[int, bool, str]],
    counts: DigestCounts,
    languages: dict[int, str] | None = None,
):
    language_of = (languages or {}).get
    for user_id, is_staff, week in due:
        if is_staff and counts.totals is not None:
            figures = ProgramWeek(**counts.totals)
            link = "/"
        else:
            figures = MentorWeek(
                learners=counts.learners.get(user_id, 0),
                waiting=counts.waiting.get(user_id, 0),
                help=counts.help.get(user_id, 0),
                sessions=counts.sessions.get(user_id, 0),
            )
            link = "/reviews/queue/"
        said = weekly_digest_text(week, figures, language_of(user_id))
        yield Reminder(user_id, Kind.WEEKLY_DIGEST, *said, link, f"weekly_digest:{user_id}:{week}")
