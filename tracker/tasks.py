"""Every Celery task of Stride (autodiscovered from ``tracker.tasks``).

Tasks take ids and primitives (JSON), re-read what they need, return quietly when the row is
gone, and leave the work to the notification/deployment modules. Their effects are idempotent
by a unique key or a state claim in the database, so a redelivered task (``acks_late`` +
``reject_on_worker_lost``) is harmless. The periodic schedule lives in the database
(django-celery-beat, created by migrations ``tracker.0003`` and ``tracker.0009``) so staff can
see and change it.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings

from curriculum.kernel import clock
from learners.services import enrollment_sync_pause_statuses
from tracker import deployments
from tracker.notifications import delivery, services, sweep
from tracker.progress import snapshots

logger = logging.getLogger(__name__)

DELIVERY_MAX_RETRIES = 6


@shared_task(
    bind=True,
    name="tracker.tasks.deliver_notification",
    autoretry_for=(delivery.TransientEmailError,),
    retry_backoff=10,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=DELIVERY_MAX_RETRIES,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=delivery.DELIVERY_SOFT_TIME_LIMIT,
    time_limit=delivery.DELIVERY_TIME_LIMIT,
)
def deliver_notification(self, notification_id: int) -> str:
    """Email one notification unless it is gone, sent, muted or in quiet hours."""
    return delivery.deliver(
        notification_id, final_attempt=self.request.retries >= DELIVERY_MAX_RETRIES
    )


@shared_task(
    name="tracker.tasks.deliver_notification_batch",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=120,
    soft_time_limit=100,
)
def deliver_notification_batch(notification_ids: list[int]) -> int:
    """Fan a sweep's batch out into one delivery task per notification (each with its own
    retries). Publishing twice is harmless: the delivery claim lets one through."""
    for notification_id in notification_ids:
        deliver_notification.apply_async(args=[int(notification_id)])
    return len(notification_ids)


@shared_task(
    name="tracker.tasks.deliver_sweep_notifications",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=120,
    soft_time_limit=100,
)
def deliver_sweep_notifications(first_id: int, last_id: int, enqueued_at: str) -> int:
    """Hand out the emails of one sweep's new rows (published once per sweep or partition) in
    batch tasks; after about a minute it publishes itself again for the rest."""
    published, rest = delivery.publish_sweep_rows(
        first_id, last_id, dt.datetime.fromisoformat(enqueued_at)
    )
    if rest is not None:
        services.safe_publish(deliver_sweep_notifications, args=[rest, last_id, enqueued_at])
    return published


@shared_task(
    name="tracker.tasks.flush_outbox",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=120,
    soft_time_limit=100,
    expires=120,
)
def flush_outbox() -> int:
    """Publish due emails no task carries (broker was down, quiet hours ended, worker died)."""
    return delivery.flush_outbox()


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@shared_task(
    name="tracker.tasks.sweep_reminders",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=900,
    soft_time_limit=840,
    expires=600,
)
def sweep_reminders(day: str | None = None) -> dict:
    """The periodic sweep. With ``STRIDE_SWEEP_PARTITIONS`` > 1 it fans out one
    ``sweep_partition`` per enrollment id range, for workers to run in parallel."""
    count = max(1, int(getattr(settings, "STRIDE_SWEEP_PARTITIONS", 1)))
    if count == 1:
        result = sweep.run_sweep(day=_day(day))
        return dict(result.created)
    ranges = sweep.partitions(count)
    for lo, hi in ranges:
        sweep_partition.apply_async(args=[lo, hi, day])
    # Mentor and staff digests are not per enrollment; the parent makes them once.
    result = sweep.run_sweep(day=_day(day), lo=0, hi=0, include_global=True)
    return {"partitions": len(ranges), **result.created}


@shared_task(
    name="tracker.tasks.sweep_partition",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=900,
    soft_time_limit=840,
    expires=600,
)
def sweep_partition(lo: int, hi: int, day: str | None = None) -> dict:
    """One enrollment id range ``[lo, hi)`` of the sweep."""
    result = sweep.run_sweep(day=_day(day), lo=lo, hi=hi, include_global=False)
    return dict(result.created)


@shared_task(
    name="tracker.tasks.refresh_progress_rows",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=1800,
    soft_time_limit=1740,
    expires=3600,
)
def refresh_progress_rows() -> int:
    """Hourly: computes the cohort progress report rows that are not fresh (the day turned in
    their cohort's zone, or a name, a cohort's dates or an assignment changed), so the day's
    first readers find them ready; idempotent."""
    return snapshots.refresh_stale()


@shared_task(
    name="tracker.tasks.sync_pause_statuses",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=600,
    soft_time_limit=560,
    expires=3600,
)
def sync_pause_statuses() -> int:
    """Hourly: enrollments whose pause began or ended today (in their cohort's zone) change
    status; idempotent, so running it more often than needed is harmless."""
    return enrollment_sync_pause_statuses()


@shared_task(
    bind=True,
    name="tracker.tasks.check_deployment",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=120,
    soft_time_limit=100,
    rate_limit="60/m",
)
def check_deployment(self, submission_id: int) -> dict | None:
    """Request a capstone submission's deployment once and record the result."""
    check = deployments.deployment_check_run(submission_id=submission_id)
    if check is None:
        return None
    return {"ok": check.ok, "status_code": check.status_code, "error": check.error}


@shared_task(
    name="tracker.tasks.recheck_deployments",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=300,
    soft_time_limit=280,
    expires=3600,
)
def recheck_deployments() -> int:
    """Daily: check again the latest deployed version of every capstone submission."""
    seen: set[tuple[int, int]] = set()
    queued = 0
    for submission_id, enrollment_id, assignment_id in deployments.submissions_to_recheck():
        if (enrollment_id, assignment_id) in seen:
            continue
        seen.add((enrollment_id, assignment_id))
        check_deployment.apply_async(args=[submission_id])
        queued += 1
    logger.info("Queued %d deployment re-checks at %s", queued, clock.now().isoformat())
    return queued
