"""Reads of the learners' side, scoped to the caller by the rules in ``learners/rules.py``,
and the learner pages' own reads: which enrollment a page shows (``current_enrollment``) and
the log panel with its edit window (``log_panel``). Imports the kernel, ``curriculum`` and
this app only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from curriculum.kernel import clock
from learners.models import DeploymentCheck, Enrollment, HelpRequest, Pause, ProgressLog, Submission
from learners.rules import (
    DEPLOYMENT_CHECK_RULE,
    ENROLLMENT_RULE,
    HELP_REQUEST_RULE,
    PAUSE_RULE,
    PROGRESS_LOG_RULE,
    SUBMISSION_RULE,
    log_edit_window,
)


def enrollment_list(*, fetched_by: Any) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(ENROLLMENT_RULE.readable_by(fetched_by)).select_related(
        "learner", "cohort", "cohort__program"
    )


def own_enrollments(*, fetched_by: Any) -> list[Enrollment]:
    """The caller's own enrollments (in scope), read once: a learner has one or a few, and
    their home both chooses among them (``current_enrollment``) and lists them."""
    return list(enrollment_list(fetched_by=fetched_by).filter(learner_id=fetched_by.pk))


def current_enrollment(
    *, fetched_by: Any, chosen: str | None = None, own: list[Enrollment] | None = None
) -> Enrollment | None:
    """The caller's own enrollment a learner's page shows: ``chosen`` (an id), else the newest
    open one, else the newest of any status; None when they have none. Raises
    ``Enrollment.DoesNotExist`` when ``chosen`` is not one of theirs. With ``own`` (what
    ``own_enrollments`` read), chosen among those without a query."""
    # An id in ASCII digits: int() would also read other scripts' digits and spaces.
    if chosen and not (chosen.isascii() and chosen.isdigit()):
        raise Enrollment.DoesNotExist("No such enrollment.")
    if own is not None:
        if chosen:
            for enrollment in own:
                if enrollment.pk == int(chosen):
                    return enrollment
            raise Enrollment.DoesNotExist("No such enrollment.")
        newest = sorted(own, key=lambda e: (e.cohort.start_date, e.pk), reverse=True)
        return next(
            (e for e in newest if e.status in Enrollment.OPEN_STATUSES),
            newest[0] if newest else None,
        )
    own_queryset = enrollment_list(fetched_by=fetched_by).filter(learner_id=fetched_by.pk)
    if chosen:
        return own_queryset.get(pk=int(chosen))
    newest = own_queryset.order_by("-cohort__start_date", "-id")
    return newest.filter(status__in=Enrollment.OPEN_STATUSES).first() or newest.first()


def pause_list(*, fetched_by: Any) -> QuerySet[Pause]:
    return Pause.objects.filter(PAUSE_RULE.readable_by(fetched_by)).select_related(
        "enrollment", "enrollment__learner"
    )


def progress_log_list(*, fetched_by: Any) -> QuerySet[ProgressLog]:
    return ProgressLog.objects.filter(PROGRESS_LOG_RULE.readable_by(fetched_by)).select_related(
        "enrollment", "enrollment__learner", "module"
    )


def own_progress_log_list(*, fetched_by: Any) -> QuerySet[ProgressLog]:
    """The caller's own logs, the only ones their pages change (a paired mentor reads them)."""
    return (
        progress_log_list(fetched_by=fetched_by)
        .filter(enrollment__learner_id=fetched_by.pk)
        .select_related("enrollment__cohort")
    )


def log_panel(
    *, fetched_by: Any, enrollment: Enrollment, editing: ProgressLog | None = None
) -> dict[str, Any]:
    """The learner's log panel: the five newest logs plus any still inside the edit window (and
    ``editing``, the log being changed), newest first, each with whether the caller may still
    change it and until when."""
    logs = progress_log_list(fetched_by=fetched_by).filter(enrollment=enrollment)
    window = log_edit_window()
    # One read: the five newest and the newest 20 others still inside the edit window. The
    # five newest of all logs are the first five of any set that holds them, so the first 25
    # of (the five newest or created inside the window) in the same order are both lists.
    newest = logs.order_by("-logged_on", "-id").values("pk")[:5]
    shown = list(
        logs.filter(Q(pk__in=newest) | Q(created_at__gte=clock.now() - window)).order_by(
            "-logged_on", "-id"
        )[:25]
    )
    if editing is not None and all(log.pk != editing.pk for log in shown):
        shown.append(editing)
    shown.sort(key=lambda log: (log.logged_on, log.pk), reverse=True)
    return {
        "enrollment": enrollment,
        "recent_logs": [
            {
                "log": log,
                "editable": PROGRESS_LOG_RULE.can_update(fetched_by, log),
                "editable_until": log.created_at + window,
            }
            for log in shown
        ],
        "edit_window_hours": settings.STRIDE_LOG_EDIT_WINDOW_HOURS,
        "edit_log": editing,
    }


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


# --- The capstone's live-model check ------------------------------------------------------------
# What "passing" means, for every room that asks (graduation rules, the alumni page, the staff
# cohort view): a ``DeploymentCheck`` with ``ok`` true, which the live check sets only when
# every example of the prediction contract answered in time, in schema and with the expected
# value (or, without a contract, when the URL answered 2xx/3xx).


def capstone_checks(enrollment: Enrollment | int) -> QuerySet[DeploymentCheck]:
    """Every check of the enrollment's deployed capstone submissions (any version), newest
    first."""
    enrollment_id = enrollment if isinstance(enrollment, int) else enrollment.pk
    return DeploymentCheck.objects.filter(submission__enrollment_id=enrollment_id).order_by(
        "-checked_at", "-id"
    )


def latest_check(enrollment: Enrollment | int) -> DeploymentCheck | None:
    """The enrollment's most recent capstone check, passing or not (None: never checked)."""
    return capstone_checks(enrollment).first()


def latest_passing_check(enrollment: Enrollment | int) -> DeploymentCheck | None:
    """The enrollment's most recent passing capstone check (``ok``: every example passed), or
    None. "Passing within the last N days" is ``check.checked_at >= now - N days``."""
    return capstone_checks(enrollment).filter(ok=True).first()
