"""The learner's dashboard and its forms (log progress, submit work, ask for help). The page's
data is ``tracker.dashboards.learner_dashboard``; which enrollment it shows and the log edit
window are the learners app's rules (``current_enrollment``, ``PROGRESS_LOG_RULE``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from curriculum.kernel.forms import service_errors
from learners.models import Enrollment, ProgressLog
from learners.rules import PROGRESS_LOG_RULE
from learners.selectors import (
    current_enrollment,
    log_panel,
    own_enrollments,
    own_progress_log_list,
)
from learners.services import (
    help_request_create,
    progress_log_create,
    progress_log_delete,
    progress_log_update,
    submission_create,
)
from mentors.roles import role_of
from tracker.dashboards import learner_dashboard, learner_standing
from tracker.web.charts import Bar, standing
from tracker.web.forms import HelpRequestForm, ProgressLogForm, SubmissionForm
from tracker.web.views.common import page


def _current_enrollment(
    request: HttpRequest, *, required: bool = True, own: list[Enrollment] | None = None
) -> Enrollment | None:
    chosen = request.GET.get("enrollment") or request.POST.get("enrollment")
    # The role first (the page shows it anyway): the scoped reads below then know without a
    # query of their own whether the caller mentors anyone (learners.rules.may_mentor).
    role_of(request.user)
    try:
        enrollment = current_enrollment(fetched_by=request.user, chosen=chosen, own=own)
    except Enrollment.DoesNotExist as missing:
        raise Http404(_("No such enrollment.")) from missing
    if enrollment is None and required:
        raise Http404(_("You are not enrolled."))
    return enrollment


def _summary(context: dict) -> dict:
    """The standing card and module bars drawn from ``context["detail"]``."""
    detail = context["detail"]
    return {
        **context,
        **standing(detail),
        "module_bars": [
            {
                "module": module,
                "bar_html": Bar(module["percent_complete"], None, module["title"]).html(
                    label=module["title"], thin=True
                ),
            }
            for module in detail["modules"]
        ],
    }


def _render_dashboard(
    request: HttpRequest,
    enrollment: Enrollment,
    *,
    log_form=None,
    submit_form=None,
    help_form=None,
    edit_log: ProgressLog | None = None,
    enrollments: list[Enrollment] | None = None,
    **log_state,
) -> HttpResponse:
    context = learner_dashboard(
        fetched_by=request.user, enrollment=enrollment, editing=edit_log, enrollments=enrollments
    )
    context = {
        **_summary(context),
        **log_state,
        "log_form": log_form or ProgressLogForm(enrollment=enrollment, detail=context["detail"]),
        "submit_form": submit_form
        or SubmissionForm(enrollment=enrollment, detail=context["detail"]),
        "help_form": help_form or HelpRequestForm(),
    }
    return page(request, "web/learner_home.html", context)


@login_required
def learner_home(request: HttpRequest) -> HttpResponse:
    # The learner's enrollments read once: to choose the one shown and to list them.
    role_of(request.user)  # first, as _current_enrollment does (learners.rules.may_mentor)
    own = own_enrollments(fetched_by=request.user)
    enrollment = _current_enrollment(request, required=False, own=own)
    if enrollment is None:
        return page(request, "web/not_enrolled.html", {})
    return _render_dashboard(request, enrollment, enrollments=own)


@login_required
@require_POST
def log_progress(request: HttpRequest) -> HttpResponse:
    enrollment = _current_enrollment(request)
    form = ProgressLogForm(request.POST, enrollment=enrollment)
    if form.is_valid():
        with service_errors(form, _("You may not log progress here.")):
            saved = progress_log_create(
                actor=request.user, enrollment=enrollment, **form.cleaned_data
            )
            return _log_changed(
                request,
                enrollment,
                _("Logged %(minutes)s minutes on %(module)s.")
                % {"minutes": saved.minutes, "module": saved.module},
            )
    if request.htmx:
        context = {**log_panel(fetched_by=request.user, enrollment=enrollment), "log_form": form}
        return page(request, "web/partials/log_form.html", context)
    return _render_dashboard(request, enrollment, log_form=form)


def _log_changed(request: HttpRequest, enrollment: Enrollment, message: str) -> HttpResponse:
    """After a log was added, changed or deleted: htmx gets the log panel with the message and
    the progress summary and module bars out of band; a plain post is redirected home."""
    if request.htmx:
        context = _summary(learner_standing(fetched_by=request.user, enrollment=enrollment))
        context |= {"log_form": ProgressLogForm(enrollment=enrollment), "log_message": message}
        return page(request, "web/partials/log_changed.html", {**context, "oob": True})
    messages.success(request, message)
    return redirect(_home_url(enrollment) + "#log-progress")


def _log_panel(request: HttpRequest, log: ProgressLog, **state) -> HttpResponse:
    """The log panel (htmx) or the whole dashboard, with ``log`` open for editing and/or an
    error shown next to it."""
    enrollment = log.enrollment
    if not request.htmx:
        return _render_dashboard(request, enrollment, edit_log=log, **state)
    context = log_panel(fetched_by=request.user, enrollment=enrollment, editing=log)
    context |= {**state, "log_form": ProgressLogForm(enrollment=enrollment)}
    return page(request, "web/partials/log_form.html", context)


def _too_late(verb: str) -> str:
    hours = settings.STRIDE_LOG_EDIT_WINDOW_HOURS
    if verb == "deleted":
        text = _("This log can no longer be deleted: logs can be changed for %(hours)s hours.")
    else:
        text = _("This log can no longer be changed: logs can be changed for %(hours)s hours.")
    return text % {"hours": hours}


@login_required
def edit_log(request: HttpRequest, pk: int) -> HttpResponse:
    log = get_object_or_404(own_progress_log_list(fetched_by=request.user), pk=pk)
    if request.method != "POST":
        if not PROGRESS_LOG_RULE.can_update(request.user, log):
            return _log_panel(request, log, log_error=_too_late("changed"))
        initial = {"module": log.module_id, "logged_on": log.logged_on}
        initial |= {"minutes": log.minutes, "note": log.note}
        form = ProgressLogForm(enrollment=log.enrollment, prefix="edit", initial=initial)
        return _log_panel(request, log, edit_form=form)
    form = ProgressLogForm(request.POST, enrollment=log.enrollment, prefix="edit")
    if form.is_valid():
        with service_errors(form, _too_late("changed")):
            saved = progress_log_update(actor=request.user, log=log, **form.cleaned_data)
            return _log_changed(
                request,
                log.enrollment,
                _("Log changed: %(minutes)s minutes on %(module)s.")
                % {"minutes": saved.minutes, "module": saved.module},
            )
    return _log_panel(request, log, edit_form=form)


@login_required
@require_POST
def delete_log(request: HttpRequest, pk: int) -> HttpResponse:
    log = get_object_or_404(own_progress_log_list(fetched_by=request.user), pk=pk)
    day = log.logged_on
    description = _("%(minutes)s minutes on %(module)s (%(day)s)") % {
        "minutes": log.minutes,
        "module": log.module,
        "day": date_format(day, _("D j M")),
    }
    try:
        progress_log_delete(actor=request.user, log=log)
    except PermissionDenied as denied:
        return _log_panel(request, log, log_error=str(denied) or _too_late("deleted"))
    return _log_changed(
        request, log.enrollment, _("Log deleted: %(description)s.") % {"description": description}
    )


@login_required
@require_POST
def submit_work(request: HttpRequest) -> HttpResponse:
    enrollment = _current_enrollment(request)
    form = SubmissionForm(request.POST, enrollment=enrollment)
    if form.is_valid():
        with service_errors(form, _("You may not submit work here.")):
            submission = submission_create(
                actor=request.user, enrollment=enrollment, **form.cleaned_data
            )
            messages.success(
                request,
                _("Submitted “%(assignment)s” (version %(version)s). Your mentor has been told.")
                % {"assignment": submission.assignment, "version": submission.version},
            )
            return redirect(_home_url(enrollment))
    return _render_dashboard(request, enrollment, submit_form=form)


@login_required
@require_POST
def ask_for_help(request: HttpRequest) -> HttpResponse:
    enrollment = _current_enrollment(request)
    form = HelpRequestForm(request.POST)
    if form.is_valid():
        with service_errors(form, _("You may not ask for help here.")):
            help_request_create(
                actor=request.user, enrollment=enrollment, message=form.cleaned_data["message"]
            )
            messages.success(request, _("Your mentor has been asked for help."))
            return redirect(_home_url(enrollment))
    return _render_dashboard(request, enrollment, help_form=form)


def _home_url(enrollment: Enrollment) -> str:
    return f"{reverse('learner_home')}?enrollment={enrollment.pk}"
