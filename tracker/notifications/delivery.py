"""Sending one notification's email exactly once (``tracker.tasks.deliver_notification``).

The row's ``email_state`` is the lock: one conditional UPDATE claims it (``pending`` →
``sending``) and only the claimant sends, then marks it ``sent``. Duplicate tasks find it
claimed or sent. A claim older than the lease (longer than the task's hard time limit) belongs
to a dead worker; the outbox flush hands it back. docs/OPERATIONS.md has the argument.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F, Q

from curriculum.kernel import clock
from curriculum.kernel.zones import zone_or_utc
from tracker.languages import supported
from tracker.models import Notification, UserPreferences

from .emails import build_email
from .selectors import preferences_for

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
    # Network failures: smtplib's disconnects, DNS, timeouts and refused connections are all
    # OSErrors.
    return isinstance(exc, OSError)


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


def _sending_preferences(recipient) -> UserPreferences:
    """The recipient's preferences as read with the notification (``preferences_for``; the
    defaults have no quiet hours, so their zone is not looked up), and the email's language
    from them (``build_email`` then needs no read of its own)."""
    preferences = preferences_for(recipient, default_zone=False)
    recipient._stride_language = supported(preferences.language)
    return preferences


def deliver(notification_id: int, *, final_attempt: bool = False) -> str:
    """Send the email of one notification if it is still owed; return what happened. A
    retryable failure releases the row to ``pending`` and raises TransientEmailError."""
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
    preferences = _sending_preferences(recipient)
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

    ours = Notification.objects.filter(pk=notification.pk, email_state=State.SENDING)
    try:
        build_email(notification).send(fail_silently=False)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        if is_transient(exc) and not final_attempt:
            ours.update(email_state=State.PENDING, email_claimed_at=None, email_error=error)
            raise TransientEmailError(error) from exc
        logger.error("Email for notification %s failed for good: %s", notification.pk, error)
        ours.update(email_state=State.FAILED, email_claimed_at=None, email_error=error)
        return "failed"
    ours.update(
        email_state=State.SENT, emailed_at=clock.now(), email_claimed_at=None, email_error=""
    )
    return "sent"
