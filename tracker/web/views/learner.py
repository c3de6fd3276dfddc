"""The learner's dashboard and its forms (log progress, submit work, ask for help)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from curriculum import clock
from curriculum.models import RubricCriterion
from learners.models import Enrollment
from learners.selectors import enrollment_list, help_request_list, progress_log_list
from learners.services import help_request_create, progress_log_create, submission_create
from mentors.selectors import pairing_list, review_list, session_list
from tracker.notifications.selectors import notification_list
from tracker.progress import enrollment_progress_detail
from tracker.web.charts import PACE_LABELS, RISK_REASON_TEXT, Bar
from tracker.web.forms import (
    HelpRequestForm,
    ProgressLogForm,
    SubmissionForm,
    apply_service_errors,
)
from tracker.web.views.common import calendar_url, page

CURRENT_STATUSES = (Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED)


def current_enrollment(request: HttpRequest) -> Enrollment | None:
    """The learner's enrollment shown on the dashboard: ``?enrollment=`` or the newest current
    one (active or paused), else the newest of any status."""
    own = enrollment_list(fetched_by=request.user).filter(learner=request.user)
    chosen = request.GET.get("enrollment") or request.POST.get("enrollment")
    if chosen:
        try:
            return own.get(pk=int(chosen))
        except (ValueError, Enrollment.DoesNotExist) as missing:
            raise Http404("No such enrollment.") from missing
    newest = own.order_by("-cohort__start_date", "-id")
    return newest.filter(status__in=CURRENT_STATUSES).first() or newest.first()


def _log_context(request: HttpRequest, enrollment: Enrollment, form=None) -> dict:
    tz = enrollment.cohort.timezone
    return {
        "enrollment": enrollment,
        "log_form": form
        or ProgressLogForm(enrollment=enrollment, initial={"logged_on": clock.today(tz)}),
        "recent_logs": progress_log_list(fetched_by=request.user)
        .filter(enrollment=enrollment)
        .order_by("-logged_on", "-id")[:5],
    }


def _dashboard_context(
    request: HttpRequest,
    enrollment: Enrollment,
    *,
    log_form=None,
    submit_form=None,
    help_form=None,
) -> dict:
    user = request.user
    detail = enrollment_progress_detail(enrollment)
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
        {
            "review": review,
            "scores": [
                {
                    "name": criterion_names[key].name if key in criterion_names else key,
                    "score": score,
                    "max": criterion_names[key].max_score if key in criterion_names else None,
                }
                for key, score in (review.scores or {}).items()
            ],
        }
        for review in reviews
    ]
    now = clock.now()
    next_session = (
        session_list(fetched_by=user)
        .filter(enrollment=enrollment, status="scheduled", scheduled_at__gte=now)
        .order_by("scheduled_at")
        .first()
    )
    pairing = (
        pairing_list(fetched_by=user)
        .filter(enrollment=enrollment, ended_at__isnull=True)
        .select_related("mentor__user")
        .first()
    )
    submit_form = submit_form or SubmissionForm(enrollment=enrollment)
    return {
        **_log_context(request, enrollment, log_form),
        "enrollments": enrollment_list(fetched_by=user).filter(learner=user),
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
        "submit_form": submit_form,
        "help_form": help_form or HelpRequestForm(),
        "feedback": feedback,
        "next_session": next_session,
        "pairing": pairing,
        "help_requests": help_request_list(fetched_by=user).filter(enrollment=enrollment)[:5],
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
    saved = None
    if form.is_valid():
        try:
            saved = progress_log_create(
                actor=request.user, enrollment=enrollment, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied as denied:
            form.add_error(None, str(denied) or "You may not log progress here.")
    if request.htmx:
        context = _log_context(request, enrollment, None if saved else form)
        context["saved_log"] = saved
        return page(request, "web/partials/log_form.html", context)
    if saved:
        messages.success(request, f"Logged {saved.minutes} minutes on {saved.module}.")
        return redirect(_home_url(enrollment))
    return _render_dashboard(request, enrollment, log_form=form)


@login_required
@require_POST
def submit_work(request: HttpRequest) -> HttpResponse:
    enrollment = _own_enrollment_or_404(request)
    form = SubmissionForm(request.POST, enrollment=enrollment)
    if form.is_valid():
        try:
            submission = submission_create(
                actor=request.user, enrollment=enrollment, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied as denied:
            form.add_error(None, str(denied) or "You may not submit work here.")
        else:
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
        try:
            help_request_create(
                actor=request.user, enrollment=enrollment, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied as denied:
            form.add_error(None, str(denied) or "You may not ask for help here.")
        else:
            messages.success(request, "Your mentor has been asked for help.")
            return redirect(_home_url(enrollment))
    return _render_dashboard(request, enrollment, help_form=form)


def _home_url(enrollment: Enrollment) -> str:
    return f"{reverse('learner_home')}?enrollment={enrollment.pk}"
