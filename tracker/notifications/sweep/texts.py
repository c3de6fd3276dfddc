"""What each sweep reminder says. Pure (no database, no clock); NamedTuples, since the sweep
makes hundreds of thousands of them."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


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


def assignment_text(title: str, due: dt.date, today: dt.date) -> DueSoonText | OverdueText:
    """What every learner with this due date on this day is told about the assignment."""
    days_left = (due - today).days
    if days_left >= 0:
        when_text = {0: "today", 1: "tomorrow"}.get(days_left, f"in {days_left} days")
        return DueSoonText(
            days_left=days_left,
            subject=f"“{title}” is due {when_text}",
            body=f"Your assignment “{title}” is due on {due:%A %-d %B} ({when_text}). "
            "Submit your work before the end of the day.",
            due_on=due.isoformat(),
        )
    late = -days_left
    body = (
        f"“{title}” was due on {due:%A %-d %B}, {late} day{'s' * (late != 1)} ago, "
        "and is not approved yet."
    )
    return OverdueText(
        days_left=days_left,
        subject=f"“{title}” is overdue",
        body=body,
        week_overdue=(late - 1) // 7,
        mentor_subject=f"A learner's “{title}” is overdue",
        mentor_body=f"{body} You mentor this learner.",
    )


def inactive_text(idle_days: int, since: dt.date) -> tuple[Text, Text]:
    """What the learner is told, and what their mentor is."""
    body = f"No progress has been logged for {idle_days} days (since {since:%-d %B})."
    return (
        Text(
            "Log your progress to keep your pace",
            body + " Even a short session keeps the momentum going.",
        ),
        Text(f"A learner has been inactive for {idle_days} days", body + " Consider reaching out."),
    )


def review_waiting_text(
    *, title: str, version: int, submitted_at: dt.datetime, hours: int, has_mentor: bool
) -> tuple[Text, Text]:
    """What the mentor is told, and what staff are."""
    subject = f"“{title}” (v{version}) has waited {hours} hours for review"
    return (
        Text(
            subject,
            f"A submission of “{title}” has been waiting for your review since "
            f"{submitted_at:%-d %B %H:%M} UTC.",
        ),
        Text(
            subject,
            f"A submission of “{title}” has waited {hours} hours without a review"
            + ("." if has_mentor else " and the learner has no active mentor."),
        ),
    )


def session_upcoming_text(minutes: int, local_start: dt.datetime, zone_name: str) -> Text:
    return Text(
        f"Mentor session {local_start:%a %-d %b, %H:%M} ({zone_name})",
        f"Your {minutes}-minute mentor session starts on {local_start:%A %-d %B at %H:%M} "
        f"({zone_name}).",
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


def weekly_digest_text(week: str, figures: MentorWeek | ProgramWeek) -> Text:
    """A mentor's week (their learners) or a staff member's (every cohort)."""
    if isinstance(figures, ProgramWeek):
        body = (
            f"This week across all cohorts: {figures.active} active learners "
            f"({figures.unpaired} without a mentor), {figures.waiting} submissions "
            f"waiting for review, {figures.help} open help requests and "
            f"{figures.sessions} sessions scheduled."
        )
    else:
        body = (
            f"This week: {figures.learners} learners paired with you, "
            f"{figures.waiting} submissions waiting for your review, "
            f"{figures.help} open help requests and "
            f"{figures.sessions} sessions in the next seven days."
        )
    return Text(f"Your Stride week {week}", body)
