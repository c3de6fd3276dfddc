"""The progress engine's database part: the facts of many enrollments in a fixed number of queries.

Each function runs one aggregated ``.values()`` query whatever the number of enrollments or
assignments, and returns plain tuples and dicts for the pure functions in ``engine.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import F, Max, Q, QuerySet, Sum, TextField, Window
from django.db.models.functions import Cast, RowNumber

from curriculum.kernel import clock
from curriculum.models import Assignment, Module
from learners.models import Enrollment, Pause, ProgressLog, Submission
from mentors.models import MentorSession

from .engine import (
    AssignmentRow,
    EnrollmentFacts,
    LatestSubmission,
    ProgramPlan,
    db_date,
    db_datetime,
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


def fetch_modules(program_ids: Iterable[int]) -> dict[int, list[tuple[int, str, int, int]]]:
    """Each program's modules as ``(id, title, order, expected_hours)``, by order."""
    modules: dict[int, list[tuple[int, str, int, int]]] = {pid: [] for pid in program_ids}
    if not modules:
        return {}
    for program_id, *values in (
        Module.objects.filter(program_id__in=list(modules))
        .order_by("program_id", "order")
        .values_list("program_id", "id", "title", "order", "expected_hours")
    ):
        modules[program_id].append(tuple(values))
    return modules


def raw_rows(queryset: QuerySet) -> list[tuple]:
    """The rows of a ``values_list()`` queryset straight from the database driver.

    Skips Django's per-row converters, the largest cost of the hot progress reads: callers
    convert the few values they use (``engine.db_datetime``, ``engine.db_date``). Columns come
    in SELECT order (model fields, then annotations), so callers list annotations last.
    """
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_pauses(scope: Any) -> dict[int, tuple[tuple[dt.date, dt.date], ...]]:
    pauses: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for enrollment_id, start, end in raw_rows(
        Pause.objects.filter(enrollment_id__in=scope)
        .order_by("enrollment_id", "start")
        .values_list("enrollment_id", "start", "end")
    ):
        pauses.setdefault(enrollment_id, []).append((db_date(start), db_date(end)))
    return {key: tuple(value) for key, value in pauses.items()}


def raw_instant(field: str) -> Any:
    """An instant column for ``raw_rows``. On SQLite it is read as its stored text: the driver's
    own datetime parsing of every row would cost more than the rest of the query. PostgreSQL's
    driver gives aware datetimes cheaply."""
    if connection.vendor == "sqlite":
        return Cast(field, output_field=TextField())
    return F(field)


def fetch_latest_versions(
    scope: Any, *, with_submitted_at: bool = True, with_status_changed_at: bool = True
) -> dict[int, dict]:
    """The latest version of every (enrollment, assignment) of the enrollments in ``scope``:
    ``{enrollment_id: {assignment_id: (assignment_id, version, status[, submitted_at[,
    status_changed_at]])}}`` with raw instants (``status_changed_at`` only with
    ``submitted_at``). Without the instants, nothing but integers and text is read: a cohort's
    thousands of instants are most of the driver's work.

    Every version is read and the highest kept in Python: resubmissions are few, and this
    measured twice as fast as a ``ROW_NUMBER()`` window (which needs a sort) on SQLite.
    """
    instants = {"submitted_raw": raw_instant("submitted_at")} if with_submitted_at else {}
    if with_submitted_at and with_status_changed_at:
        instants["changed_raw"] = raw_instant("status_changed_at")
    rows = raw_rows(
        Submission.objects.filter(enrollment_id__in=scope)
        .order_by()
        .annotate(**instants)
        .values_list("enrollment_id", "assignment_id", "version", "status", *instants)
    )
    latest: dict[int, dict] = {}
    for enrollment_id, *values in rows:
        of_enrollment = latest.get(enrollment_id)
        if of_enrollment is None:
            of_enrollment = latest[enrollment_id] = {}
        current = of_enrollment.get(values[0])
        if current is None or values[1] > current[1]:
            of_enrollment[values[0]] = values
    return latest


def fetch_latest_submissions(scope: Any) -> dict[int, dict[int, LatestSubmission]]:
    return {
        enrollment_id: {
            assignment_id: LatestSubmission(*values) for assignment_id, values in by_id.items()
        }
        for enrollment_id, by_id in fetch_latest_versions(scope).items()
    }


