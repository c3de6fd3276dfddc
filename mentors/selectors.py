"""Reads of the mentors' side, scoped to the caller by the rules in ``mentors/rules.py``."""

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
from learners.models import Enrollment, Submission
from learners.rules import OfEnrollment
from learners.selectors import latest_versions, submission_list
from mentors.models import Mentor, MentorSession, Pairing, Review
from mentors.rules import MENTOR_RULE, MENTOR_SESSION_RULE, PAIRING_RULE, REVIEW_RULE


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


def session_list(*, fetched_by: Any) -> QuerySet[MentorSession]:
    return MentorSession.objects.filter(MENTOR_SESSION_RULE.readable_by(fetched_by)).select_related(
        "enrollment", "enrollment__learner", "pairing", "pairing__mentor", "pairing__mentor__user"
    )


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
                enrollment__status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED],
            )
        )
        .annotate(waiting=waiting)
        .order_by("submitted_at", "id")
    )
