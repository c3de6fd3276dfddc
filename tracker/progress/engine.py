"""The progress engine's pure part: plain facts in, a ``Progress`` out. No database here.

``fetch.py`` gathers the facts of many enrollments in a fixed number of queries; this module turns
the facts of one enrollment into every progress field of the contract.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings

from curriculum.kernel.zones import zone

from .schedule import (
    Pause,
    active_days_between,
    due_dates_for,
    expected_weight,
    schedule_day,
    weight_curve,
)

# The version of the answers this engine gives. Stored report rows computed under another
# version are computed again (``snapshots.basis``). Bump it BY HAND in the same commit as any
# change that makes the engine answer differently for the same facts (a rule, a rounding, a
# field of the stored row); a refactoring that keeps every answer keeps the number.
# 2: the stored row gained the progress detail (``ProgressSnapshot.detail``); a row stored by
# version 1 code (during a deploy, say) would keep an older detail beside a fresh token.
ENGINE_VERSION = 2

APPROVED = "approved"
SUBMITTED = "submitted"
CHANGES_REQUESTED = "changes_requested"
NOT_STARTED = "not_started"
MILESTONE = "milestone"
MISSED = "missed"

ACTIVE = "active"
PAUSED = "paused"
WITHDRAWN = "withdrawn"
GRADUATED = "graduated"
CLOSED_STATUSES = frozenset({WITHDRAWN, GRADUATED})

# Risk reason codes, in the order they are reported.
BEHIND_SCHEDULE = "behind_schedule"
OVERDUE_MILESTONE = "overdue_milestone"
INACTIVE = "inactive"
MISSED_SESSIONS = "missed_sessions"
STALE_CHANGES_REQUESTED = "stale_changes_requested"

PACE_AHEAD = "ahead"
PACE_ON_TRACK = "on_track"
PACE_AT_RISK = "at_risk"
PACE_BEHIND = "behind"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The ``STRIDE_*`` settings the engine reads (documented in the README)."""

    ahead_margin: float = 10.0
    at_risk_margin: float = -10.0
    behind_margin: float = -25.0
    inactive_days: int = 7
    missed_sessions_streak: int = 2
    stale_changes_days: int = 7
    velocity_window_days: int = 28

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            ahead_margin=settings.STRIDE_PACE_AHEAD_MARGIN,
            at_risk_margin=settings.STRIDE_PACE_AT_RISK_MARGIN,
            behind_margin=settings.STRIDE_PACE_BEHIND_MARGIN,
            inactive_days=settings.STRIDE_INACTIVE_DAYS,
            missed_sessions_streak=settings.STRIDE_MISSED_SESSIONS_STREAK,
            stale_changes_days=settings.STRIDE_STALE_CHANGES_DAYS,
            velocity_window_days=settings.STRIDE_VELOCITY_WINDOW_DAYS,
        )


class AssignmentRow(NamedTuple):
    id: int
    title: str
    kind: str
    due_week: int
    weight: int
    module_id: int | None
    order: int


class LatestSubmission(NamedTuple):
    """The latest version of one (enrollment, assignment). The instants are as the database
    driver gives them (see ``db_datetime``) and are converted only where needed."""

    assignment_id: int
    version: int
    status: str
    submitted_at: dt.datetime | str
    status_changed_at: dt.datetime | str


@dataclass(frozen=True, slots=True)
class ProgramPlan:
    """A program's assignments in due order, with the cumulative weight curve of its schedule."""

    assignments: tuple[AssignmentRow, ...]
    total_weight: int
    due_weeks: tuple[int, ...]
    curve: tuple[tuple[int, ...], ...]
    # Assignment id -> position in ``assignments``; positions of the milestones.
    index: dict[int, int]
    milestones: tuple[int, ...]

    @classmethod
    def build(cls, assignments: list[AssignmentRow]) -> ProgramPlan:
        ordered = tuple(sorted(assignments, key=lambda a: (a.due_week, a.order, a.id)))
        return cls(
            assignments=ordered,
            total_weight=sum(a.weight for a in ordered),
            due_weeks=tuple(a.due_week for a in ordered),
            curve=weight_curve((a.due_week, a.weight) for a in ordered),
            index={a.id: position for position, a in enumerate(ordered)},
            milestones=tuple(p for p, a in enumerate(ordered) if a.kind == MILESTONE),
        )


