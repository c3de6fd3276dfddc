"""Reminders caused by events (a review saved, help asked, work submitted, a session missed).

Each takes an id, re-reads, and notifies with a dedupe key encoding the contract's "at most".
"""

from __future__ import annotations

from itertools import takewhile

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from curriculum.kernel.names import display_name
from learners.models import HelpRequest, Submission
from mentors.models import MentorSession, Pairing, Review
from tracker.models import Notification

from .services import notify

Kind = Notification.Kind


def _active_mentor_user_id(enrollment_id: int) -> int | None:
    return (
        Pairing.objects.filter(enrollment_id=enrollment_id, ended_at__isnull=True)
        .values_list("mentor__user_id", flat=True)
        .first()
    )


def feedback_ready(review_id: int) -> Notification | None:
    review = (
        Review.objects.select_related(
            "submission__assignment", "submission__enrollment__learner", "reviewer"
        )
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        return None
    submission = review.submission
    title = submission.assignment.title
    verdict = "approved" if review.verdict == Review.Verdict.APPROVED else "needs changes"
    return notify(
        recipient=submission.enrollment.learner,
        kind=Kind.FEEDBACK_READY,
        subject=f"Feedback on “{title}”: {verdict}",
        body=(
            f"{display_name(review.reviewer)} reviewed version {submission.version} of "
            f"“{title}”: {verdict}.\n\n{review.feedback}"
        ),
        link=f"/submissions/{submission.pk}/",
        dedupe_key=f"feedback_ready:{review.pk}",
    )


def help_requested(help_request_id: int) -> Notification | None:
    request = (
        HelpRequest.objects.select_related("enrollment__learner").filter(pk=help_request_id).first()
    )
    if request is None or not request.is_open:
        return None
    mentor_user_id = _active_mentor_user_id(request.enrollment_id)
    if mentor_user_id is None:
        return None
    learner = display_name(request.enrollment.learner)
    return notify(
        recipient=get_user_model()(pk=mentor_user_id),
        kind=Kind.HELP_REQUESTED,
        subject=f"{learner} asked for help",
        body=f"{learner} wrote:\n\n{request.message}",
        link=f"/enrollments/{request.enrollment_id}/",
        dedupe_key=f"help_requested:{request.pk}:{mentor_user_id}",
    )


def submission_received(submission_id: int) -> Notification | None:
    submission = (
        Submission.objects.select_related("assignment", "enrollment__learner")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return None
    mentor_user_id = _active_mentor_user_id(submission.enrollment_id)
    if mentor_user_id is None:
        return None
    learner = display_name(submission.enrollment.learner)
    title = submission.assignment.title
    return notify(
        recipient=get_user_model()(pk=mentor_user_id),
        kind=Kind.SUBMISSION_RECEIVED,
        subject=f"{learner} submitted “{title}” (v{submission.version})",
        body=f"{learner} submitted version {submission.version} of “{title}”: {submission.url}",
        link=f"/submissions/{submission.pk}/",
        dedupe_key=f"submission_received:{submission.pk}:{mentor_user_id}",
    )


def missed_sessions(session_id: int) -> list[Notification]:
    """Tell staff when the last N decided sessions of a pairing were all missed (a session
    cancelled inside the notice, ``cancelled_late``, counts as missed; other cancelled or
    scheduled ones neither break nor extend a streak). The streak is named by its first
    missed session, so it is reported once however long it grows."""
    session = MentorSession.objects.filter(pk=session_id).values("pairing_id").first()
    if session is None:
        return []
    streak_length = settings.STRIDE_MISSED_SESSIONS_STREAK
    decided = list(
        MentorSession.objects.filter(
            Q(status__in=[MentorSession.Status.MISSED, MentorSession.Status.COMPLETED])
            | Q(status=MentorSession.Status.CANCELLED, cancelled_late=True),
            pairing_id=session["pairing_id"],
        )
        .order_by("-scheduled_at", "-id")
        .values_list("id", "status")[:50]
    )
    completed = MentorSession.Status.COMPLETED
    streak = [pk for pk, _ in takewhile(lambda row: row[1] != completed, decided)]
    if len(streak) < streak_length:
        return []
    pairing = Pairing.objects.select_related("mentor__user", "enrollment__learner").get(
        pk=session["pairing_id"]
    )
    learner = display_name(pairing.enrollment.learner)
    mentor = display_name(pairing.mentor.user)
    first_missed = streak[-1]
    created = []
    for staff in get_user_model().objects.filter(is_staff=True, is_active=True):
        notification = notify(
            recipient=staff,
            kind=Kind.MISSED_SESSIONS,
            subject=f"{learner} and {mentor} missed {len(streak)} sessions in a row",
            body=(
                f"The last {len(streak)} sessions between {learner} and their mentor {mentor} "
                "were missed. It may be time to check in with them."
            ),
            link=f"/enrollments/{pairing.enrollment_id}/",
            dedupe_key=f"missed_sessions:{pairing.pk}:{first_missed}:{staff.pk}",
        )
        if notification is not None:
            created.append(notification)
    return created
