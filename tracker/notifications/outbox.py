"""Handing notification emails to the broker, and the outbox flush that catches up.

Offers ``publish_emails`` (delivery tasks for rows, stamping ``email_enqueued_at``),
``publish_each`` (one delivery task per id of a batch), ``publish_sweep_emails`` and
``hand_out_sweep_emails`` (a sweep's rows: one message per sweep, batched on a worker),
``outbox_due`` and ``flush_outbox``. Tasks are published by name through ``tracker.jobs``;
nothing here imports the task module.

Publishing never raises: when the broker is away the rows stay pending, and the flush (every
minute, ``tracker.tasks.flush_outbox``) publishes every due email that no task carries.
Publishing a row twice is harmless: the delivery claim (``delivery``) sends it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence

from django.db.models import Q

from curriculum.kernel import clock
from tracker import jobs
from tracker.models import Notification

from .delivery import claim_lease

logger = logging.getLogger(__name__)

State = Notification.EmailState

# Ids per published batch task (the sweep creates many rows at once).
PUBLISH_BATCH_SIZE = 200
# Ids read and published per step of a sweep's hand-out; the task stops after its budget and
# publishes itself again for the rest, so no task comes near its time limit.
SWEEP_PUBLISH_PAGE = 2000


def publish_emails(notification_ids: Sequence[int]) -> int:
    """Publish delivery tasks for these rows; return how many ids were handed to the broker.

    At the first broker error it stops, and the rows stay pending for the outbox flush. Runs
    from ``on_commit`` callbacks and on workers, after the rows are committed.
    """
    ids = [int(pk) for pk in notification_ids]
    published = 0
    for start in range(0, len(ids), PUBLISH_BATCH_SIZE):
        chunk = ids[start : start + PUBLISH_BATCH_SIZE]
        if len(chunk) == 1:
            sent = jobs.publish(jobs.DELIVER_NOTIFICATION, args=[chunk[0]])
        else:
            sent = jobs.publish(jobs.DELIVER_NOTIFICATION_BATCH, args=[chunk])
        if not sent:
            logger.warning(
                "%d notification email(s) left to the outbox flush", len(ids) - published
            )
            break
        Notification.objects.filter(pk__in=chunk).update(email_enqueued_at=clock.now())
        published += len(chunk)
    return published


def publish_each(notification_ids: Sequence[int]) -> int:
    """One delivery task per id of a batch (each with its own retries); the number published.
    Publishing twice is harmless: the delivery claim lets one through."""
    return sum(
        jobs.publish(jobs.DELIVER_NOTIFICATION, args=[int(notification_id)])
        for notification_id in notification_ids
    )


def publish_sweep_emails(*, first_id: int, last_id: int, stamp: dt.datetime) -> None:
    """Once the sweep's rows are committed, publish one task that hands out their emails:
    rows with ids in ``[first_id, last_id]`` stamped ``email_enqueued_at = stamp``.

    A sweep creates up to hundreds of thousands of rows; one message suffices, the batching
    happens on a worker (``hand_out_sweep_emails``). When the broker is away the rows' stamp
    ages and the outbox flush publishes them once it is older than the claim lease.
    """
    jobs.publish_on_commit(
        jobs.DELIVER_SWEEP_NOTIFICATIONS, args=[first_id, last_id, stamp.isoformat()]
    )


def hand_out_sweep_emails(
    first_id: int, last_id: int, stamp: dt.datetime, *, budget_seconds: float = 60.0
) -> int:
    """Publish a sweep's emails for about ``budget_seconds``; publish this hand-out again for
    the rest. Returns the number published."""
    published, rest = publish_sweep_rows(first_id, last_id, stamp, budget_seconds=budget_seconds)
    if rest is not None:
        jobs.publish(jobs.DELIVER_SWEEP_NOTIFICATIONS, args=[rest, last_id, stamp.isoformat()])
    return published


def publish_sweep_rows(
    first_id: int, last_id: int, enqueued_at: dt.datetime, *, budget_seconds: float = 60.0
) -> tuple[int, int | None]:
    """Publish the emails of one sweep's rows (ids in ``[first_id, last_id]`` stamped
    ``email_enqueued_at = enqueued_at`` and still pending), in pages, for at most about
    ``budget_seconds``. Returns ``(published, next_first_id)``, ``next_first_id`` None when
    done (or the broker failed: the outbox flush then has the rest once the stamp is older
    than the lease).

    Rows of other writers in the id range (events, a concurrent sweep) carry another stamp and
    are left to their own publisher.
    """
    deadline = time.monotonic() + budget_seconds
    rows = Notification.objects.filter(
        id__lte=last_id, email_state=State.PENDING, email_enqueued_at=enqueued_at
    ).order_by("id")
    published = 0
    start = first_id
    while True:
        ids = list(rows.filter(id__gte=start).values_list("id", flat=True)[:SWEEP_PUBLISH_PAGE])
        if not ids:
            return published, None
        sent = publish_emails(ids)
        published += sent
        if sent < len(ids):
            return published, None
        start = ids[-1] + 1
        if time.monotonic() >= deadline:
            return published, start


def outbox_due(now: dt.datetime | None = None):
    """Pending rows whose email is due and that no live task is known to carry."""
    now = now or clock.now()
    stale_before = now - claim_lease()
    return (
        Notification.objects.filter(email_state=State.PENDING)
        .filter(Q(email_after__isnull=True) | Q(email_after__lte=now))
        .filter(Q(email_enqueued_at__isnull=True) | Q(email_enqueued_at__lt=stale_before))
    )


def flush_outbox(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Release claims of dead workers and publish every due email that no task carries.

    Covers rows created while the broker was down, quiet-hour deferrals that came due, and
    deliveries whose worker died. Returns the number of rows published.
    """
    now = now or clock.now()
    released = Notification.objects.filter(
        email_state=State.SENDING, email_claimed_at__lt=now - claim_lease()
    ).update(email_state=State.PENDING, email_claimed_at=None, email_enqueued_at=None)
    if released:
        logger.warning("Released %d email claim(s) of dead workers", released)
    ids = list(outbox_due(now).order_by("id").values_list("id", flat=True)[:limit])
    # This runs on a worker that got the flush task from the broker: the broker is back.
    jobs.broker_backoff_reset()
    if not ids:
        return 0
    return publish_emails(ids)
