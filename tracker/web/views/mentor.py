"""The mentor's dashboard: learners, review queue, sessions and help requests; the review page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from curriculum.kernel import clock
from curriculum.kernel.forms import apply_service_errors, service_errors
from curriculum.kernel.names import display_name
from learners.models import Enrollment, Submission
from learners.selectors import enrollment_list, help_request_list, submission_list
from learners.services import help_request_answer
from mentors.models import MentorSession
from mentors.selectors import review_queue, session_list
from mentors.services import review_create, session_create, session_update
from tracker.notifications.selectors import notification_list
from tracker.progress import learner_progress
from tracker.progress.engine import urgency
from tracker.web.charts import PACE_LABELS, RISK_REASON_TEXT, Bar
from tracker.web.forms import (
    HelpAnswerForm,
    ReviewForm,
    SessionLogForm,
    SessionScheduleForm,
)
from tracker.web.views.common import calendar_url, named_scores, page, role_required, safe_next

FAR_PAST = dt.datetime.min.replace(tzinfo=dt.UTC)
FAR_FUTURE = dt.date.max
SORTS = {
    "pace": ("Pace", lambda row: (urgency(row["progress"].pace), row["name"])),
    "last_activity": (
        "Last activity",
        lambda row: (row["progress"].last_activity_at or FAR_PAST, row["name"]),
    ),
    "next_due": (
        "Next due",
        lambda row: (
            row["progress"].next_due.due_date if row["progress"].next_due else FAR_FUTURE,
            row["name"],
        ),
    ),
    "name": ("Learner", lambda row: (row["name"],)),
}


def _my_enrollments(user) -> list[Enrollment]:
    return enrollment_list(fetched_by=user).exclude(status=Enrollment.Status.WITHDRAWN)


def learner_rows(user, sort: str) -> list[dict]:
    rows = [
        {
            "enrollment": row.enrollment,
            "name": row.name,
            "progress": row.progress,
            "pace_label": PACE_LABELS.get(row.progress.pace, row.progress.pace),
            "reasons": [RISK_REASON_TEXT.get(code, code) for code in row.progress.risk_reasons],
            "bar": Bar(row.progress.percent_complete, row.progress.expected_percent, "Progress"),
        }
        for row in learner_progress(fetched_by=user)
    ]
    rows.sort(key=SORTS[sort][1])
    return rows


def _dashboard_context(request: HttpRequest, *, schedule_form=None, log_forms=None) -> dict:
    user = request.user
    sort = request.GET.get("sort", "pace")
    if sort not in SORTS:
        sort = "pace"
    now = clock.now()
    queue = [
        {"submission": submission, "waiting": now - submission.submitted_at}
        for submission in review_queue(fetched_by=user)
    ]
    sessions = list(
        session_list(fetched_by=user)
        .filter(status=MentorSession.Status.SCHEDULED)
        .select_related("enrollment__learner")
        .order_by("scheduled_at")
    )
    log_forms = log_forms or {}
    return {
        "sort": sort,
        "sorts": [(key, label) for key, (label, _) in SORTS.items()],
        "rows": learner_rows(user, sort),
        "queue": queue,
        "sessions": [
            {
                "session": session,
                "is_past": session.scheduled_at <= now,
                "form": log_forms.get(session.pk) or SessionLogForm(prefix=f"s{session.pk}"),
            }
            for session in sessions
        ],
        "schedule_form": schedule_form
        or SessionScheduleForm(enrollments=_my_enrollments(user).select_related("learner")),
        "help_requests": help_request_list(fetched_by=user, open_only=True).order_by("created_at"),
        "answer_form": HelpAnswerForm(),
        "notifications": notification_list(fetched_by=user)[:8],
        "calendar_url": calendar_url(request),
    }


@role_required("mentor", "staff")
def mentor_home(request: HttpRequest) -> HttpResponse:
    return page(request, "web/mentor_home.html", _dashboard_context(request))


@role_required("mentor", "staff")
def review_submission(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    submission = get_object_or_404(
        submission_list(fetched_by=user).select_related("assignment__program"), pk=pk
    )
    criteria = list(submission.assignment.rubric_criteria.order_by("order"))
    history = list(
        submission_list(fetched_by=user)
        .filter(enrollment_id=submission.enrollment_id, assignment_id=submission.assignment_id)
        .exclude(pk=submission.pk)
        .select_related("review", "review__reviewer")
        .order_by("-version")
    )
    names = {str(c.pk): c for c in criteria}
    earlier = []
    for old in history:
        review = getattr(old, "review", None)
        scores = named_scores(review, names) if review is not None else []
        earlier.append({"submission": old, "review": review, "scores": scores})
    existing_review = getattr(submission, "review", None)
    is_latest = all(old.version < submission.version for old in history)
    can_review = (
        existing_review is None and is_latest and submission.status == Submission.Status.SUBMITTED
    )

    form = ReviewForm(request.POST or None, criteria=criteria)
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied("This version cannot be reviewed any more.")
        if form.is_valid():
            try:
                review_create(
                    actor=user,
                    submission=submission,
                    verdict=form.cleaned_data["verdict"],
                    feedback=form.cleaned_data["feedback"],
                    scores=form.scores(),
                )
            except ValidationError as error:
                _apply_review_errors(form, error)
            except PermissionDenied as denied:
                form.add_error(None, str(denied) or "You may not review this submission.")
            else:
                learner = submission.enrollment.learner
                messages.success(
                    request,
                    f"Review saved for {display_name(learner)}: "
                    f"“{submission.assignment}” v{submission.version}.",
                )
                return redirect("mentor_home")
    return page(
        request,
        "web/review.html",
        {
            "submission": submission,
            "earlier": earlier,
            "existing_review": existing_review,
            "can_review": can_review,
            "form": form,
            "waiting": clock.now() - submission.submitted_at,
        },
    )


def _apply_review_errors(form: ReviewForm, error: ValidationError) -> None:
    """A service's ``scores`` errors may be keyed by criterion id: put them on that field."""
    if hasattr(error, "error_dict") and "scores" in error.error_dict:
        remaining = {k: v for k, v in error.error_dict.items() if k != "scores"}
        for item in error.error_dict["scores"]:
            for message in item.messages:
                placed = False
                for criterion in form.criteria:
                    if str(criterion.pk) in message or criterion.name in message:
                        form.add_error(f"score_{criterion.pk}", message)
                        placed = True
                        break
                if not placed:
                    form.add_error(None, message)
        if remaining:
            apply_service_errors(form, ValidationError(remaining))
        return
    apply_service_errors(form, error)


