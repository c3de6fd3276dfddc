"""Program insights: where learners stall, per module and per assignment, across every cohort.

The selector ``program_insights`` (staff only) is the one place the "stalls" rule lives: a
module stalls when learners' median minutes logged exceed its expected hours by more than
``STALL_FACTOR``. Seven queries whatever the number of cohorts, learners or assignments; the
rest is Python on plain rows. Rates are fractions (0-1, three decimals); ``None`` where nobody
qualifies yet. A feature room: imports the lower apps, the kernel and ``tracker.progress``.
"""

from __future__ import annotations

import datetime as dt
from statistics import median
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from curriculum.kernel.access import is_staff
from curriculum.models import Module, Program
from learners.models import Enrollment, ProgressLog, Submission
from mentors.models import Review
from tracker.progress.engine import local_day, zone
from tracker.progress.fetch import (
    ENROLLMENT_FIELDS,
    TodayByZone,
    fetch_latest_submissions,
    fetch_pauses,
    fetch_plans,
)
from tracker.progress.schedule import due_dates_for, shift_due_date

# A module "stalls" when the median learner logs this much more than its expected hours.
STALL_FACTOR = 1.25


def stalls(median_minutes: float | None, expected_hours: int) -> bool:
    return median_minutes is not None and median_minutes > 60 * expected_hours * STALL_FACTOR


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _median(values: list[float]) -> float | None:
    return round(float(median(values)), 1) if values else None


def program_insights(
    *, fetched_by: Any, program: Program, today: dt.date | None = None
) -> dict[str, Any]:
    """Per module: median minutes logged per learner (among those who logged any) against the
    expected hours (``stalls`` when over by ``STALL_FACTOR``), and the completion rate among
    learners whose module end has passed. Per
    assignment: the completion rate among learners whose (pause-shifted) due date has passed,
    the median days late (approved work: days from due date to the approved version's
    submission, never negative; open work past due: days overdue so far) and the share of
    reviews that asked for changes. Withdrawn learners are left out. Staff only."""
    if not is_staff(fetched_by):
        raise PermissionDenied(_("Only staff see program insights."))
    today_for = TodayByZone(today)
    enrollments = Enrollment.objects.filter(cohort__program_id=program.pk).exclude(
        status=Enrollment.Status.WITHDRAWN
    )
    scope = enrollments.order_by().values("pk")
    modules = list(
        Module.objects.filter(program_id=program.pk)
        .order_by("order")
        .values_list("id", "title", "order", "expected_hours", "end_week")
    )
    plan = fetch_plans([program.pk])[program.pk]
    rows = list(enrollments.order_by().values(*ENROLLMENT_FIELDS))
    pauses = fetch_pauses(scope)
    latest = fetch_latest_submissions(scope)
    minutes: dict[int, list[int]] = {}
    for module_id, total in (
        ProgressLog.objects.filter(enrollment_id__in=scope)
        .order_by()
        .values("enrollment_id", "module_id")
        .annotate(total=Sum("minutes"))
        .values_list("module_id", "total")
    ):
        minutes.setdefault(module_id, []).append(total)
    verdicts: dict[int, dict[str, int]] = {}
    for assignment_id, verdict, count in (
        Review.objects.filter(submission__assignment__program_id=program.pk)
        .order_by()
        .values("submission__assignment_id", "verdict")
        .annotate(count=Count("id"))
        .values_list("submission__assignment_id", "verdict", "count")
    ):
        verdicts.setdefault(assignment_id, {})[verdict] = count

    module_of = {a.id: a.module_id for a in plan.assignments}
    assignments_by_module: dict[int | None, list[int]] = {}
    for assignment in plan.assignments:
        assignments_by_module.setdefault(assignment.module_id, []).append(assignment.id)

    due_count = dict.fromkeys(module_of, 0)
    approved_count = dict.fromkeys(module_of, 0)
    days_late: dict[int, list[int]] = {aid: [] for aid in module_of}
    module_due = {module[0]: 0 for module in modules}
    module_done = {module[0]: 0 for module in modules}
    for row in rows:
        tz = zone(row["cohort__timezone"])
        local_today = today_for(row["cohort__timezone"])
        start = row["cohort__start_date"]
        enrollment_pauses = pauses.get(row["pk"], ())
        subs = latest.get(row["pk"], {})
        dues = due_dates_for(start, plan.due_weeks, enrollment_pauses)
        approved_ids = set()
        for assignment, due in zip(plan.assignments, dues, strict=True):
            sub = subs.get(assignment.id)
            approved = sub is not None and sub.status == Submission.Status.APPROVED
            if approved:
                approved_ids.add(assignment.id)
                late = (local_day(sub.submitted_at, tz) - due).days
                days_late[assignment.id].append(max(0, late))
            elif due < local_today:
                days_late[assignment.id].append((local_today - due).days)
            if due < local_today:
                due_count[assignment.id] += 1
                approved_count[assignment.id] += approved
        for module_id, _title, _order, _hours, end_week in modules:
            module_end = shift_due_date(start + dt.timedelta(weeks=end_week), enrollment_pauses)
            if module_end < local_today and assignments_by_module.get(module_id):
                module_due[module_id] += 1
                module_done[module_id] += all(
                    aid in approved_ids for aid in assignments_by_module[module_id]
                )

    module_rows = []
    for module_id, title, order, expected_hours, _end_week in modules:
        logged = minutes.get(module_id, [])
        median_minutes = _median(logged)
        module_rows.append(
            {
                "module": module_id,
                "title": title,
                "order": order,
                "expected_hours": expected_hours,
                "learners_logging": len(logged),
                "median_minutes": median_minutes,
                "median_vs_expected": (
                    round(median_minutes / (expected_hours * 60), 2)
                    if median_minutes is not None
                    else None
                ),
                "stalls": stalls(median_minutes, expected_hours),
                "assignments": len(assignments_by_module.get(module_id, [])),
                "learners_finished_schedule": module_due[module_id],
                "completion_rate": _rate(module_done[module_id], module_due[module_id]),
            }
        )

    assignment_rows = []
    for assignment in plan.assignments:
        counts = verdicts.get(assignment.id, {})
        reviews = sum(counts.values())
        assignment_rows.append(
            {
                "assignment": assignment.id,
                "title": assignment.title,
                "kind": assignment.kind,
                "module": assignment.module_id,
                "due_week": assignment.due_week,
                "weight": assignment.weight,
                "learners_due": due_count[assignment.id],
                "completion_rate": _rate(approved_count[assignment.id], due_count[assignment.id]),
                "median_days_late": _median(days_late[assignment.id]),
                "reviews": reviews,
                "changes_requested_share": _rate(
                    counts.get(Review.Verdict.CHANGES_REQUESTED, 0), reviews
                ),
            }
        )

    return {
        "program": program.pk,
        "name": program.name,
        "learners": len(rows),
        "cohorts": len({row["cohort_id"] for row in rows}),
        "modules": module_rows,
        "assignments": assignment_rows,
    }
