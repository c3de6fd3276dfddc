"""Signal receivers through which the lower apps' events reach the top layer.

Lower apps send their signals on commit (``send_on_commit``), so nothing here runs for a
rolled-back write. Each receiver writes a notification row (its email leaves on that row's own
commit) or publishes a task; none lets an error escape into the write that caused it.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from curriculum.models import Assignment, Cohort
from learners import signals as learner_signals
from learners.models import Enrollment, Pause, ProgressLog, Submission
from mentors import signals as mentor_signals
from mentors.models import Mentor, MentorSession, Pairing, Review
from mentors.services import pairing_close_for_enrollment
from tracker import tasks
from tracker.notifications import events
from tracker.notifications.services import safe_publish
from tracker.progress.cache import bump_progress_version, forget_cohort

logger = logging.getLogger(__name__)


@receiver(mentor_signals.review_created, dispatch_uid="tracker.feedback_ready")
def on_review_created(sender, review_id: int, **kwargs) -> None:
    events.feedback_ready(review_id)


@receiver(learner_signals.help_requested, dispatch_uid="tracker.help_requested")
def on_help_requested(sender, help_request_id: int, **kwargs) -> None:
    events.help_requested(help_request_id)


@receiver(learner_signals.submission_created, dispatch_uid="tracker.submission_received")
def on_submission_created(sender, submission_id: int, **kwargs) -> None:
    events.submission_received(submission_id)
    _enqueue_deployment_check(submission_id)


@receiver(learner_signals.enrollment_status_changed, dispatch_uid="tracker.close_pairing")
def on_enrollment_status_changed(sender, enrollment_id: int, status: str, **kwargs) -> None:
    # A withdrawn or graduated learner frees their mentor's seat; the history stays.
    if status in (Enrollment.Status.WITHDRAWN, Enrollment.Status.GRADUATED):
        pairing_close_for_enrollment(enrollment_id=enrollment_id)


@receiver(mentor_signals.session_changed, dispatch_uid="tracker.missed_sessions")
def on_session_changed(sender, session_id: int, **kwargs) -> None:
    events.missed_sessions(session_id)


def _enqueue_deployment_check(submission_id: int) -> None:
    if not Submission.objects.filter(pk=submission_id).exclude(deployment_url="").exists():
        return
    if not safe_publish(tasks.check_deployment, args=[submission_id]):
        logger.warning(
            "Deployment check of submission %s waits for the daily re-check", submission_id
        )


# Every row a progress page shows or computes from. Rows inside one cohort outdate that cohort's
# pages: its enrollments, and the learners' work, reviews, pauses, pairings and sessions (found
# through their enrollment); the rest (names of users and mentors, assignments) every cohort's.
ENROLLMENT_ROWS = (ProgressLog, Submission, Pause, Pairing, MentorSession)
EVERY_COHORT_ROWS = (Mentor, Assignment, get_user_model())
# The foreign key that places a row in a cohort, remembered as loaded so a row moved from one
# enrollment (or cohort) to another outdates both.
PLACING_FIELD = {
    **dict.fromkeys(ENROLLMENT_ROWS, "enrollment_id"),
    Review: "submission_id",
    Enrollment: "cohort_id",
}
LOADED = "_stride_progress_placed_in"


def remember_placement(sender, instance, **kwargs) -> None:
    """``post_init``: where the row stood when loaded (nothing for a row not yet saved, nor
    when the field was deferred: reading it here would cost a query per row)."""
    if instance.pk is not None:
        setattr(instance, LOADED, instance.__dict__.get(PLACING_FIELD[sender]))


def cohorts_of(sender, instance) -> set[int] | None:
    """The cohorts whose pages a change of ``instance`` outdates; None for every cohort (also
    when a cohort cannot be found, e.g. a row whose enrollment is gone)."""
    if sender is Cohort:
        return {instance.pk}
    field = PLACING_FIELD[sender]
    placed = {getattr(instance, field), getattr(instance, LOADED, None)} - {None}
    if not placed:
        return None
    if sender is Enrollment:
        return placed
    if sender is Review:
        found = Submission.objects.filter(pk__in=placed).values_list("pk", "enrollment__cohort_id")
    else:
        found = Enrollment.objects.filter(pk__in=placed).values_list("pk", "cohort_id")
    cohorts = dict(found)
    if set(cohorts) != placed:
        return None
    return set(cohorts.values())


def on_progress_row_changed(sender, instance, update_fields=None, **kwargs) -> None:
    """Any save or delete of such a row (services, admin, shell) outdates cached pages."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        # Signing in changes nothing a progress page shows.
        return
    if sender in EVERY_COHORT_ROWS:
        bump_progress_version()
        return
    if sender is Cohort and kwargs.get("signal") is post_delete:
        forget_cohort(instance.pk)
        return
    cohorts = cohorts_of(sender, instance)
    bump_progress_version(cohorts)
    if sender in PLACING_FIELD and kwargs.get("signal") is post_save:
        # Saved: where the row stands now is where a later change moves it from.
        setattr(instance, LOADED, instance.__dict__.get(PLACING_FIELD[sender]))


for _model in (*PLACING_FIELD, Cohort, *EVERY_COHORT_ROWS):
    _label = _model._meta.label_lower
    post_save.connect(
        on_progress_row_changed, sender=_model, dispatch_uid=f"tracker.progress_saved.{_label}"
    )
    post_delete.connect(
        on_progress_row_changed, sender=_model, dispatch_uid=f"tracker.progress_deleted.{_label}"
    )
for _model in PLACING_FIELD:
    post_init.connect(
        remember_placement,
        sender=_model,
        dispatch_uid=f"tracker.progress_placed.{_model._meta.label_lower}",
    )
