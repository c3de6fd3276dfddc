"""Writes of notifications and preferences.

A notification is created once per dedupe key (the unique index decides) and its email is
published after commit; when the broker is away the row stays pending for the outbox flush.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from tracker.models import Notification, UserPreferences, new_calendar_token

from .outbox import publish_emails
from .rules import NOTIFICATION_RULE
from .selectors import default_timezone_for

PREFERENCE_FIELDS = (
    "timezone",
    "email_reminders",
    "email_muted_kinds",
    "quiet_hours_start",
    "quiet_hours_end",
    "language",
    "theme",
)


def notify(
    *,
    recipient,
    kind: str,
    subject: str,
    body: str,
    link: str,
    dedupe_key: str,
    calendar: str = "",
) -> Notification | None:
    """Create the notification for ``dedupe_key`` and email it after commit; None when the key
    was used before (the reminder was given)."""
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
        calendar=calendar,
    )
    # The unique index, not a read before the write, decides: two racing callers cannot both win.
    notification.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
            transaction.on_commit(lambda: publish_emails([notification.pk]))
    except IntegrityError:
        return None
    return notification


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if not NOTIFICATION_RULE.can_update(actor, notification):
        raise PermissionDenied(_("Only the recipient may mark a notification as read."))
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


def calendar_token_rotate(*, actor) -> UserPreferences:
    """A new private calendar feed token for ``actor`` (the first one, or a replacement: the
    old feed address stops working at once). The preferences row is created here if missing,
    with the user's default zone: reads never create it."""
    if not (actor and actor.is_authenticated and actor.is_active):
        raise PermissionDenied(_("Sign in to have a calendar feed."))
    with transaction.atomic():
        preferences, _created = UserPreferences.objects.select_for_update().get_or_create(
            user_id=actor.pk, defaults={"timezone": default_timezone_for(actor)}
        )
        preferences.calendar_token = new_calendar_token()
        preferences.full_clean()
        preferences.save(update_fields=["calendar_token"])
    actor.preferences = preferences
    return preferences


def preferences_update(*, actor, **fields) -> UserPreferences:
    """Change the actor's own preferences (time zone, email on/off, muted kinds, quiet hours,
    theme)."""
    if not (actor and actor.is_authenticated):
        raise PermissionDenied(_("Sign in to change preferences."))
    unknown = sorted(set(fields) - set(PREFERENCE_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    errors: dict[str, list[str]] = {}
    for name in ("quiet_hours_start", "quiet_hours_end"):
        if name in fields:
            try:
                fields[name] = _parse_time(fields[name])
            except ValueError:
                errors[name] = [_("Enter a time as HH:MM.")]
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
        preferences, _created = UserPreferences.objects.select_for_update().get_or_create(
            user_id=actor.pk, defaults={"timezone": default_timezone_for(actor)}
        )
        for name, value in fields.items():
            setattr(preferences, name, value)
        if (preferences.quiet_hours_start is None) != (preferences.quiet_hours_end is None):
            missing = (
                "quiet_hours_end" if preferences.quiet_hours_end is None else "quiet_hours_start"
            )
            raise ValidationError({missing: [_("Give both ends of the quiet hours, or neither.")]})
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
