"""The progress engine's database part: the facts of many enrollments in a fixed number of queries.

Each function runs one aggregated ``.values()`` query whatever the number of enrollments or
assignments, and returns plain tuples and dicts for the pure functions in ``engine.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import F, Max, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from curriculum import clock
from curriculum.models import Assignment
from learners.models import Enrollment, Pause, ProgressLog, Submission
from mentors.models import MentorSession

from .engine import (
    AssignmentRow,
    EnrollmentFacts,
    LatestSubmission,
    ProgramPlan,
    local_date,
    zone,
)

ENROLLMENT_FIELDS = (
    "pk",
    "status",
    "enrolled_at",
    "status_changed_at",
    "cohort_id",
    "cohort__start_date",
    "cohort__timezone",
    "cohort__program_id",
)


# Up to this many enrollments are passed to the other queries as a list of ids; beyond it the
# caller's queryset becomes a subquery so no query ever carries thousands of parameters.
MAX_ID_LIST = 900


def load_enrollments(enrollments: Any) -> tuple[list[dict[str, Any]], Any]:
    """The enrollments' rows (one query) and a value usable in ``enrollment_id__in=``.

    ``enrollments`` is a queryset (sliced or not), or an iterable of enrollments or ids.
    """
    if isinstance(enrollments, QuerySet):
        if enrollments.query.is_sliced:
            rows = list(enrollments.values(*ENROLLMENT_FIELDS))
            return rows, [row["pk"] for row in rows]
        unordered = enrollments.order_by()
        rows = list(unordered.values(*ENROLLMENT_FIELDS))
        if len(rows) > MAX_ID_LIST:
            return rows, unordered.values("pk")
        return rows, [row["pk"] for row in rows]
    ids = [e if isinstance(e, int) else e.pk for e in enrollments]
    if not ids:
        return [], []
    rows = list(Enrollment.objects.filter(pk__in=ids).order_by().values(*ENROLLMENT_FIELDS))
    return rows, [row["pk"] for row in rows]


def fetch_plans(program_ids: Iterable[int]) -> dict[int, ProgramPlan]:
    rows: dict[int, list[AssignmentRow]] = {pid: [] for pid in program_ids}
    if not rows:
        return {}
    for program_id, *values in Assignment.objects.filter(program_id__in=list(rows)).values_list(
        "program_id", "id", "title", "kind", "due_week", "weight", "module_id", "order"
    ):
        rows[program_id].append(AssignmentRow(*values))
    return {pid: ProgramPlan.build(assignments) for pid, assignments in rows.items()}


def fetch_pauses(scope: Any) -> dict[int, tuple[tuple[dt.date, dt.date], ...]]:
    pauses: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for enrollment_id, start, end in (
        Pause.objects.filter(enrollment_id__in=scope)
        .order_by("enrollment_id", "start")
        .values_list("enrollment_id", "start", "end")
    ):
        pauses.setdefault(enrollment_id, []).append((start, end))
    return {key: tuple(value) for key, value in pauses.items()}


def latest_submissions_query(scope: Any) -> QuerySet:
    """The latest version of every (enrollment, assignment), one row each, via a window."""
    return (
        Submission.objects.filter(enrollment_id__in=scope)
        .annotate(
            row_number=Window(
                RowNumber(),
                partition_by=[F("enrollment_id"), F("assignment_id")],
                order_by=F("version").desc(),
            )
        )
        .filter(row_number=1)
        .order_by()
    )


def fetch_latest_submissions(scope: Any) -> dict[int, dict[int, LatestSubmission]]:
    latest: dict[int, dict[int, LatestSubmission]] = {}
    for enrollment_id, *values in latest_submissions_query(scope).values_list(
        "enrollment_id", "assignment_id", "version", "status", "submitted_at", "status_changed_at"
    ):
        latest.setdefault(enrollment_id, {})[values[0]] = LatestSubmission(*values)
    return latest


def fetch_log_summary(scope: Any) -> dict[int, tuple[dt.datetime | None, dt.date | None]]:
    """Per enrollment: when the last progress log was written and the last day one covers."""
    return {
        row["enrollment_id"]: (row["last_created"], row["last_logged"])
        for row in ProgressLog.objects.filter(enrollment_id__in=scope)
        .order_by()
        .values("enrollment_id")
        .annotate(last_created=Max("created_at"), last_logged=Max("logged_on"))
    }


def fetch_recent_minutes(
    scope: Any, first_day: dt.date, last_day: dt.date
) -> dict[int, dict[dt.date, int]]:
    """Minutes logged per enrollment and day between two days (inclusive)."""
    minutes: dict[int, dict[dt.date, int]] = {}
    for row in (
        ProgressLog.objects.filter(
            enrollment_id__in=scope, logged_on__gte=first_day, logged_on__lte=last_day
        )
        .order_by()
        .values("enrollment_id", "logged_on")
        .annotate(total=Sum("minutes"))
    ):
        minutes.setdefault(row["enrollment_id"], {})[row["logged_on"]] = row["total"]
    return minutes


def fetch_recent_sessions(scope: Any, streak: int, now: dt.datetime) -> dict[int, tuple[str, ...]]:
    """The active pairing's last ``streak`` sessions with a final verdict (completed or
    missed; a cancelled session is neither), newest first."""
    if streak <= 0:
        return {}
    recent: dict[int, list[str]] = {}
    rows = (
        MentorSession.objects.filter(
            enrollment_id__in=scope,
            pairing__ended_at__isnull=True,
            status__in=[MentorSession.Status.COMPLETED, MentorSession.Status.MISSED],
            scheduled_at__lte=now,
        )
        .annotate(
            row_number=Window(
                RowNumber(),
                partition_by=[F("enrollment_id")],
                order_by=[F("scheduled_at").desc(), F("id").desc()],
            )
        )
        .filter(row_number__lte=streak)
        .order_by()
        .values_list("enrollment_id", "row_number", "status")
    )
    for enrollment_id, _row_number, status in sorted(rows):
        recent.setdefault(enrollment_id, []).append(status)
    return {key: tuple(value) for key, value in recent.items()}


class TodayByZone:
    """The local date per cohort time zone, asked of the one clock once per zone."""

    def __init__(self, fixed: dt.date | None = None) -> None:
        self.fixed = fixed
        self._dates: dict[str, dt.date] = {}

    def __call__(self, tz_name: str) -> dt.date:
        if self.fixed is not None:
            return self.fixed
        found = self._dates.get(tz_name)
        if found is None:
            found = self._dates[tz_name] = clock.today(tz_name)
        return found


def facts_from_row(
    row: dict[str, Any],
    *,
    pauses: dict[int, tuple[tuple[dt.date, dt.date], ...]],
    latest: dict[int, dict[int, LatestSubmission]],
    logs: dict[int, tuple[dt.datetime | None, dt.date | None]] | None = None,
    minutes: dict[int, dict[dt.date, int]] | None = None,
    sessions: dict[int, tuple[str, ...]] | None = None,
) -> EnrollmentFacts:
    pk = row["pk"]
    tz_name = row["cohort__timezone"]
    tz = zone(tz_name)
    changed_at = row["status_changed_at"]
    last_created, last_logged = (logs or {}).get(pk, (None, None))
    return EnrollmentFacts(
        enrollment_id=pk,
        status=row["status"],
        start_date=row["cohort__start_date"],
        timezone=tz_name,
        enrolled_on=local_date(row["enrolled_at"], tz),
        closed_on=local_date(changed_at, tz) if changed_at is not None else None,
        pauses=pauses.get(pk, ()),
        latest=latest.get(pk, {}),
        last_log_created_at=last_created,
        last_logged_on=last_logged,
        minutes_by_day=(minutes or {}).get(pk, {}),
        recent_session_statuses=(sessions or {}).get(pk, ()),
    )
