"""Reads of the learners' side, scoped to the caller by the rules in ``learners/rules.py``."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from learners.models import DeploymentCheck, Enrollment, HelpRequest, Pause, ProgressLog, Submission
from learners.rules import (
    DEPLOYMENT_CHECK_RULE,
    ENROLLMENT_RULE,
    HELP_REQUEST_RULE,
    PAUSE_RULE,
    PROGRESS_LOG_RULE,
    SUBMISSION_RULE,
)


def enrollment_list(*, fetched_by: Any) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(ENROLLMENT_RULE.readable_by(fetched_by)).select_related(
        "learner", "cohort", "cohort__program"
    )


def pause_list(*, fetched_by: Any) -> QuerySet[Pause]:
    return Pause.objects.filter(PAUSE_RULE.readable_by(fetched_by)).select_related(
        "enrollment", "enrollment__learner"
    )


def progress_log_list(*, fetched_by: Any) -> QuerySet[ProgressLog]:
    return ProgressLog.objects.filter(PROGRESS_LOG_RULE.readable_by(fetched_by)).select_related(
        "enrollment", "enrollment__learner", "module"
    )


def submission_list(*, fetched_by: Any) -> QuerySet[Submission]:
    return Submission.objects.filter(SUBMISSION_RULE.readable_by(fetched_by)).select_related(
        "enrollment", "enrollment__learner", "enrollment__cohort", "assignment"
    )


def latest_versions(queryset: QuerySet[Submission]) -> QuerySet[Submission]:
    """Only the newest version of each (enrollment, assignment) in ``queryset``."""
    newer = Submission.objects.filter(
        enrollment_id=OuterRef("enrollment_id"),
        assignment_id=OuterRef("assignment_id"),
        version__gt=OuterRef("version"),
    )
    return queryset.filter(~Exists(newer))


def deployment_check_list(*, fetched_by: Any) -> QuerySet[DeploymentCheck]:
    return DeploymentCheck.objects.filter(DEPLOYMENT_CHECK_RULE.readable_by(fetched_by))


def help_request_list(*, fetched_by: Any, open_only: bool = False) -> QuerySet[HelpRequest]:
    """Help requests in scope; ``open_only`` keeps the unanswered ones (the mentor dashboard)."""
    queryset = HelpRequest.objects.filter(HELP_REQUEST_RULE.readable_by(fetched_by)).select_related(
        "enrollment", "enrollment__learner", "answered_by"
    )
    if open_only:
        queryset = queryset.filter(answered_at__isnull=True)
    return queryset
