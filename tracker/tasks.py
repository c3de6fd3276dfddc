"""Every Celery task of Stride (autodiscovered from ``tracker.tasks``), registered under the
pinned names of ``tracker.jobs``.

Tasks only adapt: they take ids and primitives (JSON), call one function of a work module
(notifications, deployments, progress, learners), and retry on transient errors. The work
modules publish follow-up tasks through ``tracker.jobs`` and never import this module.
Effects are idempotent by a unique key or a state claim in the database, so a redelivered
task is harmless: ``acks_late`` and ``reject_on_worker_lost`` are global settings
(``CELERY_TASK_ACKS_LATE``, ``CELERY_TASK_REJECT_ON_WORKER_LOST``), not repeated here. The
periodic schedule is in the database (django-celery-beat), listed once in the migration
``tracker/migrations/*_periodic_schedule.py``; docs/OPERATIONS.md has the table.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from learners.services import enrollment_sync_pause_statuses
from tracker import deployments, jobs
from tracker.notifications import delivery, outbox, sweep
from tracker.progress import snapshots
from tracker.webhooks import sending as webhook_sending

DELIVERY_MAX_RETRIES = 6


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@shared_task(
    bind=True,
    name=jobs.DELIVER_NOTIFICATION,
    autoretry_for=(delivery.TransientEmailError,),
    retry_backoff=10,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=DELIVERY_MAX_RETRIES,
    soft_time_limit=delivery.DELIVERY_SOFT_TIME_LIMIT,
    time_limit=delivery.DELIVERY_TIME_LIMIT,
)
def deliver_notification(self, notification_id: int) -> str:
    """Email one notification unless it is gone, sent, muted or in quiet hours."""
    return delivery.deliver(
        notification_id, final_attempt=self.request.retries >= DELIVERY_MAX_RETRIES
    )


@shared_task(name=jobs.DELIVER_NOTIFICATION_BATCH, time_limit=120, soft_time_limit=100)
def deliver_notification_batch(notification_ids: list[int]) -> int:
    """Fan a batch out into one delivery task per notification (each with its own retries)."""
    return outbox.publish_each(notification_ids)


@shared_task(name=jobs.DELIVER_SWEEP_NOTIFICATIONS, time_limit=120, soft_time_limit=100)
def deliver_sweep_notifications(first_id: int, last_id: int, enqueued_at: str) -> int:
    """Hand out the emails of one sweep's new rows in batch tasks, about a minute's worth; it
    publishes itself again for the rest."""
    return outbox.hand_out_sweep_emails(first_id, last_id, dt.datetime.fromisoformat(enqueued_at))


@shared_task(name=jobs.FLUSH_OUTBOX, time_limit=120, soft_time_limit=100, expires=120)
def flush_outbox() -> int:
    """Publish due emails no task carries (broker was down, quiet hours ended, worker died)."""
    return outbox.flush_outbox()


@shared_task(name=jobs.SWEEP_REMINDERS, time_limit=900, soft_time_limit=840, expires=600)
def sweep_reminders(day: str | None = None) -> dict:
    """The periodic sweep (fanned out in partitions with ``STRIDE_SWEEP_PARTITIONS`` > 1)."""
    return sweep.run_periodic_sweep(day=_day(day))


@shared_task(name=jobs.SWEEP_PARTITION, time_limit=900, soft_time_limit=840, expires=600)
def sweep_partition(lo: int, hi: int, day: str | None = None) -> dict:
    """One enrollment id range ``[lo, hi)`` of the sweep."""
    return dict(sweep.run_sweep(day=_day(day), lo=lo, hi=hi, include_global=False).created)


@shared_task(name=jobs.REFRESH_PROGRESS_ROWS, time_limit=1800, soft_time_limit=1740, expires=3600)
def refresh_progress_rows() -> int:
    """Hourly: computes the cohort progress report rows that are not fresh, so the day's first
    readers find them ready; idempotent."""
    return snapshots.refresh_stale()


@shared_task(name=jobs.SYNC_PAUSE_STATUSES, time_limit=600, soft_time_limit=560, expires=3600)
def sync_pause_statuses() -> int:
    """Hourly: enrollments whose pause began or ended today (in their cohort's zone) change
    status; idempotent, so running it more often than needed is harmless."""
    return enrollment_sync_pause_statuses()


@shared_task(name=jobs.CHECK_DEPLOYMENT, time_limit=120, soft_time_limit=100, rate_limit="60/m")
def check_deployment(submission_id: int) -> dict | None:
    """Request a capstone submission's deployment once and record the result."""
    check = deployments.deployment_check_run(submission_id=submission_id)
    if check is None:
        return None
    return {
        "ok": check.ok,
        "status_code": check.status_code,
        "error": check.error,
        "examples": len(check.examples),
    }


@shared_task(name=jobs.RECHECK_DEPLOYMENTS, time_limit=300, soft_time_limit=280, expires=3600)
def recheck_deployments() -> int:
    """Daily: check again the latest deployed version of every capstone submission."""
    return deployments.deployment_recheck_all()


@shared_task(
    name=jobs.DELIVER_WEBHOOK,
    time_limit=120,
    soft_time_limit=100,
    rate_limit="120/m",
)
def deliver_webhook(message_id: int) -> str:
    """One attempt at one webhook message if it is due (retries are scheduled by the message
    itself: its next attempt is published with a countdown and caught by the minute sweep)."""
    return webhook_sending.deliver(message_id)


@shared_task(name=jobs.SWEEP_WEBHOOKS, time_limit=120, soft_time_limit=100, expires=120)
def sweep_webhooks() -> int:
    """Every minute: publish due webhook messages no task carries."""
    return webhook_sending.sweep()


@shared_task(name=jobs.CHECK_CAPSTONES, time_limit=300, soft_time_limit=280, expires=3600)
def check_capstones() -> int:
    """Hourly: the live-model check of every approved capstone of a learner not yet graduated."""
    return deployments.capstone_check_all()
