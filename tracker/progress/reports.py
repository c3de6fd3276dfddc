"""The engine's reads, for ``selectors`` and ``snapshots``: progress of many enrollments, one
enrollment's detail and the cohort matrix. Each runs a fixed number of queries (fetch) and then
pure Python (engine)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from curriculum.kernel import clock
from curriculum.models import Cohort
from learners.models import Enrollment

from . import fetch
from .engine import (
    APPROVED,
    NOT_STARTED,
    EnrollmentFacts,
    ProgramPlan,
    Progress,
    Thresholds,
    compute_progress,
    is_overdue,
    iso_from_db,
    local_date,
    reference_day,
    zone,
)
from .fetch import (
    TodayByZone,
    facts_from_row,
    fetch_latest_submissions,
    fetch_latest_versions,
    fetch_log_summary,
    fetch_modules,
    fetch_pauses,
    fetch_plans,
    fetch_recent_sessions,
    load_enrollments,
)
from .rendering import EncodedJSON, to_json
from .schedule import due_dates_for


def _gather(
    enrollments: Any, today: dt.date | None
) -> tuple[dict[int, Progress], dict[int, EnrollmentFacts], dict[int, ProgramPlan], TodayByZone]:
    rows, scope = load_enrollments(enrollments)
    return _gather_rows(rows, scope, today)


def _gather_rows(
    rows: list[dict[str, Any]], scope: Any, today: dt.date | None
) -> tuple[dict[int, Progress], dict[int, EnrollmentFacts], dict[int, ProgramPlan], TodayByZone]:
    today_for = TodayByZone(today)
    if not rows:
        return {}, {}, {}, today_for
    thresholds = Thresholds.from_settings()
    plans = fetch_plans({row["cohort__program_id"] for row in rows})
    pauses = fetch_pauses(scope)
    latest = fetch_latest_submissions(scope)
    logs = fetch_log_summary(scope, [today_for(row["cohort__timezone"]) for row in rows])
    sessions = fetch_recent_sessions(scope, thresholds.missed_sessions_streak, clock.now())

    progress: dict[int, Progress] = {}
    facts_by_id: dict[int, EnrollmentFacts] = {}
    # Enrollments without pauses share their cohort's due dates: compute those once.
    shared_dues: dict[tuple[dt.date, int], list[dt.date]] = {}
    for row in rows:
        today_here = today_for(row["cohort__timezone"])
        facts = facts_from_row(
            row, today=today_here, pauses=pauses, latest=latest, logs=logs, sessions=sessions
        )
        facts_by_id[row["pk"]] = facts
        plan = plans[row["cohort__program_id"]]
        if facts.pauses:
            dues = due_dates_for(facts.start_date, plan.due_weeks, facts.pauses)
        else:
            key = (facts.start_date, row["cohort__program_id"])
            dues = shared_dues.get(key)
            if dues is None:
                dues = shared_dues[key] = due_dates_for(facts.start_date, plan.due_weeks, ())
        progress[row["pk"]] = compute_progress(facts, plan, today_here, thresholds, dues)
    return progress, facts_by_id, plans, today_for


def progress_for_enrollments(
    enrollments: QuerySet[Enrollment] | Any, *, today: dt.date | None = None
) -> dict[int, Progress]:
    """Progress of every enrollment given, keyed by enrollment id, in six queries
    whatever the number of enrollments or assignments.

    ``today`` defaults to each cohort's local date (``clock.today(cohort.timezone)``).
    """
    return _gather(enrollments, today)[0]


def progress_for_rows(
    rows: list[dict[str, Any]],
    *,
    scope: QuerySet[Enrollment] | None = None,
    today: dt.date | None = None,
) -> dict[int, Progress]:
    """Progress of enrollments the caller already loaded as ``.values()`` rows holding at least
    ``fetch.ENROLLMENT_FIELDS`` (extra keys are ignored), so they are not read again.

    ``scope`` is the queryset the rows came from; beyond ``fetch.MAX_ID_LIST`` rows the other
    queries use it as a subquery instead of a long list of ids.
    """
    if scope is not None and len(rows) > fetch.MAX_ID_LIST:
        return _gather_rows(rows, scope.order_by().values("pk"), today)[0]
    return _gather_rows(rows, [row["pk"] for row in rows], today)[0]


def enrollment_progress_detail(
    enrollments: QuerySet[Enrollment], *, today: dt.date | None = None
) -> dict:
    """Progress fields plus per-module and per-assignment status and (pause-shifted) due dates
    of the one enrollment of ``enrollments`` (a queryset scoped to the caller), JSON-ready.
    Raises ``Enrollment.DoesNotExist`` when it holds none.

    Computed from the facts; ``details_for_rows`` computes the same for the stored progress
    rows (``snapshots``), which the selectors read first."""
    progress, facts_by_id, plans, today_for = _gather(enrollments, today)
    if len(progress) != 1:
        raise Enrollment.DoesNotExist("No enrollment in scope.")
    ((enrollment_id, found),) = progress.items()
    facts = facts_by_id[enrollment_id]
    # One enrollment, so exactly one program plan was fetched.
    ((program_id, plan),) = plans.items()
    modules = fetch_modules([program_id])[program_id]
    return _detail(found, facts, plan, today_for(facts.timezone), modules)


def details_for_rows(
    rows: list[dict[str, Any]], *, scope: QuerySet[Enrollment] | None = None
) -> tuple[dict[int, Progress], dict[int, dict]]:
    """``progress_for_rows`` and, for each of those enrollments, ``enrollment_progress_detail``'s
    answer, in one more query (the programs' modules): what a progress row is stored with."""
    if scope is not None and len(rows) > fetch.MAX_ID_LIST:
        ids: Any = scope.order_by().values("pk")
    else:
        ids = [row["pk"] for row in rows]
    progress, facts_by_id, plans, today_for = _gather_rows(rows, ids, None)
    modules = fetch_modules(plans)
    details = {}
    for row in rows:
        found = progress.get(row["pk"])
        if found is None:
            continue
        facts = facts_by_id[row["pk"]]
        program_id = row["cohort__program_id"]
        details[row["pk"]] = _detail(
            found, facts, plans[program_id], today_for(facts.timezone), modules[program_id]
        )
    return progress, details


def _detail(
    found: Progress,
    facts: EnrollmentFacts,
    plan: ProgramPlan,
    today: dt.date,
    modules: list[tuple[int, str, int, int]],
) -> dict:
    on_day = reference_day(facts.status, facts.closed_on, today)
    dues = due_dates_for(facts.start_date, plan.due_weeks, facts.pauses)
    minutes_by_module = facts.minutes_by_module

    assignments = []
    module_weight: dict[int | None, int] = {}
    module_approved: dict[int | None, int] = {}
    module_touched: set[int | None] = set()
    for assignment, due in zip(plan.assignments, dues, strict=True):
        sub = facts.latest.get(assignment.id)
        status = sub.status if sub is not None else NOT_STARTED
        module_weight[assignment.module_id] = (
            module_weight.get(assignment.module_id, 0) + assignment.weight
        )
        if status == APPROVED:
            module_approved[assignment.module_id] = (
                module_approved.get(assignment.module_id, 0) + assignment.weight
            )
        if sub is not None:
            module_touched.add(assignment.module_id)
        assignments.append(
            {
                "assignment": assignment.id,
                "title": assignment.title,
                "kind": assignment.kind,
                "module": assignment.module_id,
                "weight": assignment.weight,
                "due_date": due.isoformat(),
                "status": status,
                "version": sub.version if sub is not None else None,
                "last_submitted_at": iso_from_db(sub.submitted_at) if sub is not None else None,
                "overdue": is_overdue(status, due, on_day),
            }
        )

    module_rows = []
    for module_id, title, order, expected_hours in modules:
        minutes = minutes_by_module.get(module_id, 0)
        weight = module_weight.get(module_id, 0)
        if weight:
            percent = round(module_approved.get(module_id, 0) * 100.0 / weight, 1)
        else:
            # A module without assignments is done when its expected hours are logged.
            percent = round(min(100.0, minutes * 100.0 / (expected_hours * 60)), 1)
        if percent >= 100.0:
            status = "complete"
        elif minutes or module_id in module_touched or percent > 0:
            status = "in_progress"
        else:
            status = NOT_STARTED
        module_rows.append(
            {
                "module": module_id,
                "title": title,
                "order": order,
                "expected_hours": expected_hours,
                "minutes_logged": minutes,
                "percent_complete": percent,
                "status": status,
            }
        )

    detail = found.as_dict()
    detail["modules"] = module_rows
    detail["assignments"] = assignments
    return detail


class _MatrixRows:
    """The matrix's facts, read in four queries whatever the size: the enrollments (JSON-ready
    dicts), the assignments, and per enrollment what its cells are computed from. Shared by the
    two encodings below (dicts, and one JSON text for the API)."""

    def __init__(
        self,
        cohort: Cohort,
        enrollments_qs: QuerySet[Enrollment],
        today: dt.date | None,
        *,
        with_submitted_at: bool = True,
    ) -> None:
        queryset = enrollments_qs.filter(cohort_id=cohort.pk)
        self.rows = list(
            queryset.values(
                "pk",
                "status",
                "status_changed_at",
                "learner_id",
                "learner__username",
                "learner__first_name",
                "learner__last_name",
            )
        )
        plan = fetch_plans([cohort.program_id])[cohort.program_id]
        self.cohort = cohort
        self.plan = plan
        self.base_dues = due_dates_for(cohort.start_date, plan.due_weeks, ())
        self.assignments = [
            {
                "id": a.id,
                "title": a.title,
                "kind": a.kind,
                "module": a.module_id,
                "due_week": a.due_week,
                "weight": a.weight,
                "due_date": due.isoformat(),
            }
            for a, due in zip(plan.assignments, self.base_dues, strict=True)
        ]
        self.assignment_ids = [a.id for a in plan.assignments]
        self.enrollments: list[dict[str, Any]] = []
        self.tz = zone(cohort.timezone)
        self.local_today = today if today is not None else clock.today(cohort.timezone)
        if not self.rows:
            self.pauses: dict = {}
            self.latest: dict = {}
            return
        if len(self.rows) > fetch.MAX_ID_LIST:
            scope: Any = queryset.order_by().values("pk")
        else:
            scope = [row["pk"] for row in self.rows]
        self.pauses = fetch_pauses(scope)
        # (assignment_id, version, status, submitted_at) per enrollment and assignment.
        self.latest = fetch_latest_versions(
            scope, with_submitted_at=with_submitted_at, with_status_changed_at=False
        )

    def __iter__(self):
        """Per enrollment in order: its id, its due dates, the day they are read on and its
        latest versions by assignment; fills ``enrollments`` on the way."""
        empty: dict[int, list[Any]] = {}
        cohort, plan, pauses, latest = self.cohort, self.plan, self.pauses, self.latest
        tz, local_today, base_dues = self.tz, self.local_today, self.base_dues
        add_enrollment = self.enrollments.append
        for row in self.rows:
            enrollment_id = row["pk"]
            name = f"{row['learner__first_name']} {row['learner__last_name']}".strip()
            add_enrollment(
                {
                    "id": enrollment_id,
                    "learner": row["learner_id"],
                    "username": row["learner__username"],
                    "name": name or row["learner__username"],
                    "status": row["status"],
                }
            )
            changed_at = row["status_changed_at"]
            on_day = reference_day(
                row["status"],
                local_date(changed_at, tz) if changed_at is not None else None,
                local_today,
            )
            enrollment_pauses = pauses.get(enrollment_id)
            dues = (
                due_dates_for(cohort.start_date, plan.due_weeks, enrollment_pauses)
                if enrollment_pauses
                else base_dues
            )
            yield enrollment_id, dues, on_day, latest.get(enrollment_id, empty)


def cohort_matrix(
    cohort: Cohort, enrollments_qs: QuerySet[Enrollment], *, today: dt.date | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The whole cohort at a glance: one cell per enrollment x assignment, JSON-ready.

    Four queries whatever the size: enrollments, assignments, pauses, latest versions.
    """
    facts = _MatrixRows(cohort, enrollments_qs, today)
    cells: list[dict[str, Any]] = []
    append = cells.append
    assignment_ids = facts.assignment_ids
    for enrollment_id, dues, on_day, subs in facts:
        for assignment_id, due in zip(assignment_ids, dues, strict=True):
            sub = subs.get(assignment_id)
            if sub is None:
                append(
                    {
                        "enrollment": enrollment_id,
                        "assignment": assignment_id,
                        "status": NOT_STARTED,
                        "versions": 0,
                        "last_submitted_at": None,
                        "overdue": is_overdue(NOT_STARTED, due, on_day),
                    }
                )
            else:
                append(
                    {
                        "enrollment": enrollment_id,
                        "assignment": assignment_id,
                        "status": sub[2],
                        "versions": sub[1],
                        "last_submitted_at": iso_from_db(sub[3]),
                        "overdue": is_overdue(sub[2], due, on_day),
                    }
                )
    return {"enrollments": facts.enrollments, "assignments": facts.assignments, "cells": cells}


def cohort_grid(
    cohort: Cohort, enrollments_qs: QuerySet[Enrollment], *, today: dt.date | None = None
) -> dict[str, list[Any]]:
    """``cohort_matrix`` for a page: the same ``enrollments`` and ``assignments``, and as
    ``grid`` one row per enrollment (in order) of one ``(status, overdue, versions)`` per
    assignment (in order), without a dict per cell (nor an instant read: a cell of the grid
    has no submission time)."""
    facts = _MatrixRows(cohort, enrollments_qs, today, with_submitted_at=False)
    position = {assignment_id: index for index, assignment_id in enumerate(facts.assignment_ids)}
    not_started: dict[tuple[tuple[dt.date, ...], dt.date], list[tuple[str, bool, int]]] = {}
    grid: list[list[tuple[str, bool, int]]] = []
    for _, dues, on_day, subs in facts:
        key = (tuple(dues), on_day)
        blank = not_started.get(key)
        if blank is None:
            blank = not_started[key] = [
                (NOT_STARTED, is_overdue(NOT_STARTED, due, on_day), 0) for due in dues
            ]
        row = list(blank)
        for assignment_id, sub in subs.items():
            index = position.get(assignment_id)
            if index is not None:
                row[index] = (sub[2], is_overdue(sub[2], dues[index], on_day), sub[1])
        grid.append(row)
    return {"enrollments": facts.enrollments, "assignments": facts.assignments, "grid": grid}


def cohort_matrix_json(
    cohort: Cohort, enrollments_qs: QuerySet[Enrollment], *, today: dt.date | None = None
) -> EncodedJSON:
    """``cohort_matrix`` as compact JSON text (the API's encoding: ``ensure_ascii`` off, no
    spaces), written cell by cell without building a dict per cell: the same text as
    ``to_json(cohort_matrix(...))`` in a fraction of the time (a large cohort has tens of
    thousands of cells, most of them "not started" ones that differ only by their ids)."""
    facts = _MatrixRows(cohort, enrollments_qs, today)
    assignment_ids = facts.assignment_ids
    # The tail of a "not started" cell after its enrollment id, per assignment, for one list
    # of due dates read on one day (most enrollments share the cohort's dates and today).
    not_started: dict[tuple[tuple[dt.date, ...], dt.date], list[str]] = {}
    statuses: dict[str, str] = {}
    parts: list[str] = []
    add = parts.append
    for enrollment_id, dues, on_day, subs in facts:
        key = (tuple(dues), on_day)
        tails = not_started.get(key)
        if tails is None:
            tails = not_started[key] = [
                f',"assignment":{assignment_id},"status":"{NOT_STARTED}","versions":0,'
                f'"last_submitted_at":null,"overdue":'
                f"{'true' if is_overdue(NOT_STARTED, due, on_day) else 'false'}}}"
                for assignment_id, due in zip(assignment_ids, dues, strict=True)
            ]
        head = f'{{"enrollment":{enrollment_id}'
        if not subs:
            for tail in tails:
                add(head + tail)
            continue
        for index, (assignment_id, due) in enumerate(zip(assignment_ids, dues, strict=True)):
            sub = subs.get(assignment_id)
            if sub is None:
                add(head + tails[index])
                continue
            status = sub[2]
            encoded = statuses.get(status)
            if encoded is None:
                encoded = statuses[status] = to_json(status)
            add(
                f'{head},"assignment":{assignment_id},"status":{encoded},"versions":{int(sub[1])},'
                f'"last_submitted_at":{to_json(iso_from_db(sub[3]))},"overdue":'
                f"{'true' if is_overdue(status, due, on_day) else 'false'}}}"
            )
    return EncodedJSON(
        f'{{"enrollments":{to_json(facts.enrollments)},"assignments":{to_json(facts.assignments)},'
        f'"cells":[{",".join(parts)}]}}'
    )