@role_required("mentor", "staff")
@require_POST
def schedule_session(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = SessionScheduleForm(
        request.POST, enrollments=_my_enrollments(user).select_related("learner")
    )
    if form.is_valid():
        with service_errors(form, "You may not schedule this session."):
            session = session_create(actor=user, **form.cleaned_data)
            messages.success(
                request, f"Session scheduled for {session.scheduled_at:%Y-%m-%d %H:%M}."
            )
            return redirect("mentor_home")
    return page(request, "web/mentor_home.html", _dashboard_context(request, schedule_form=form))


@role_required("mentor", "staff")
@require_POST
def log_session(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    session = get_object_or_404(session_list(fetched_by=user), pk=pk)
    form = SessionLogForm(request.POST, prefix=f"s{session.pk}")
    if form.is_valid():
        with service_errors(form, "You may not change this session."):
            session_update(actor=user, session=session, **form.cleaned_data)
            messages.success(request, f"Session marked {session.get_status_display().lower()}.")
            return redirect("mentor_home")
    return page(
        request,
        "web/mentor_home.html",
        _dashboard_context(request, log_forms={session.pk: form}),
    )


@role_required("mentor", "staff")
@require_POST
def answer_help(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    help_request = get_object_or_404(help_request_list(fetched_by=user), pk=pk)
    form = HelpAnswerForm(request.POST)
    if form.is_valid():
        try:
            help_request_answer(
                actor=user, help_request=help_request, answer=form.cleaned_data["answer"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        except PermissionDenied as denied:
            messages.error(request, str(denied) or "You may not answer this request.")
        else:
            messages.success(request, "Help request marked answered.")
    return redirect(safe_next(request, reverse("mentor_home")))
