"""Handing notification emails to the broker, and the flush that catches up.

Publishing never raises: with the broker away the rows stay pending and the flush (every
minute) publishes every due email no task carries. Publishing twice is harmless: the delivery
claim sends once. A sweep's rows go out as one message, batched on a worker.
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
    """Publish delivery tasks for these committed rows; return how many went to the broker.
    At the first broker error it stops: the rest stay pending for the flush."""
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
    """One delivery task per id of a batch (each with its own retries); the number published."""
    return sum(
        jobs.publish(jobs.DELIVER_NOTIFICATION, args=[int(notification_id)])
        for notification_id in notification_ids
    )


def publish_sweep_emails(*, first_id: int, last_id: int, stamp: dt.datetime) -> None:
    """After commit, publish one task handing out the emails of a sweep's rows (ids in
    ``[first_id, last_id]`` stamped ``stamp``). Should the broker be away, the stamp ages and the
    flush takes the rows once it is older than the claim lease."""
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
    """Publish, in pages, for about ``budget_seconds``, the emails of a sweep's pending rows
    (other writers' rows in the range carry another stamp). Returns ``(published,
    next_first_id)``, the latter None when done or when the broker failed (the flush has the
    rest)."""
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
    """Release dead workers' claims and publish every due email no task carries (the broker was
    down, quiet hours ended, a worker died); returns the number published."""
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
