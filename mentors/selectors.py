"""Reads of the mentors' side, scoped to the caller by the rules in ``mentors/rules.py``, and
the mentor-side parts of pages: an enrollment's sessions and current pairing, the feedback a
learner received, the review page (``review_page``). Imports the kernel, ``curriculum``,
``learners`` and this app."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
)

from curriculum.kernel import clock
from curriculum.kernel.access import EVERYTHING, is_staff
from curriculum.models import RubricCriterion
from learners.models import Enrollment, Submission
from learners.rules import OfEnrollment
from learners.selectors import enrollment_list, latest_versions, submission_list
from mentors.models import Mentor, MentorSession, Pairing, Review
from mentors.rules import (
    MENTOR_RULE,
    MENTOR_SESSION_RULE,
    PAIRING_RULE,
    REVIEW_RULE,
    review_closed,
)


def mentor_list(*, fetched_by: Any) -> QuerySet[Mentor]:
    """Mentors in scope, annotated with ``active_learners`` (their active pairings)."""
    return (
        Mentor.objects.filter(MENTOR_RULE.readable_by(fetched_by))
        .select_related("user")
        .annotate(active_learners=Count("pairings", filter=Q(pairings__ended_at__isnull=True)))
    )


def pairing_list(*, fetched_by: Any, active_only: bool = False) -> QuerySet[Pairing]:
    queryset = Pairing.objects.filter(PAIRING_RULE.readable_by(fetched_by)).select_related(
        "mentor", "mentor__user", "enrollment", "enrollment__learner"
    )
    if active_only:
        queryset = queryset.filter(ended_at__isnull=True)
    return queryset


def current_pairing(*, fetched_by: Any, enrollment: Enrollment) -> Pairing | None:
    """The enrollment's active pairing (with its mentor), when the caller may see it."""
    return (
        pairing_list(fetched_by=fetched_by, active_only=True).filter(enrollment=enrollment).first()
    )


def enrollment_pairings(*, fetched_by: Any, enrollment: Enrollment) -> list[Pairing]:
    """Every pairing of the enrollment the caller may see, newest first (``Pairing.Meta``'s
    order): the current one (``current_pairing_among``) and the last one (the graduation
    panel's last mentor) in one read. An enrollment has few: re-pairing is rare."""
    return list(pairing_list(fetched_by=fetched_by).filter(enrollment=enrollment))


def current_pairing_among(pairings: list[Pairing]) -> Pairing | None:
    """``current_pairing`` read from ``enrollment_pairings`` (at most one is active)."""
    return next((pairing for pairing in pairings if pairing.ended_at is None), None)


def session_list(*, fetched_by: Any) -> QuerySet[MentorSession]:
    return MentorSession.objects.filter(MENTOR_SESSION_RULE.readable_by(fetched_by)).select_related(
        "enrollment", "enrollment__learner", "pairing", "pairing__mentor", "pairing__mentor__user"
    )


# How many scheduled sessions ``enrollment_sessions`` lists.
UPCOMING_SHOWN = 20


def enrollment_sessions(*, fetched_by: Any, enrollment: Enrollment) -> dict[str, Any]:
    """The sessions of one enrollment a page lists: every scheduled one, soonest first, and
    the last five that were decided (completed, missed, cancelled)."""
    sessions = session_list(fetched_by=fetched_by).filter(enrollment=enrollment)
    scheduled = MentorSession.Status.SCHEDULED
    return {
        "upcoming_sessions": list(
            sessions.filter(status=scheduled).order_by("scheduled_at")[:UPCOMING_SHOWN]
        ),
        "past_sessions": list(sessions.exclude(status=scheduled).order_by("-scheduled_at")[:5]),
    }


def session_enrollments(*, fetched_by: Any) -> QuerySet[Enrollment]:
    """The enrollments a session can be scheduled for: the caller's, withdrawn ones left out."""
    return (
        enrollment_list(fetched_by=fetched_by)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .select_related("learner")
    )


def next_session(*, fetched_by: Any, enrollment: Enrollment) -> MentorSession | None:
    """The enrollment's next scheduled session that has not started yet."""
    return (
        session_list(fetched_by=fetched_by)
        .filter(
            enrollment=enrollment,
            status=MentorSession.Status.SCHEDULED,
            scheduled_at__gte=clock.now(),
        )
        .order_by("scheduled_at")
        .first()
    )


