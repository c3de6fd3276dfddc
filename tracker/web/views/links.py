"""The addresses notifications and emails link to (``/enrollments/<id>/``, ``/submissions/<id>/``,
``/sessions/<id>/``, ``/reviews/queue/``): each sends the caller to the page where that thing
is shown for their role.

They are links in emails, so they outlive the pages' own addresses and must stay stable. The
object is looked up through the caller's scoped selector first: an id outside the caller's
scope is a 404, as everywhere else, so a forwarded email leaks nothing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from learners.selectors import enrollment_list, submission_list
from mentors.models import MentorSession
from mentors.roles import role_of
from mentors.selectors import session_list


def _learner_home(enrollment_id: int, anchor: str) -> str:
    return f"{reverse('learner_home')}?enrollment={enrollment_id}#{anchor}"


@login_required
def enrollment_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff: the enrollment page; the learner: their own dashboard; their mentor: the
    dashboard, scrolled to that learner's row."""
    user = request.user
    enrollment = get_object_or_404(enrollment_list(fetched_by=user), pk=pk)
    if enrollment.learner_id == user.pk:
        return redirect(_learner_home(enrollment.pk, "progress-summary"))
    if role_of(user) == "staff":
        return redirect("enrollment_detail", pk=enrollment.pk)
    return redirect(f"{reverse('mentor_home')}#enrollment-{enrollment.pk}")


@login_required
def submission_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The learner: the feedback on their dashboard; their mentor and staff: the review page."""
    user = request.user
    submission = get_object_or_404(submission_list(fetched_by=user), pk=pk)
    if submission.enrollment.learner_id == user.pk:
        return redirect(_learner_home(submission.enrollment_id, "feedback-section"))
    return redirect("mentor_review", pk=submission.pk)


@login_required
def session_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The sessions section of the caller's page for that enrollment, at that session."""
    user = request.user
    session = get_object_or_404(session_list(fetched_by=user), pk=pk)
    # Every page lists the scheduled sessions; a decided one may have scrolled off the list.
    anchor = (
        f"session-{session.pk}" if session.status == MentorSession.Status.SCHEDULED else "sessions"
    )
    if session.enrollment.learner_id == user.pk:
        return redirect(_learner_home(session.enrollment_id, anchor))
    if role_of(user) == "staff":
        url = reverse("enrollment_detail", kwargs={"pk": session.enrollment_id})
        return redirect(f"{url}#{anchor}")
    return redirect(f"{reverse('mentor_home')}#{anchor}")


@login_required
def review_queue_link(request: HttpRequest) -> HttpResponse:
    """Mentors and staff: the review queue on the mentor dashboard. A learner has no queue of
    their own, so they land on their home page."""
    if role_of(request.user) in ("mentor", "staff"):
        return redirect(f"{reverse('mentor_home')}#review-queue-section")
    return redirect("home")
