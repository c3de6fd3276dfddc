"""Signal receivers through which the lower apps' events reach the top layer.

Lower apps send their signals on commit (``send_on_commit``), so nothing here runs for a
rolled-back write. Each receiver writes a notification row (its email leaves on that row's own
commit) or publishes a task; none lets an error escape into the write that caused it.
"""

from __future__ import annotations

import logging

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from learners import signals as learner_signals
from learners.models import Enrollment
from mentors import signals as mentor_signals
from mentors.services import pairing_close_for_enrollment
from tracker import jobs
from tracker.languages import forget_language
from tracker.mentoring import invitations
from tracker.models import UserPreferences
from tracker.notifications import events
from tracker.webhooks import receivers as webhook_receivers  # noqa: F401  (connects them)

logger = logging.getLogger(__name__)


@receiver(mentor_signals.review_created, dispatch_uid="tracker.feedback_ready")
def on_review_created(sender, review_id: int, **kwargs) -> None:
    events.feedback_ready(review_id)


@receiver(learner_signals.help_requested, dispatch_uid="tracker.help_requested")
def on_help_requested(sender, help_request_id: int, **kwargs) -> None:
    events.help_requested(help_request_id)


@receiver(learner_signals.submission_created, dispatch_uid="tracker.submission_received")
def on_submission_created(sender, submission_id: int, **kwargs) -> None:
    # One read of the submission for both: the mentor's notification and the deployment check.
    submission = events.submission_for_notice(submission_id)
    events.submission_received(submission_id, submission=submission)
    if submission is not None and submission.deployment_url:
        _publish_deployment_check(submission_id)


@receiver(learner_signals.enrollment_status_changed, dispatch_uid="tracker.close_pairing")
def on_enrollment_status_changed(sender, enrollment_id: int, status: str, **kwargs) -> None:
    # A withdrawn or graduated learner frees their mentor's seat; the history stays.
    if status in (Enrollment.Status.WITHDRAWN, Enrollment.Status.GRADUATED):
        pairing_close_for_enrollment(enrollment_id=enrollment_id)


@receiver(mentor_signals.session_changed, dispatch_uid="tracker.missed_sessions")
def on_session_changed(sender, session_id: int, **kwargs) -> None:
    events.missed_sessions(session_id)


@receiver(mentor_signals.session_booking_changed, dispatch_uid="tracker.session_invitations")
def on_session_booking_changed(
    sender, session_id: int, change: str, sequence: int, **kwargs
) -> None:
    invitations.session_booking_notify(session_id, change, sequence)


def _publish_deployment_check(submission_id: int) -> None:
    if not jobs.publish(jobs.CHECK_DEPLOYMENT, args=[submission_id]):
        logger.warning(
            "Deployment check of submission %s waits for the daily re-check", submission_id
        )


@receiver(post_save, sender=UserPreferences, dispatch_uid="stride.forget_language_on_save")
@receiver(post_delete, sender=UserPreferences, dispatch_uid="stride.forget_language_on_delete")
def forget_cached_language(sender, instance: UserPreferences, **kwargs) -> None:
    """The request language is cached per person (``tracker.languages.stored_language``)."""
    forget_language(instance.user_id)