class LogSummary(NamedTuple):
    last_created_at: dt.datetime | None
    last_logged_on: dt.date | None
    # Minutes logged over the seven days ending on each requested day.
    minutes_7d: dict[dt.date, int]
    # Every minute logged, per module (the per-module detail stored with the progress row).
    minutes_by_module: dict[int, int]


def fetch_log_summary(scope: Any, days: Iterable[dt.date]) -> dict[int, LogSummary]:
    """Per enrollment: when the last progress log was written, the last day one covers, the
    minutes of the week ending on each of ``days`` (one per cohort time zone's today; usually
    one) and every minute per module, all in one query grouped by enrollment and module (a
    learner's modules are few, so the rows are a handful per enrollment)."""
    days = sorted(set(days))
    weeks = {
        f"week_{n}": Sum(
            "minutes", filter=Q(logged_on__gte=day - dt.timedelta(days=6), logged_on__lte=day)
        )
        for n, day in enumerate(days)
    }
    query = (
        ProgressLog.objects.filter(enrollment_id__in=scope)
        .order_by()
        .values("enrollment_id", "module_id")
        .annotate(
            last_created=Max("created_at"),
            last_logged=Max("logged_on"),
            total=Sum("minutes"),
            **weeks,
        )
        .values_list("enrollment_id", "module_id", "last_created", "last_logged", "total", *weeks)
    )
    found: dict[int, LogSummary] = {}
    for enrollment_id, module_id, last_created, last_logged, total, *week_minutes in raw_rows(
        query
    ):
        created = db_datetime(last_created)
        logged = db_date(last_logged)
        minutes = [minutes or 0 for minutes in week_minutes]
        before = found.get(enrollment_id)
        if before is None:
            found[enrollment_id] = LogSummary(
                created, logged, dict(zip(days, minutes, strict=True)), {module_id: total or 0}
            )
            continue
        for day, more in zip(days, minutes, strict=True):
            before.minutes_7d[day] += more
        before.minutes_by_module[module_id] = total or 0
        found[enrollment_id] = before._replace(
            last_created_at=_latest(before.last_created_at, created),
            last_logged_on=_latest(before.last_logged_on, logged),
        )
    return found


def _latest(first: Any, second: Any) -> Any:
    if first is None:
        return second
    if second is None:
        return first
    return max(first, second)


def fetch_recent_sessions(scope: Any, streak: int, now: dt.datetime) -> dict[int, tuple[str, ...]]:
    """The active pairing's last ``streak`` sessions with a final verdict (completed or
    missed; a cancelled session is neither), newest first."""
    if streak <= 0:
        return {}
    rows = raw_rows(
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
        .values_list("enrollment_id", "status", "row_number")
    )
    recent: dict[int, list[str]] = {}
    for enrollment_id, status, _row_number in sorted(rows, key=lambda r: (r[0], r[2])):
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
    today: dt.date,
    pauses: dict[int, tuple[tuple[dt.date, dt.date], ...]],
    latest: dict[int, dict[int, LatestSubmission]],
    logs: dict[int, LogSummary] | None = None,
    sessions: dict[int, tuple[str, ...]] | None = None,
) -> EnrollmentFacts:
    pk = row["pk"]
    tz_name = row["cohort__timezone"]
    tz = zone(tz_name)
    changed_at = row["status_changed_at"]
    log = (logs or {}).get(pk)
    return EnrollmentFacts(
        enrollment_id=pk,
        status=row["status"],
        start_date=row["cohort__start_date"],
        timezone=tz_name,
        enrolled_on=local_date(row["enrolled_at"], tz),
        closed_on=local_date(changed_at, tz) if changed_at is not None else None,
        pauses=pauses.get(pk, ()),
        latest=latest.get(pk, {}),
        last_log_created_at=log.last_created_at if log else None,
        last_logged_on=log.last_logged_on if log else None,
        minutes_logged_7d=log.minutes_7d.get(today, 0) if log else 0,
        recent_session_statuses=(sessions or {}).get(pk, ()),
        minutes_by_module=log.minutes_by_module if log else {},
    )
