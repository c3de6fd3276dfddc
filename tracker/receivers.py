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
from tracker import jobs
from tracker.notifications import events
from tracker.progress import snapshots
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
    if not jobs.publish(jobs.CHECK_DEPLOYMENT, args=[submission_id]):
        logger.warning(
            "Deployment check of submission %s waits for the daily re-check", submission_id
        )


# Every row a progress page shows or computes from. Rows inside one cohort outdate that cohort's
# pages: its enrollments, and the learners' work, reviews, pauses, pairings and sessions (found
# through their enrollment); the rest (names of users and mentors, assignments) every cohort's.
# The same writes outdate the stored report rows (``tracker.progress.snapshots``) of the
# enrollments they touch: a cohort's dates those of its enrollments, an assignment its
# program's, a user's or mentor's name those showing it (as the learner or the mentor).
ENROLLMENT_ROWS = (ProgressLog, Submission, Pause, Pairing, MentorSession)
EVERY_COHORT_ROWS = (Mentor, Assignment, get_user_model())
# The foreign key that places a row, remembered as loaded so a row moved from one enrollment
# (cohort, program) to another outdates both.
PLACING_FIELD = {
    **dict.fromkeys(ENROLLMENT_ROWS, "enrollment_id"),
    Review: "submission_id",
    Enrollment: "cohort_id",
    Assignment: "program_id",
}
LOADED = "_stride_progress_placed_in"


def remember_placement(sender, instance, **kwargs) -> None:
    """``post_init``: where the row stood when loaded (nothing for a row not yet saved, nor
    when the field was deferred: reading it here would cost a query per row)."""
    if instance.pk is not None:
        setattr(instance, LOADED, instance.__dict__.get(PLACING_FIELD[sender]))


def placements(sender, instance) -> set[int]:
    field = PLACING_FIELD[sender]
    return {getattr(instance, field), getattr(instance, LOADED, None)} - {None}


def enrollments_of(sender, instance) -> tuple[set[int] | None, set[int]]:
    """The cohorts whose pages a change of ``instance`` outdates (None for every cohort, also
    when a cohort cannot be found, e.g. a row whose enrollment is gone) and the enrollments
    whose stored progress it outdates."""
    placed = placements(sender, instance)
    if sender is Enrollment:
        return (placed or None), {instance.pk}
    if not placed:
        return None, set()
    if sender is Review:
        found = Submission.objects.filter(pk__in=placed).values_list(
            "pk", "enrollment_id", "enrollment__cohort_id"
        )
    else:
        found = Enrollment.objects.filter(pk__in=placed).values_list("pk", "pk", "cohort_id")
    rows = list(found)
    enrollments = {enrollment_id: cohort_id for _, enrollment_id, cohort_id in rows}
    complete = {pk for pk, _, _ in rows} == placed
    return (set(enrollments.values()) if complete else None), set(enrollments)


def on_progress_row_changed(sender, instance, update_fields=None, **kwargs) -> None:
    """Any save or delete of such a row (services, admin, shell) outdates cached pages and the
    stored progress it can move."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        # Signing in changes nothing a progress page shows.
        return
    deleted = kwargs.get("signal") is post_delete
    if sender is Assignment:
        snapshots.outdate(program_ids=placements(sender, instance))
    elif sender is Mentor:
        snapshots.outdate(mentor_ids=[instance.pk])
    elif sender in EVERY_COHORT_ROWS:
        # A user: the names shown for them as a learner or as a mentor.
        snapshots.outdate(learner_ids=[instance.pk], mentor_user_ids=[instance.pk])
    if sender in EVERY_COHORT_ROWS:
        bump_progress_version()
    elif sender is Cohort:
        if deleted:
            forget_cohort(instance.pk)
        else:
            bump_progress_version([instance.pk])
            snapshots.outdate(cohort_ids=[instance.pk])
    else:
        cohorts, enrollments = enrollments_of(sender, instance)
        bump_progress_version(cohorts)
        if sender is Enrollment and deleted:
            snapshots.forget(enrollments)
        else:
            snapshots.outdate(enrollments)
    if sender in PLACING_FIELD and not deleted:
        # Saved: where the row stands now is where a later change moves it from.
        setattr(instance, LOADED, instance.__dict__.get(PLACING_FIELD[sender]))


for _model in dict.fromkeys((*PLACING_FIELD, Cohort, *EVERY_COHORT_ROWS)):
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
