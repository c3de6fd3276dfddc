"""Staff pages: cohorts, one cohort at a glance (pace, chart, at-risk, mentor load, heat map,
roster import), pairing with ranked suggestions, and program insights."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from curriculum.kernel.forms import service_errors
from curriculum.kernel.names import display_name
from curriculum.selectors import cohort_list, program_list
from learners.models import Enrollment
from learners.selectors import enrollment_list, help_request_list, pause_list
from learners.services import enrollment_pause, enrollment_set_status
from mentors.selectors import mentor_list, pairing_list
from mentors.services import pairing_assign
from tracker.insights import program_insights
from tracker.progress import cohort_overview, progress_of
from tracker.roster import RosterError, roster_import
from tracker.suggestions import pairing_choices
from tracker.web.charts import PACE_LABELS, RISK_REASON_TEXT, Bar, pace_distribution, scatter
from tracker.web.forms import (
    EnrollmentStatusForm,
    PairingForm,
    PauseForm,
    RosterImportForm,
)
from tracker.web.views.common import enrollment_sessions, page, role_required, safe_next

staff_only = role_required("staff")


@staff_only
def cohorts(request: HttpRequest) -> HttpResponse:
    rows = cohort_list(fetched_by=request.user).annotate(learner_count=Count("enrollments"))
    return page(request, "web/staff_cohorts.html", {"cohorts": rows})


def _cohort_context(request: HttpRequest, cohort, *, roster_form=None, roster_errors=None) -> dict:
    user = request.user
    overview = cohort_overview(fetched_by=user, cohort=cohort)
    mentor_of = {
        pairing.enrollment_id: pairing.mentor
        for pairing in pairing_list(fetched_by=user, active_only=True).filter(
            enrollment__cohort=cohort
        )
    }
    shown = {
        row.enrollment.pk: {
            "enrollment": row.enrollment,
            "name": row.name,
            "progress": row.progress,
            "pace_label": PACE_LABELS.get(row.progress.pace, row.progress.pace),
            "reasons": [RISK_REASON_TEXT.get(code, code) for code in row.progress.risk_reasons],
            "bar": Bar(row.progress.percent_complete, row.progress.expected_percent, "Progress"),
            "mentor": mentor_of.get(row.enrollment.pk),
        }
        for row in overview.rows
    }
    rows = list(shown.values())
    at_risk = [shown[row.enrollment.pk] for row in overview.at_risk]
    mentors = mentor_list(fetched_by=user).filter(is_active=True)
    in_cohort = Counter(mentor.pk for mentor in mentor_of.values())
    load = [
        {
            "mentor": mentor,
            "active": mentor.active_learners,
            "in_cohort": in_cohort.get(mentor.pk, 0),
            "capacity": mentor.capacity,
            "over": mentor.active_learners > mentor.capacity,
            "bar": Bar(
                100 * mentor.active_learners / mentor.capacity if mentor.capacity else 100,
                None,
                "Load",
            ),
        }
        for mentor in mentors
        if in_cohort.get(mentor.pk) or mentor.active_learners < mentor.capacity
    ]
    chart = scatter(
        {
            "expected": row["progress"].expected_percent,
            "actual": row["progress"].percent_complete,
            "pace": row["progress"].pace,
            "title": (
                f"{row['name']}: {row['progress'].percent_complete:.0f}% done, "
                f"{row['progress'].expected_percent:.0f}% expected"
            ),
        }
        for row in rows
    )
    withdrawn = (
        enrollment_list(fetched_by=user)
        .filter(cohort=cohort, status=Enrollment.Status.WITHDRAWN)
        .order_by("learner__last_name", "learner__first_name", "id")
    )
    return {
        "cohort": cohort,
        "withdrawn": [{"enrollment": e, "name": display_name(e.learner)} for e in withdrawn],
        "help_requests": help_request_list(fetched_by=user, open_only=True)
        .filter(enrollment__cohort=cohort)
        .order_by("created_at"),
        "rows": rows,
        "at_risk": at_risk,
        "distribution": pace_distribution(row["progress"].pace for row in rows),
        "chart": chart,
        "load": load,
        "matrix": heat_map(overview.matrix),
        "csv_url": f"/api/v1/cohorts/{cohort.pk}/progress.csv",
        "roster_form": roster_form or RosterImportForm(),
        "roster_errors": roster_errors or [],
    }


def heat_map(matrix: dict) -> dict:
    """Rows of cells in enrollment x assignment order from the matrix read model."""
    cells = {(cell["enrollment"], cell["assignment"]): cell for cell in matrix["cells"]}
    assignments = matrix["assignments"]
    rows = []
    for enrollment in matrix["enrollments"]:
        rows.append(
            {
                "enrollment": enrollment,
                "cells": [
                    cells.get((enrollment["id"], assignment["id"]), {"status": "not_started"})
                    for assignment in assignments
                ],
            }
        )
    return {"assignments": assignments, "rows": rows}


@staff_only
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(cohort_list(fetched_by=request.user), pk=pk)
    return page(request, "web/cohort_detail.html", _cohort_context(request, cohort))


@staff_only
def cohort_roster(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(cohort_list(fetched_by=request.user), pk=pk)
    if request.method != "POST":
        return redirect("cohort_detail", pk=cohort.pk)
    form = RosterImportForm(request.POST, request.FILES)
    row_errors: list[dict] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        limit = settings.STRIDE_MAX_UPLOAD_BYTES
        if upload.size > limit:
            form.add_error("file", f"The file is larger than {limit // 1024} KB.")
        else:
            try:
                result = roster_import(actor=request.user, cohort=cohort, content=upload.read())
            except RosterError as error:
                row_errors = roster_row_errors(error)
                for message in error.file:
                    form.add_error("file", message)
                if row_errors:
                    form.add_error(
                        "file", "Nothing was imported: fix the rows below and upload again."
                    )
            except PermissionDenied as denied:
                form.add_error(None, str(denied))
            else:
                messages.success(request, roster_summary(result))
                return redirect(reverse("cohort_detail", args=[cohort.pk]) + "#roster")
    context = _cohort_context(request, cohort, roster_form=form, roster_errors=row_errors)
    return page(request, "web/cohort_detail.html", context)


def roster_row_errors(error: RosterError) -> list[dict]:
    """One entry per bad line, ``{"row": line, "messages": ["email: ...", ...]}``, in order."""
    by_row: dict[int, list[str]] = {}
    for item in error.rows:
        field = item.get("field")
        text = f"{field}: {item['message']}" if field else item["message"]
        by_row.setdefault(item["row"], []).append(text)
    return [{"row": row, "messages": texts} for row, texts in sorted(by_row.items())]


def roster_summary(result) -> str:
    counts = result.as_dict()
    text = (
        f"Roster imported: {counts['enrolled']} enrolled ({counts['created']} new accounts "
        f"invited), {counts['paired']} paired"
    )
    if counts["skipped"]:
        text += f", {len(counts['skipped'])} already enrolled"
    return text + "."


@staff_only
def enrollment_pair(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    enrollment = get_object_or_404(enrollment_list(fetched_by=user), pk=pk)
    choices = pairing_choices(fetched_by=user, enrollment=enrollment)
    form = PairingForm(
        request.POST if request.method == "POST" else None, mentors=choices["mentors"]
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, "You may not pair this learner."):
            pairing_assign(actor=user, enrollment=enrollment, mentor=form.cleaned_data["mentor"])
            messages.success(
                request,
                f"{display_name(enrollment.learner)} is now paired with "
                f"{form.cleaned_data['mentor']}.",
            )
            return redirect("cohort_detail", pk=enrollment.cohort_id)
    return page(
        request,
        "web/pairing.html",
        {
            "enrollment": enrollment,
            "learner_name": display_name(enrollment.learner),
            **choices,
            "form": form,
        },
    )


# What each status button does, in the order shown. Pausing has its own form (dates).
STATUS_ACTIONS = {
    Enrollment.Status.ACTIVE: (
        (Enrollment.Status.GRADUATED, "Graduate"),
        (Enrollment.Status.WITHDRAWN, "Withdraw…"),
    ),
    Enrollment.Status.PAUSED: (
        (Enrollment.Status.ACTIVE, "End the pause and reactivate"),
        (Enrollment.Status.GRADUATED, "Graduate"),
        (Enrollment.Status.WITHDRAWN, "Withdraw…"),
    ),
    Enrollment.Status.GRADUATED: ((Enrollment.Status.ACTIVE, "Reactivate"),),
    Enrollment.Status.WITHDRAWN: ((Enrollment.Status.ACTIVE, "Reactivate"),),
}


def _enrollment_or_404(request: HttpRequest, pk: int) -> Enrollment:
    return get_object_or_404(enrollment_list(fetched_by=request.user), pk=pk)


def _enrollment_context(
    request: HttpRequest, enrollment: Enrollment, *, pause_form=None, status_form=None
) -> dict:
    user = request.user
    # The enrollment was found in the caller's scope (``_enrollment_or_404``).
    progress = progress_of(fetched_by=user, enrollment_ids=[enrollment.pk])[enrollment.pk]
    pairing = (
        pairing_list(fetched_by=user, active_only=True)
        .filter(enrollment=enrollment)
        .select_related("mentor__user")
        .first()
    )
    return {
        "enrollment": enrollment,
        "learner_name": display_name(enrollment.learner),
        "progress": progress,
        "pace_label": PACE_LABELS.get(progress.pace, progress.pace),
        "reasons": [RISK_REASON_TEXT.get(code, code) for code in progress.risk_reasons],
        "bar": Bar(progress.percent_complete, progress.expected_percent, "Progress"),
        "pairing": pairing,
        "pauses": pause_list(fetched_by=user).filter(enrollment=enrollment).order_by("start"),
        "pause_form": pause_form or PauseForm(),
        "status_form": status_form or EnrollmentStatusForm(),
        "actions": STATUS_ACTIONS.get(enrollment.status, ()),
        "help_requests": help_request_list(fetched_by=user)
        .filter(enrollment=enrollment)
        .order_by("-created_at")[:10],
        **enrollment_sessions(user, enrollment),
    }


@staff_only
def enrollment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment_or_404(request, pk)
    return page(request, "web/enrollment_detail.html", _enrollment_context(request, enrollment))


@staff_only
@require_POST
def enrollment_pause_view(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment_or_404(request, pk)
    form = PauseForm(request.POST)
    if form.is_valid():
        with service_errors(form, "You may not pause this enrollment."):
            pause = enrollment_pause(actor=request.user, enrollment=enrollment, **form.cleaned_data)
            messages.success(
                request,
                f"{display_name(enrollment.learner)} is paused from {pause.start} to {pause.end} "
                f"({pause.days} day{'s' if pause.days != 1 else ''}); due dates move with it.",
            )
            return redirect("enrollment_detail", pk=enrollment.pk)
    context = _enrollment_context(request, enrollment, pause_form=form)
    return page(request, "web/enrollment_detail.html", context)


STATUS_DONE = {
    Enrollment.Status.ACTIVE: "is active again",
    Enrollment.Status.GRADUATED: "has graduated",
    Enrollment.Status.WITHDRAWN: "is withdrawn",
}


@staff_only
@require_POST
def enrollment_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Graduate, withdraw or reactivate. A withdrawal is confirmed on a page of its own first
    (it takes the learner off the cohort's lists and their mentor's dashboard)."""
    enrollment = _enrollment_or_404(request, pk)
    form = EnrollmentStatusForm(request.POST)
    back = safe_next(request, reverse("enrollment_detail", args=[enrollment.pk]))
    if form.is_valid():
        status = form.cleaned_data["status"]
        if status == Enrollment.Status.WITHDRAWN and not form.cleaned_data["confirm"]:
            return page(
                request,
                "web/enrollment_withdraw_confirm.html",
                {
                    "enrollment": enrollment,
                    "learner_name": display_name(enrollment.learner),
                    "next": back,
                },
            )
        with service_errors(form, "You may not change this enrollment."):
            enrollment_set_status(actor=request.user, enrollment=enrollment, status=status)
            messages.success(request, f"{display_name(enrollment.learner)} {STATUS_DONE[status]}.")
            return redirect(back)
    context = _enrollment_context(request, enrollment, status_form=form)
    return page(request, "web/enrollment_detail.html", context)


@staff_only
def programs(request: HttpRequest) -> HttpResponse:
    return page(
        request, "web/staff_programs.html", {"programs": program_list(fetched_by=request.user)}
    )


@staff_only
def program_insights_page(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_object_or_404(program_list(fetched_by=request.user), pk=pk)
    insights = program_insights(fetched_by=request.user, program=program)
    modules = [
        {
            **row,
            "median_hours": None
            if row["median_minutes"] is None
            else round(row["median_minutes"] / 60, 1),
            "completion": as_percent(row["completion_rate"]),
        }
        for row in insights["modules"]
    ]
    assignments = [
        {
            **row,
            "completion": as_percent(row["completion_rate"]),
            "changes_share": as_percent(row["changes_requested_share"]),
        }
        for row in insights["assignments"]
    ]
    return page(
        request,
        "web/program_insights.html",
        {"program": program, "insights": insights, "modules": modules, "assignments": assignments},
    )


def as_percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"