@dataclass(slots=True)
class EnrollmentFacts:
    """Everything the engine needs to know about one enrollment, as plain values."""

    enrollment_id: int
    status: str
    start_date: dt.date
    timezone: str
    enrolled_on: dt.date
    closed_on: dt.date | None = None
    pauses: tuple[Pause, ...] = ()
    latest: dict[int, LatestSubmission] = field(default_factory=dict)
    last_log_created_at: dt.datetime | None = None
    last_logged_on: dt.date | None = None
    # Minutes logged over the seven days ending today (today included).
    minutes_logged_7d: int = 0
    # Statuses of the active pairing's latest completed/missed sessions, newest first.
    recent_session_statuses: tuple[str, ...] = ()
    # Every minute logged, per module id (the per-module detail, not the progress fields).
    minutes_by_module: dict[int, int] = field(default_factory=dict)


class NextDue(NamedTuple):
    assignment_id: int
    title: str
    due_date: dt.date

    def as_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment_id,
            "title": self.title,
            "date": self.due_date.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Progress:
    enrollment_id: int
    percent_complete: float
    expected_percent: float
    pace: str
    risk_reasons: list[str]
    last_activity_at: dt.datetime | None
    overdue_count: int
    next_due: NextDue | None
    minutes_logged_7d: int
    projected_completion: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        """The contract's JSON shape (dates as ``YYYY-MM-DD``, instants as ISO 8601)."""
        return {
            "enrollment": self.enrollment_id,
            "percent_complete": self.percent_complete,
            "expected_percent": self.expected_percent,
            "pace": self.pace,
            "risk_reasons": list(self.risk_reasons),
            "last_activity_at": iso_datetime(self.last_activity_at),
            "overdue_count": self.overdue_count,
            "next_due": self.next_due.as_dict() if self.next_due else None,
            "minutes_logged_7d": self.minutes_logged_7d,
            "projected_completion": (
                self.projected_completion.isoformat() if self.projected_completion else None
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Progress:
        """The values back from ``as_dict``'s JSON shape (a stored report row, for instance)."""
        last_activity = data["last_activity_at"]
        next_due = data["next_due"]
        projected = data["projected_completion"]
        return cls(
            enrollment_id=data["enrollment"],
            percent_complete=data["percent_complete"],
            expected_percent=data["expected_percent"],
            pace=data["pace"],
            risk_reasons=list(data["risk_reasons"]),
            last_activity_at=dt.datetime.fromisoformat(last_activity) if last_activity else None,
            overdue_count=data["overdue_count"],
            next_due=(
                NextDue(
                    next_due["assignment"],
                    next_due["title"],
                    dt.date.fromisoformat(next_due["date"]),
                )
                if next_due
                else None
            ),
            minutes_logged_7d=data["minutes_logged_7d"],
            projected_completion=dt.date.fromisoformat(projected) if projected else None,
        )


def iso_datetime(value: dt.datetime | None) -> str | None:
    """ISO 8601 the way DRF writes it (``Z`` for UTC)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def local_date(value: dt.datetime, tz: ZoneInfo) -> dt.date:
    return value.astimezone(tz).date()


def db_datetime(value: dt.datetime | str | None) -> dt.datetime | None:
    """An aware datetime from a raw database value. PostgreSQL's driver gives aware datetimes;
    SQLite gives Django's naive UTC values, as text or (where the column type is known) as naive
    datetimes. Reading raw values and converting only the few that are used keeps Django's
    per-row converters off the hot path."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def db_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value[:10])


def local_day(value: dt.datetime | str, tz: ZoneInfo) -> dt.date:
    """The local date in ``tz`` of a raw database instant."""
    if tz.key == "UTC":
        if isinstance(value, str):
            return dt.date.fromisoformat(value[:10])
        if value.tzinfo is None:
            return value.date()
    return db_datetime(value).astimezone(tz).date()


def iso_from_db(value: dt.datetime | str | None) -> str | None:
    """ISO 8601 (``Z`` for UTC) of a raw database instant."""
    if isinstance(value, str):
        return value.replace(" ", "T", 1) + "Z"
    return iso_datetime(db_datetime(value))


def reference_day(status: str, closed_on: dt.date | None, today: dt.date) -> dt.date:
    """The day the schedule is read on: ``today``, except that a withdrawn learner's schedule
    stops on the (local) day they left."""
    if status == WITHDRAWN and closed_on is not None and closed_on < today:
        return closed_on
    return today


def is_overdue(status: str, due_date: dt.date, on_day: dt.date) -> bool:
    """An assignment is overdue when its latest version is not approved (or there is none:
    ``not_started``) and its due date is before the reference day (``reference_day``)."""
    return status != APPROVED and due_date < on_day


# Most urgent first: the order of the "at risk" list and of the mentor's learners by pace.
PACE_URGENCY = {PACE_BEHIND: 0, PACE_AT_RISK: 1, PACE_ON_TRACK: 2, PACE_AHEAD: 3}


def urgency(pace: str) -> int:
    return PACE_URGENCY.get(pace, len(PACE_URGENCY))


def needs_attention(progress: Progress) -> bool:
    """Whether a learner belongs on the staff "at risk" list: at risk or behind, or any risk
    reason at all (an ahead learner with a missed session streak included)."""
    return progress.pace in (PACE_AT_RISK, PACE_BEHIND) or bool(progress.risk_reasons)


def pace_for(
    percent_complete: float, expected_percent: float, risk_reasons: list[str], t: Thresholds
) -> str:
    """The pace word, from ``diff = percent_complete - expected_percent`` (percentage points).

    Checked in this order, the first that holds wins:

    1. ``ahead``    when diff >= ``STRIDE_PACE_AHEAD_MARGIN`` (default +10);
    2. ``behind``   when diff <  ``STRIDE_PACE_BEHIND_MARGIN`` (default -25);
    3. ``at_risk``  when diff <  ``STRIDE_PACE_AT_RISK_MARGIN`` (default -10) or any risk reason
       holds (overdue milestone, inactive, missed sessions, stale changes requested);
    4. ``on_track`` otherwise.
    """
    diff = percent_complete - expected_percent
    if diff >= t.ahead_margin:
        return PACE_AHEAD
    if diff < t.behind_margin:
        return PACE_BEHIND
    if diff < t.at_risk_margin or risk_reasons:
        return PACE_AT_RISK
    return PACE_ON_TRACK


def percent_complete_of(
    plan: ProgramPlan, latest: dict[int, LatestSubmission], *, graduated: bool = False
) -> float:
    """Weight of assignments whose latest version is approved, over the program's weight."""
    if plan.total_weight == 0:
        return 100.0 if graduated else 0.0
    approved = sum(
        a.weight
        for a in plan.assignments
        if (sub := latest.get(a.id)) is not None and sub.status == APPROVED
    )
    return _percent(approved, plan.total_weight)


def expected_percent_on(
    plan: ProgramPlan, start: dt.date, day: dt.date, pauses: tuple[Pause, ...]
) -> float:
    """Where the schedule says the learner should be at the end of ``day`` (0-100)."""
    if plan.total_weight == 0:
        return 0.0
    position = schedule_day(start, day, pauses)
    return _percent(expected_weight(plan.curve, position), plan.total_weight)


def _percent(part: float, whole: float) -> float:
    return round(min(100.0, max(0.0, part * 100.0 / whole)), 1)


def compute_progress(
    facts: EnrollmentFacts,
    plan: ProgramPlan,
    today: dt.date,
    t: Thresholds,
    due_dates: list[dt.date] | None = None,
) -> Progress:
    """Every progress field of one enrollment on ``today`` (the cohort's local date)."""
    tz = zone(facts.timezone)
    if due_dates is None:
        due_dates = due_dates_for(facts.start_date, plan.due_weeks, facts.pauses)
    status = facts.status
    closed = status in CLOSED_STATUSES
    on_day = reference_day(status, facts.closed_on, today)

    latest = facts.latest
    index = plan.index
    # Due dates never decrease along the plan, so "due before the reference day" is a prefix:
    # ``overdue_count`` counts ``is_overdue`` over it, without a test per assignment.
    past_due = bisect.bisect_left(due_dates, on_day)
    approved: set[int] = set()
    approved_weight = 0
    approved_past_due = 0
    stale_changes = False
    last_approved_on: dt.date | None = None
    velocity_weight = 0
    velocity_since = today - dt.timedelta(days=t.velocity_window_days)
    last_submitted: Any = None

    for sub in latest.values():
        position = index.get(sub.assignment_id)
        if position is None:
            continue
        if last_submitted is None or sub.submitted_at > last_submitted:
            last_submitted = sub.submitted_at
        if sub.status == APPROVED:
            weight = plan.assignments[position].weight
            approved.add(position)
            approved_weight += weight
            if position < past_due:
                approved_past_due += 1
            approved_on = local_day(sub.status_changed_at, tz)
            if last_approved_on is None or approved_on > last_approved_on:
                last_approved_on = approved_on
            if velocity_since < approved_on <= today:
                velocity_weight += weight
        elif (
            sub.status == CHANGES_REQUESTED
            and (today - local_day(sub.status_changed_at, tz)).days > t.stale_changes_days
        ):
            stale_changes = True

    overdue_count = past_due - approved_past_due
    overdue_milestone = any(
        position < past_due and position not in approved for position in plan.milestones
    )
    next_due: NextDue | None = None
    if not closed:
        position = past_due
        while position < len(due_dates) and position in approved:
            position += 1
        if position < len(due_dates):
            upcoming = plan.assignments[position]
            next_due = NextDue(upcoming.id, upcoming.title, due_dates[position])
    last_submitted_at = db_datetime(last_submitted)

    total = plan.total_weight
    if total:
        percent_complete = _percent(approved_weight, total)
    else:
        percent_complete = 100.0 if status == GRADUATED else 0.0
    if status == GRADUATED:
        expected_percent = 100.0
    else:
        expected_percent = expected_percent_on(plan, facts.start_date, on_day, facts.pauses)

    risk_reasons: list[str] = []
    if not closed:
        if percent_complete - expected_percent < t.at_risk_margin:
            risk_reasons.append(BEHIND_SCHEDULE)
        if overdue_milestone:
            risk_reasons.append(OVERDUE_MILESTONE)
        if status == ACTIVE and _is_inactive(facts, today, tz, t):
            risk_reasons.append(INACTIVE)
        streak = t.missed_sessions_streak
        recent = facts.recent_session_statuses[:streak]
        if streak > 0 and len(recent) == streak and all(s == MISSED for s in recent):
            risk_reasons.append(MISSED_SESSIONS)
        if stale_changes:
            risk_reasons.append(STALE_CHANGES_REQUESTED)

    last_activity_at = facts.last_log_created_at
    if last_submitted_at is not None and (
        last_activity_at is None or last_submitted_at > last_activity_at
    ):
        last_activity_at = last_submitted_at

    projected: dt.date | None = None
    if total and approved_weight >= total:
        projected = last_approved_on
    elif status != WITHDRAWN and velocity_weight > 0 and t.velocity_window_days > 0:
        per_day = velocity_weight / t.velocity_window_days
        projected = today + dt.timedelta(days=math.ceil((total - approved_weight) / per_day))

    return Progress(
        enrollment_id=facts.enrollment_id,
        percent_complete=percent_complete,
        expected_percent=expected_percent,
        pace=pace_for(percent_complete, expected_percent, risk_reasons, t),
        risk_reasons=risk_reasons,
        last_activity_at=last_activity_at,
        overdue_count=overdue_count,
        next_due=next_due,
        minutes_logged_7d=facts.minutes_logged_7d,
        projected_completion=projected,
    )


def _is_inactive(facts: EnrollmentFacts, today: dt.date, tz: ZoneInfo, t: Thresholds) -> bool:
    """No progress log for ``inactive_days`` unpaused days, counted from the last log (the day
    it covers or the day it was written, whichever is later) or, before any, from the later of
    enrollment and cohort start."""
    if today < facts.start_date or t.inactive_days <= 0:
        return False
    since = max(facts.enrolled_on, facts.start_date)
    if facts.last_logged_on is not None:
        since = facts.last_logged_on
        if facts.last_log_created_at is not None:
            since = max(since, local_date(facts.last_log_created_at, tz))
    return active_days_between(since, today, facts.pauses) >= t.inactive_days
