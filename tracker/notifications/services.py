"""Writes of notifications and preferences, and the hand-off of emails to Celery.

A notification row is created once per dedupe key (the unique index is the guarantee); its email
is published to the broker only after the row is committed (``transaction.on_commit``). Publishing
never blocks a web request for long and never raises: when the broker is away the row simply
stays pending and the outbox flush (``tracker.tasks.flush_outbox``) publishes it later.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from curriculum.kernel import clock
from learners.models import Enrollment
from mentors.models import Mentor
from tracker.models import Notification, UserPreferences

from .rules import NOTIFICATION_RULE

logger = logging.getLogger(__name__)

# Ids per published batch task (the sweep creates many rows at once).
PUBLISH_BATCH_SIZE = 200

PREFERENCE_FIELDS = (
    "timezone",
    "email_reminders",
    "email_muted_kinds",
    "quiet_hours_start",
    "quiet_hours_end",
)


# --- notifications ----------------------------------------------------------------------------
def notify(
    *, recipient, kind: str, subject: str, body: str, link: str, dedupe_key: str
) -> Notification | None:
    """Create the notification for ``dedupe_key`` unless it exists; email it after commit.

    Returns the new row, or None when the key was already used (the reminder was given before).
    """
    if kind not in Notification.Kind.values:
        raise ValidationError({"kind": [f"“{kind}” is not a notification kind."]})
    notification = Notification(
        recipient=recipient,
        kind=kind,
        subject=subject[:300],
        body=body,
        link=link[:500],
        dedupe_key=dedupe_key[:200],
        created_at=clock.now(),
    )
    # The unique index, not a read before the write, decides: two racing callers cannot both win.
    notification.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
            transaction.on_commit(lambda: enqueue_delivery([notification.pk]))
    except IntegrityError:
        return None
    return notification


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if not NOTIFICATION_RULE.can_update(actor, notification):
        raise PermissionDenied("Only the recipient may mark a notification as read.")
    with transaction.atomic():
        if notification.read_at is None:
            notification.read_at = clock.now()
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
                read_at=notification.read_at
            )
    return notification


def notification_mark_all_read(*, actor) -> int:
    with transaction.atomic():
        return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
            read_at=clock.now()
        )


def enqueue_delivery(notification_ids: Sequence[int]) -> int:
    """Publish delivery tasks for these rows; return how many ids were handed to the broker.

    Never raises: at the first broker error it stops, and the rows stay pending for the outbox
    flush to publish later. Runs from ``on_commit`` callbacks, after the rows are committed.
    """
    from tracker import tasks  # the tasks module imports this package

    ids = [int(pk) for pk in notification_ids]
    published = 0
    for start in range(0, len(ids), PUBLISH_BATCH_SIZE):
        chunk = ids[start : start + PUBLISH_BATCH_SIZE]
        if len(chunk) == 1:
            sent = safe_publish(tasks.deliver_notification, args=[chunk[0]])
        else:
            sent = safe_publish(tasks.deliver_notification_batch, args=[chunk])
        if not sent:
            logger.warning(
                "%d notification email(s) left to the outbox flush", len(ids) - published
            )
            break
        Notification.objects.filter(pk__in=chunk).update(email_enqueued_at=clock.now())
        published += len(chunk)
    return published


def enqueue_sweep_delivery(first_id: int, last_id: int, enqueued_at: dt.datetime) -> bool:
    """Publish one task that hands out the emails of a sweep's rows: those with ids in
    ``[first_id, last_id]`` stamped ``email_enqueued_at = enqueued_at``, still pending.

    A sweep creates up to hundreds of thousands of rows; publishing their emails in batches from
    the sweep itself cost a broker message and an UPDATE per 200 rows. One message suffices: the
    task (``tracker.tasks.deliver_sweep_notifications``) does the batching on a worker. Never
    raises; when the broker is away the rows' stamp ages and the outbox flush publishes them
    once it is older than the claim lease.
    """
    from tracker import tasks  # the tasks module imports this package

    return safe_publish(
        tasks.deliver_sweep_notifications, args=[first_id, last_id, enqueued_at.isoformat()]
    )


# After a broker error, publishing is not tried again in this process for this long: a web
# request that would publish several tasks pays the broker timeout once, not once per task.
BROKER_BACKOFF_SECONDS = 15.0
_broker_down_until = 0.0


def safe_publish(task, *, args: list) -> bool:
    """Publish ``task`` with short timeouts; False (logged, never raised) when the broker is
    away. Callers must have a way to catch up later (the outbox, the daily re-check)."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        task.apply_async(args=args, **_publish_options())
    except (KombuError, RedisError, OSError, TimeoutError):
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("Broker unavailable; not publishing %s", task.name, exc_info=True)
        return False
    except Exception:
        # Not a broker outage, but the write it follows has committed: log loudly, go on.
        logger.exception("Publishing %s failed", task.name)
        return False
    return True


