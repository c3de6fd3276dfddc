"""The mentor's dashboard (``tracker.dashboards.mentor_dashboard``): learners, review queue,
sessions and help requests; the review page (``mentors.selectors.review_page``)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from curriculum.kernel.forms import apply_service_errors, service_errors
from curriculum.kernel.names import display_name
from learners.selectors import help_request_list, submission_list
from learners.services import help_request_answer
from mentors.selectors import review_page, session_enrollments, session_list
from mentors.services import review_create, session_create, session_update
from tracker.dashboards import mentor_dashboard
from tracker.graduation import graduation_panel
from tracker.web.charts import standing
from tracker.web.forms import HelpAnswerForm, ReviewForm, SessionLogForm, SessionScheduleForm
from tracker.web.views.capstone import live_context
from tracker.web.views.common import page, role_required, safe_next


def _dashboard(request: HttpRequest, *, schedule_form=None, log_forms=None) -> HttpResponse:
    context = mentor_dashboard(fetched_by=request.user, order=request.GET.get("sort", "pace"))
    log_forms = log_forms or {}
    for item in context["sessions"]:
        session = item["session"]
        item["form"] = log_forms.get(session.pk) or SessionLogForm(prefix=f"s{session.pk}")
    for row in context["rows"]:
        row.update(standing(row["progress"]))
        row["bar_html"] = row["bar"].html(
            label=_("Progress of %(name)s") % {"name": row["name"]}, thin=True
        )
    context["schedule_form"] = schedule_form or SessionScheduleForm(
        enrollments=context["session_enrollments"], options=context["session_choices"]
    )
    return page(request, "web/mentor_home.html", context)


@role_required("mentor", "staff")
def mentor_home(request: HttpRequest) -> HttpResponse:
    return _dashboard(request)


@role_required("mentor", "staff")
def review_submission(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    submission = get_object_or_404(
        # With its review (if any): the page shows it and tells whether another is possible.
        submission_list(fetched_by=user).select_related("assignment__program", "review"),
        pk=pk,
    )
    context = review_page(fetched_by=user, submission=submission)
    form = ReviewForm(request.POST or None, criteria=context["criteria"])
    if request.method == "POST":
        if not context["can_review"]:
            raise PermissionDenied(_("This version cannot be reviewed any more."))
        if form.is_valid():
            try:
                review_create(
                    actor=user,
                    submission=submission,
                    verdict=form.cleaned_data["verdict"],
                    feedback=form.cleaned_data["feedback"],
                    scores=form.scores(),
                    rubric=context["criteria"],
                )
            except ValidationError as error:
                _apply_review_errors(form, error)
            except PermissionDenied as denied:
                form.add_error(None, str(denied) or _("You may not review this submission."))
            else:
                learner = submission.enrollment.learner
                messages.success(
                    request,
                    _("Review saved for %(learner)s: “%(assignment)s” v%(version)s.")
                    % {
                        "learner": display_name(learner),
                        "assignment": submission.assignment,
                        "version": submission.version,
                    },
                )
                return redirect("mentor_home")
    if submission.deployment_url:
        # The live-model check beside the rubric: a mentor judges "the deployed service works".
        context |= live_context(
            fetched_by=user, submission=submission, return_to=request.get_full_path()
        )
    # The learner's graduation checklist and capstone status beside the review.
    graduation = graduation_panel(fetched_by=user, enrollment=submission.enrollment)
    return page(request, "web/review.html", {**context, "form": form, **graduation})


def _apply_review_errors(form: ReviewForm, error: ValidationError) -> None:
    """A service's ``scores`` messages name their criterion (by id or name): each goes on that
    criterion's field, the rest as ``apply_service_errors`` places them."""
    if not hasattr(error, "error_dict"):
        return apply_service_errors(form, error)
    errors = dict(error.error_dict)
    for message in ValidationError(errors.pop("scores", [])).messages:
        # By name first; an id only as a whole number (a message's "0 to 3" names no id 3).
        named = [c for c in form.criteria if c.name in message] or [
            c for c in form.criteria if re.search(rf"(?<!\d){c.pk}(?!\d)", message)
        ]
        form.add_error(f"score_{named[0].pk}" if named else None, message)
    return apply_service_errors(form, ValidationError(errors))


@role_required("mentor", "staff")
@require_POST
def schedule_session(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = SessionScheduleForm(request.POST, enrollments=session_enrollments(fetched_by=user))
    if form.is_valid():
        with service_errors(form, _("You may not schedule this session.")):
            session = session_create(actor=user, **form.cleaned_data)
            messages.success(
                request,
                _("Session scheduled for %(when)s.")
                % {"when": f"{session.scheduled_at:%Y-%m-%d %H:%M}"},
            )
            return redirect("mentor_home")
    return _dashboard(request, schedule_form=form)


@role_required("mentor", "staff")
@require_POST
def log_session(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    session = get_object_or_404(session_list(fetched_by=user), pk=pk)
    form = SessionLogForm(request.POST, prefix=f"s{session.pk}")
    if form.is_valid():
        with service_errors(form, _("You may not change this session.")):
            session_update(actor=user, session=session, **form.cleaned_data)
            messages.success(
                request,
                _("Session marked %(status)s.") % {"status": session.get_status_display().lower()},
            )
            return redirect("mentor_home")
    return _dashboard(request, log_forms={session.pk: form})


@role_required("mentor", "staff")
@require_POST
def answer_help(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    help_request = get_object_or_404(help_request_list(fetched_by=user), pk=pk)
    form = HelpAnswerForm(request.POST)
    if form.is_valid():
        with service_errors(form, _("You may not answer this request.")):
            help_request_answer(
                actor=user, help_request=help_request, answer=form.cleaned_data["answer"]
            )
            messages.success(request, _("Help request marked answered."))
        for message in [text for errors in form.errors.values() for text in errors]:
            messages.error(request, message)
    return redirect(safe_next(request, reverse("mentor_home")))