def next_session_among(
    upcoming: list[MentorSession], *, fetched_by: Any, enrollment: Enrollment
) -> MentorSession | None:
    """``next_session`` read from ``enrollment_sessions``' upcoming list when that list tells
    (it holds every scheduled session, soonest first, unless it is full), else asked."""
    now = clock.now()
    for session in upcoming:
        if session.scheduled_at >= now:
            return session
    if len(upcoming) < UPCOMING_SHOWN:
        return None
    return next_session(fetched_by=fetched_by, enrollment=enrollment)


def review_list(*, fetched_by: Any) -> QuerySet[Review]:
    return Review.objects.filter(REVIEW_RULE.readable_by(fetched_by)).select_related(
        "reviewer",
        "submission",
        "submission__assignment",
        "submission__enrollment",
        "submission__enrollment__learner",
    )


def review_queue(*, fetched_by: Any) -> QuerySet[Submission]:
    """Latest-version submissions still waiting for review, oldest first, annotated with
    ``waiting`` (a duration). A mentor sees those of their current learners; staff see all;
    learners see none (the queue is a reviewer's list)."""
    if is_staff(fetched_by):
        scope = EVERYTHING
    else:
        scope = OfEnrollment("enrollment", learner=False).q(fetched_by)
    waiting = ExpressionWrapper(
        Value(clock.now(), output_field=DateTimeField()) - F("submitted_at"),
        output_field=DurationField(),
    )
    return (
        latest_versions(
            submission_list(fetched_by=fetched_by).filter(
                scope,
                status=Submission.Status.SUBMITTED,
                # A withdrawn or graduated learner's work no longer waits for anyone.
                enrollment__status__in=Enrollment.OPEN_STATUSES,
            )
        )
        .annotate(waiting=waiting)
        .order_by("submitted_at", "id")
    )


def _named_scores(review: Review | None, criteria: dict[str, RubricCriterion]) -> list[dict]:
    """A review's rubric scores as ``{name, score, max}``, named by ``criteria`` (by id as
    text); a score of a criterion since removed keeps its id as its name."""
    return [
        {
            "name": criteria[key].name if key in criteria else key,
            "score": score,
            "max": criteria[key].max_score if key in criteria else None,
        }
        for key, score in ((review.scores or {}) if review else {}).items()
    ]


def review_feedback(*, fetched_by: Any, enrollment: Enrollment) -> list[dict[str, Any]]:
    """The five newest reviews of an enrollment's work, each with its rubric scores named."""
    reviews = list(
        review_list(fetched_by=fetched_by)
        .filter(submission__enrollment=enrollment)
        .order_by("-created_at")[:5]
    )
    criteria = {
        str(criterion.pk): criterion
        for criterion in RubricCriterion.objects.filter(
            assignment_id__in={review.submission.assignment_id for review in reviews}
        )
    }
    return [{"review": review, "scores": _named_scores(review, criteria)} for review in reviews]


def review_page(*, fetched_by: Any, submission: Submission) -> dict[str, Any]:
    """One submission as its reviewer sees it: the rubric, the earlier versions with their
    reviews, its own review, and whether it still takes one (``review_closed``)."""
    criteria = list(submission.assignment.rubric_criteria.order_by("order"))
    history = list(
        submission_list(fetched_by=fetched_by)
        .filter(enrollment_id=submission.enrollment_id, assignment_id=submission.assignment_id)
        .exclude(pk=submission.pk)
        .select_related("review", "review__reviewer")
        .order_by("-version")
    )
    by_id = {str(criterion.pk): criterion for criterion in criteria}
    earlier = [{"submission": old, "review": getattr(old, "review", None)} for old in history]
    for item in earlier:
        item["scores"] = _named_scores(item["review"], by_id)
    review = getattr(submission, "review", None)
    latest = max(old.version for old in [submission, *history])
    closed = review_closed(submission, latest_version=latest, reviewed=review is not None)
    return {
        "submission": submission,
        "criteria": criteria,
        "earlier": earlier,
        "existing_review": review,
        "can_review": submission.status == Submission.Status.SUBMITTED and not closed,
    }
