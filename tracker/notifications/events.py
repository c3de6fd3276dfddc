"""Reminders caused by events (a review saved, help asked, work submitted, a session missed).

Each takes an id, re-reads, and notifies with a dedupe key encoding the contract's "at most".
"""

from __future__ import annotations

from itertools import takewhile
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from curriculum.kernel.names import display_name
from learners.models import HelpRequest, Submission
from mentors.models import MentorSession, Pairing, Review
from tracker.languages import in_language, language_of, languages_of
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
    learner = submission.enrollment.learner
    with in_language(language_of(learner)):
        if review.verdict == Review.Verdict.APPROVED:
            verdict = pgettext("the verdict on a submission", "approved")
        else:
            verdict = pgettext("the verdict on a submission", "needs changes")
        said = {"title": title, "verdict": verdict, "version": submission.version}
        return notify(
            recipient=learner,
            kind=Kind.FEEDBACK_READY,
            subject=_("Feedback on “%(title)s”: %(verdict)s") % said,
            body=(
                _("%(reviewer)s reviewed version %(version)s of “%(title)s”: %(verdict)s.")
                % {**said, "reviewer": display_name(review.reviewer)}
                + f"\n\n{review.feedback}"
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
    mentor = get_user_model()(pk=mentor_user_id)
    with in_language(language_of(mentor)):
        return notify(
            recipient=mentor,
            kind=Kind.HELP_REQUESTED,
            subject=_("%(learner)s asked for help") % {"learner": learner},
            body=_("%(learner)s wrote:") % {"learner": learner} + f"\n\n{request.message}",
            link=f"/enrollments/{request.enrollment_id}/",
            dedupe_key=f"help_requested:{request.pk}:{mentor_user_id}",
        )


def submission_for_notice(submission_id: int) -> Submission | None:
    """The submission as ``submission_received`` reads it (None when it is gone)."""
    return (
        Submission.objects.select_related("assignment", "enrollment__learner")
        .filter(pk=submission_id)
        .first()
    )


_UNREAD = object()


def submission_received(submission_id: int, *, submission: Any = _UNREAD) -> Notification | None:
    """Tell the learner's active mentor about a new submission. ``submission``: the row as
    ``submission_for_notice`` read it, when the caller has (None: it is gone)."""
    if submission is _UNREAD:
        submission = submission_for_notice(submission_id)
    if submission is None:
        return None
    mentor_user_id = _active_mentor_user_id(submission.enrollment_id)
    if mentor_user_id is None:
        return None
    said = {
        "learner": display_name(submission.enrollment.learner),
        "title": submission.assignment.title,
        "version": submission.version,
        "url": submission.url,
    }
    mentor = get_user_model()(pk=mentor_user_id)
    with in_language(language_of(mentor)):
        return notify(
            recipient=mentor,
            kind=Kind.SUBMISSION_RECEIVED,
            subject=_("%(learner)s submitted “%(title)s” (v%(version)s)") % said,
            body=_("%(learner)s submitted version %(version)s of “%(title)s”: %(url)s") % said,
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
    said = {"learner": learner, "mentor": mentor, "count": len(streak)}
    staff_members = list(get_user_model().objects.filter(is_staff=True, is_active=True))
    languages = languages_of(staff.pk for staff in staff_members)
    for staff in staff_members:
        with in_language(languages.get(staff.pk)):
            notification = notify(
                recipient=staff,
                kind=Kind.MISSED_SESSIONS,
                subject=_("%(learner)s and %(mentor)s missed %(count)d sessions in a row") % said,
                body=_(
                    "The last %(count)d sessions between %(learner)s and their mentor %(mentor)s "
                    "were missed. It may be time to check in with them."
                )
                % said,
                link=f"/enrollments/{pairing.enrollment_id}/",
                dedupe_key=f"missed_sessions:{pairing.pk}:{first_missed}:{staff.pk}",
            )
        if notification is not None:
            created.append(notification)
    return created