def _publish_options() -> dict:
    return {
        "retry": True,
        "retry_policy": getattr(
            settings,
            "CELERY_TASK_PUBLISH_RETRY_POLICY",
            {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        ),
    }


def broker_backoff_reset() -> None:
    """Forget an earlier broker failure (tests, and the outbox flush which runs on a worker
    that has just proven the broker works)."""
    global _broker_down_until
    _broker_down_until = 0.0


# --- preferences ------------------------------------------------------------------------------
def default_timezone_for(user) -> str:
    """A new user's zone: the cohort's for a learner, the mentor's own for a mentor, else UTC."""
    cohort_zone = (
        Enrollment.objects.filter(learner_id=user.pk)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .order_by("-enrolled_at", "-id")
        .values_list("cohort__timezone", flat=True)
        .first()
    )
    if cohort_zone:
        return cohort_zone
    mentor_zone = Mentor.objects.filter(user_id=user.pk).values_list("timezone", flat=True).first()
    return mentor_zone or "UTC"


def preferences_for(user) -> UserPreferences:
    """The user's preferences, created with sensible defaults on first use."""
    try:
        return user.preferences
    except UserPreferences.DoesNotExist:
        preferences, _ = UserPreferences.objects.get_or_create(
            user=user, defaults={"timezone": default_timezone_for(user)}
        )
        user.preferences = preferences
        return preferences


def preferences_update(*, actor, **fields) -> UserPreferences:
    """Change the actor's own preferences (time zone, email on/off, muted kinds, quiet hours)."""
    if not (actor and actor.is_authenticated):
        raise PermissionDenied("Sign in to change preferences.")
    unknown = sorted(set(fields) - set(PREFERENCE_FIELDS))
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    errors: dict[str, list[str]] = {}
    for name in ("quiet_hours_start", "quiet_hours_end"):
        if name in fields:
            try:
                fields[name] = _parse_time(fields[name])
            except ValueError:
                errors[name] = ["Enter a time as HH:MM."]
    if "email_muted_kinds" in fields:
        kinds = fields["email_muted_kinds"]
        if not isinstance(kinds, list | tuple) or any(
            kind not in Notification.Kind.values for kind in kinds
        ):
            errors["email_muted_kinds"] = [
                "Give a list of notification kinds: " + ", ".join(Notification.Kind.values)
            ]
        else:
            fields["email_muted_kinds"] = sorted(set(kinds))
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        preferences = preferences_for(actor)
        preferences = UserPreferences.objects.select_for_update().get(pk=preferences.pk)
        for name, value in fields.items():
            setattr(preferences, name, value)
        if (preferences.quiet_hours_start is None) != (preferences.quiet_hours_end is None):
            missing = (
                "quiet_hours_end" if preferences.quiet_hours_end is None else ("quiet_hours_start")
            )
            raise ValidationError({missing: ["Give both ends of the quiet hours, or neither."]})
        preferences.full_clean()
        preferences.save()
    actor.preferences = preferences
    return preferences


def _parse_time(value) -> dt.time | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        return dt.time.fromisoformat(value.strip())
    raise ValueError(value)
