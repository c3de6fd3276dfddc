"""Sending one notification's email exactly once, and the outbox flush.

The row's ``email_state`` is the lock. A delivery claims the row with one conditional UPDATE
(``pending`` → ``sending``, attempts + 1); only the task whose UPDATE changed the row sends, and
it marks the row ``sent`` right after the mail server accepted the message. A duplicate task (a
second publish, a redelivered message, a doubled beat) finds the row claimed or sent and returns.
A worker killed between claim and mark leaves a ``sending`` row behind; once its claim is older
than the lease (longer than the task's hard time limit, so its owner is surely dead) the outbox
flush hands it back to ``pending`` and publishes it again. docs/OPERATIONS.md has the whole
argument.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F, Q

from curriculum.kernel import clock
from curriculum.kernel.zones import zone_or_utc
from tracker.models import Notification, UserPreferences

from .emails import build_email
from .services import broker_backoff_reset, enqueue_delivery, preferences_for

logger = logging.getLogger(__name__)

State = Notification.EmailState

# Hard time limit of one delivery; the claim lease is longer so a live owner is never robbed.
DELIVERY_SOFT_TIME_LIMIT = 45
DELIVERY_TIME_LIMIT = 60


def claim_lease() -> dt.timedelta:
    seconds = getattr(settings, "STRIDE_EMAIL_CLAIM_LEASE_SECONDS", DELIVERY_TIME_LIMIT + 60)
    return dt.timedelta(seconds=seconds)


class TransientEmailError(Exception):
    """The mail server or network failed in a way worth retrying later."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, SoftTimeLimitExceeded):
        return True  # a slow relay; the retry gets a fresh time budget
    if isinstance(exc, smtplib.SMTPResponseException):
        # 4xx replies are temporary by definition (RFC 5321); 5xx are final.
        return 400 <= exc.smtp_code < 500
    return isinstance(
        exc,
        smtplib.SMTPServerDisconnected
        | smtplib.SMTPConnectError
        | ConnectionError
        | TimeoutError
        | socket.timeout
        | socket.gaierror
        | OSError,
    )


# --- quiet hours ------------------------------------------------------------------------------
def quiet_window_end(preferences: UserPreferences, now: dt.datetime) -> dt.datetime | None:
    """When ``now`` falls in the recipient's quiet hours, the UTC instant they end; else None."""
    start, end = preferences.quiet_hours_start, preferences.quiet_hours_end
    if start is None or end is None or start == end:
        return None
    zone = zone_or_utc(preferences.timezone)
    local = now.astimezone(zone)
    moment = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= moment < end
        end_day = local.date()
    else:  # the window wraps past midnight, e.g. 22:00 to 07:00
        inside = moment >= start or moment < end
        end_day = local.date() + dt.timedelta(days=1) if moment >= start else local.date()
    if not inside:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=zone).astimezone(dt.UTC)


# --- delivery ---------------------------------------------------------------------------------
def deliver(notification_id: int, *, final_attempt: bool = False) -> str:
    """Send the email of one notification if it is still owed; return what happened.

    Raises TransientEmailError when the send failed in a retryable way (the row is released
    back to ``pending`` first, so the retry can claim it again).
    """
    now = clock.now()
    notification = (
        Notification.objects.select_related("recipient", "recipient__preferences")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return "gone"
    if notification.email_state in (State.SENT, State.SKIPPED, State.FAILED):
        return notification.email_state
    stale_before = now - claim_lease()
    if notification.email_state == State.SENDING and (
        notification.email_claimed_at and notification.email_claimed_at >= stale_before
    ):
        return "busy"

    recipient = notification.recipient
    preferences = preferences_for(recipient)
    owed = Q(pk=notification.pk) & (
        Q(email_state=State.PENDING)
        | Q(email_state=State.SENDING, email_claimed_at__lt=stale_before)
    )
    if (
        not recipient.is_active
        or not recipient.email
        or not preferences.email_reminders
        or notification.kind in (preferences.email_muted_kinds or [])
    ):
        Notification.objects.filter(owed).update(email_state=State.SKIPPED, email_claimed_at=None)
        return "skipped"
    if notification.email_after and notification.email_after > now:
        return "deferred"
    quiet_until = quiet_window_end(preferences, now)
    if quiet_until is not None:
        # Deferred, never dropped: the outbox flush publishes it when the window ends.
        Notification.objects.filter(owed).update(
            email_after=quiet_until, email_enqueued_at=None, email_claimed_at=None
        )
        return "deferred"

    claimed = Notification.objects.filter(owed).update(
        email_state=State.SENDING,
        email_claimed_at=now,
        email_attempts=F("email_attempts") + 1,
    )
    if not claimed:
        return "busy"

    try:
        build_email(notification).send(fail_silently=False)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        if is_transient(exc) and not final_attempt:
            Notification.objects.filter(pk=notification.pk, email_state=State.SENDING).update(
                email_state=State.PENDING, email_claimed_at=None, email_error=error
            )
            raise TransientEmailError(error) from exc
        logger.error("Email for notification %s failed for good: %s", notification.pk, error)
        Notification.objects.filter(pk=notification.pk, email_state=State.SENDING).update(
            email_state=State.FAILED, email_claimed_at=None, email_error=error
        )
        return "failed"

    Notification.objects.filter(pk=notification.pk, email_state=State.SENDING).update(
        email_state=State.SENT, emailed_at=clock.now(), email_claimed_at=None, email_error=""
    )
    return "sent"


# --- outbox -----------------------------------------------------------------------------------
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
    broker_backoff_reset()
    if not ids:
        return 0
    return enqueue_delivery(ids)


# Ids read and published per step of a sweep's hand-out; the task stops after its budget and
# publishes itself again for the rest, so no task comes near its time limit.
SWEEP_PUBLISH_PAGE = 2000


def publish_sweep_rows(
    first_id: int, last_id: int, enqueued_at: dt.datetime, *, budget_seconds: float = 60.0
) -> tuple[int, int | None]:
    """Publish the emails of one sweep's rows (ids in ``[first_id, last_id]`` stamped
    ``email_enqueued_at = enqueued_at`` and still pending), in pages, for at most about
    ``budget_seconds``. Returns ``(published, next_first_id)``, ``next_first_id`` None when
    done (or the broker failed: the outbox flush then has the rest once the stamp is older
    than the lease).

    Rows of other writers in the id range (events, a concurrent sweep) carry another stamp and
    are left to their own publisher. Publishing a row twice (this and a flush) is harmless: the
    delivery claim sends once.
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
        sent = enqueue_delivery(ids)
        published += sent
        if sent < len(ids):
            return published, None
        start = ids[-1] + 1
        if time.monotonic() >= deadline:
            return published, start
