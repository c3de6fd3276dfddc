"""The learner's dashboard and its forms (log progress, submit work, ask for help)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from curriculum.kernel import clock
from curriculum.kernel.forms import service_errors
from curriculum.models import RubricCriterion
from learners.models import Enrollment, ProgressLog
from learners.rules import PROGRESS_LOG_RULE
from learners.selectors import enrollment_list, help_request_list, progress_log_list
from learners.services import (
    help_request_create,
    progress_log_create,
    progress_log_delete,
    progress_log_update,
    submission_create,
)
from mentors.models import MentorSession
from mentors.selectors import pairing_list, review_list, session_list
from tracker.notifications.selectors import notification_list
from tracker.progress import enrollment_detail
from tracker.web.charts import PACE_LABELS, RISK_REASON_TEXT, Bar
from tracker.web.forms import (
    HelpRequestForm,
    ProgressLogForm,
    SubmissionForm,
)
from tracker.web.views.common import calendar_url, enrollment_sessions, named_scores, page

CURRENT_STATUSES = (Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED)


def current_enrollment(request: HttpRequest) -> Enrollment | None:
    """The learner's enrollment shown on the dashboard: ``?enrollment=`` or the newest current
    one (active or paused), else the newest of any status."""
    own = enrollment_list(fetched_by=request.user).filter(learner=request.user)
    chosen = request.GET.get("enrollment") or request.POST.get("enrollment")
    if chosen:
        # An id in ASCII digits: int() would also read other scripts' digits and spaces.
        if not (chosen.isascii() and chosen.isdigit()):
            raise Http404("No such enrollment.")
        try:
            return own.get(pk=int(chosen))
        except (ValueError, Enrollment.DoesNotExist) as missing:
            raise Http404("No such enrollment.") from missing
    newest = own.order_by("-cohort__start_date", "-id")
    return newest.filter(status__in=CURRENT_STATUSES).first() or newest.first()


def _recent_logs(
    request: HttpRequest, enrollment: Enrollment, include: ProgressLog | None = None
) -> list[dict]:
    """The five newest logs plus any still inside the edit window (and ``include``, the log
    being edited), newest first, each with whether the caller may still change it and until
    when."""
    logs = progress_log_list(fetched_by=request.user).filter(enrollment=enrollment)
    newest = list(logs.order_by("-logged_on", "-id")[:5])
    window = dt.timedelta(hours=settings.STRIDE_LOG_EDIT_WINDOW_HOURS)
    editable = logs.filter(created_at__gte=clock.now() - window).exclude(
        pk__in=[log.pk for log in newest]
    )
    extra = list(editable.order_by("-logged_on", "-id")[:20])
    if include is not None and all(log.pk != include.pk for log in [*newest, *extra]):
        extra.append(include)
    merged = sorted(
        [*newest, *extra],
        key=lambda log: (log.logged_on, log.pk),
        reverse=True,
    )
    return [
        {
            "log": log,
            "editable": PROGRESS_LOG_RULE.can_update(request.user, log),
            "editable_until": log.created_at + window,
        }
        for log in merged
    ]


def _log_context(
    request: HttpRequest,
    enrollment: Enrollment,
    form=None,
    *,
    edit_log: ProgressLog | None = None,
    edit_form=None,
    log_error: str = "",
) -> dict:
    tz = enrollment.cohort.timezone
    return {
        "enrollment": enrollment,
        "log_form": form
        or ProgressLogForm(enrollment=enrollment, initial={"logged_on": clock.today(tz)}),
        "recent_logs": _recent_logs(request, enrollment, include=edit_log),
        "edit_window_hours": settings.STRIDE_LOG_EDIT_WINDOW_HOURS,
        "edit_log": edit_log,
        "edit_form": edit_form,
        "log_error": log_error,
    }


def _summary_context(request: HttpRequest, enrollment: Enrollment) -> dict:
    """What the "Where you stand" card and the module bars show; re-rendered out of band
    after an htmx log change so the minutes and bars follow."""
    user = request.user
    detail = enrollment_detail(fetched_by=user, enrollment=enrollment)
    next_session = (
        session_list(fetched_by=user)
        .filter(
            enrollment=enrollment,
            status=MentorSession.Status.SCHEDULED,
            scheduled_at__gte=clock.now(),
        )
        .order_by("scheduled_at")
        .first()
    )
    pairing = (
        pairing_list(fetched_by=user)
        .filter(enrollment=enrollment, ended_at__isnull=True)
        .select_related("mentor__user")
        .first()
    )
    return {
        "detail": detail,
        "pace_label": PACE_LABELS.get(detail["pace"], detail["pace"]),
        "reasons": [RISK_REASON_TEXT.get(code, code) for code in detail["risk_reasons"]],
        "overall_bar": Bar(
            detail["percent_complete"], detail["expected_percent"], "Overall progress"
        ),
        "module_bars": [
            {"module": module, "bar": Bar(module["percent_complete"], None, module["title"])}
            for module in detail["modules"]
        ],
        "next_session": next_session,
        "pairing": pairing,
    }


def _dashboard_context(
    request: HttpRequest,
    enrollment: Enrollment,
    *,
    log_form=None,
    submit_form=None,
    help_form=None,
    edit_log: ProgressLog | None = None,
    edit_form=None,
    log_error: str = "",
) -> dict:
    user = request.user
    reviews = list(
        review_list(fetched_by=user)
        .filter(submission__enrollment=enrollment)
        .select_related("submission", "submission__assignment", "reviewer")
        .order_by("-created_at")[:5]
    )
    criterion_names = {
        str(c.pk): c
        for c in RubricCriterion.objects.filter(
            assignment_id__in={r.submission.assignment_id for r in reviews}
        )
    }
    feedback = [
        {"review": review, "scores": named_scores(review, criterion_names)} for review in reviews
    ]
    submit_form = submit_form or SubmissionForm(enrollment=enrollment)
    return {
        **_log_context(
            request,
            enrollment,
            log_form,
            edit_log=edit_log,
            edit_form=edit_form,
            log_error=log_error,
        ),
        **_summary_context(request, enrollment),
        "enrollments": enrollment_list(fetched_by=user).filter(learner=user),
        "submit_form": submit_form,
        "help_form": help_form or HelpRequestForm(),
        "feedback": feedback,
        "help_requests": help_request_list(fetched_by=user).filter(enrollment=enrollment)[:5],
        **enrollment_sessions(user, enrollment),
        "notifications": notification_list(fetched_by=user)[:8],
        "calendar_url": calendar_url(request),
    }


def _render_dashboard(request: HttpRequest, enrollment: Enrollment, **forms) -> HttpResponse:
    return page(request, "web/learner_home.html", _dashboard_context(request, enrollment, **forms))


@login_required
def learner_home(request: HttpRequest) -> HttpResponse:
    enrollment = current_enrollment(request)
    if enrollment is None:
        return page(request, "web/not_enrolled.html", {})
    return _render_dashboard(request, enrollment)


def _own_enrollment_or_404(request: HttpRequest) -> Enrollment:
    enrollment = current_enrollment(request)
    if enrollment is None:
        raise Http404("You are not enrolled.")
    return enrollment


@login_required
@require_POST
def log_progress(request: HttpRequest) -> HttpResponse:
    enrollment = _own_enrollment_or_404(request)
    form = ProgressLogForm(request.POST, enrollment=enrollment)
    if form.is_valid():
        with service_errors(form, "You may not log progress here."):
            saved = progress_log_create(
                actor=request.user, enrollment=enrollment, **form.cleaned_data
            )
            return _log_changed(
                request, enrollment, f"Logged {saved.minutes} minutes on {saved.module}."
            )
    if request.htmx:
        return page(request, "web/partials/log_form.html", _log_context(request, enrollment, form))
    return _render_dashboard(request, enrollment, log_form=form)


def _log_changed(request: HttpRequest, enrollment: Enrollment, message: str) -> HttpResponse:
    """After a log was added, changed or deleted: htmx gets the log panel with the message and
    the progress summary and module bars out of band; a plain post is redirected home."""
    if request.htmx:
        context = {
            **_log_context(request, enrollment),
            **_summary_context(request, enrollment),
            "log_message": message,
            "oob": True,
        }
        return page(request, "web/partials/log_changed.html", context)
    messages.success(request, message)
    return redirect(_home_url(enrollment) + "#log-progress")


def _own_log_or_404(request: HttpRequest, pk: int) -> ProgressLog:
    """One of the caller's own logs; anyone else's (even a paired mentor's view) is a 404."""
    return get_object_or_404(
        progress_log_list(fetched_by=request.user)
        .filter(enrollment__learner=request.user)
        .select_related("enrollment__cohort"),
        pk=pk,
    )


def _log_panel(request: HttpRequest, log: ProgressLog, **state) -> HttpResponse:
    """The log panel (htmx) or the whole dashboard, with ``log`` open for editing and/or an
    error shown next to it."""
    enrollment = log.enrollment
    if request.htmx:
        context = _log_context(request, enrollment, **state)
        return page(request, "web/partials/log_form.html", context)
    return _render_dashboard(request, enrollment, **state)


def _too_late(verb: str) -> str:
    hours = settings.STRIDE_LOG_EDIT_WINDOW_HOURS
    return f"This log can no longer be {verb}: logs can be changed for {hours} hours."


@login_required
def edit_log(request: HttpRequest, pk: int) -> HttpResponse:
    log = _own_log_or_404(request, pk)
    enrollment = log.enrollment
    if request.method != "POST":
        if not PROGRESS_LOG_RULE.can_update(request.user, log):
            return _log_panel(request, log, edit_log=log, log_error=_too_late("changed"))
        form = ProgressLogForm(
            enrollment=enrollment,
            prefix="edit",
            initial={
                "module": log.module_id,
                "logged_on": log.logged_on,
                "minutes": log.minutes,
                "note": log.note,
            },
        )
        return _log_panel(request, log, edit_log=log, edit_form=form)
    form = ProgressLogForm(request.POST, enrollment=enrollment, prefix="edit")
    if form.is_valid():
        with service_errors(form, _too_late("changed")):
            saved = progress_log_update(actor=request.user, log=log, **form.cleaned_data)
            return _log_changed(
                request, enrollment, f"Log changed: {saved.minutes} minutes on {saved.module}."
            )
    return _log_panel(request, log, edit_log=log, edit_form=form)


@login_required
@require_POST
def delete_log(request: HttpRequest, pk: int) -> HttpResponse:
    log = _own_log_or_404(request, pk)
    enrollment = log.enrollment
    day = log.logged_on
    description = f"{log.minutes} minutes on {log.module} ({day:%a} {day.day} {day:%b})"
    try:
        progress_log_delete(actor=request.user, log=log)
    except PermissionDenied as denied:
        return _log_panel(
            request,
            log,
            edit_log=log,
            log_error=str(denied) or _too_late("deleted"),
        )
    return _log_changed(request, enrollment, f"Log deleted: {description}.")


@login_required
@require_POST
def submit_work(request: HttpRequest) -> HttpResponse:
    enrollment = _own_enrollment_or_404(request)
    form = SubmissionForm(request.POST, enrollment=enrollment)
    if form.is_valid():
        with service_errors(form, "You may not submit work here."):
            submission = submission_create(
                actor=request.user, enrollment=enrollment, **form.cleaned_data
            )
            messages.success(
                request,
                f"Submitted “{submission.assignment}” (version {submission.version}). "
                "Your mentor has been told.",
            )
            return redirect(_home_url(enrollment))
    return _render_dashboard(request, enrollment, submit_form=form)


@login_required
@require_POST
def ask_for_help(request: HttpRequest) -> HttpResponse:
    enrollment = _own_enrollment_or_404(request)
    form = HelpRequestForm(request.POST)
    if form.is_valid():
        with service_errors(form, "You may not ask for help here."):
            help_request_create(
                actor=request.user, enrollment=enrollment, message=form.cleaned_data["message"]
            )
            messages.success(request, "Your mentor has been asked for help.")
            return redirect(_home_url(enrollment))
    return _render_dashboard(request, enrollment, help_form=form)


def _home_url(enrollment: Enrollment) -> str:
    return f"{reverse('learner_home')}?enrollment={enrollment.pk}"
