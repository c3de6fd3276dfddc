"""Reads of notifications and preferences."""

from django.db.models import QuerySet

from tracker.models import Notification

from .rules import NOTIFICATION_RULE


def notification_list(*, fetched_by) -> QuerySet[Notification]:
    """The caller's own notifications, newest first (an inbox: staff see their own too).

    Staff may open anyone's notification by id (the rule allows it); the list stays personal
    so an inbox never fills with other people's reminders.
    """
    if not (fetched_by and fetched_by.is_authenticated):
        return Notification.objects.none()
    return Notification.objects.filter(
        NOTIFICATION_RULE.readable_by(fetched_by), recipient_id=fetched_by.pk
    ).order_by("-created_at", "-id")


def notification_unread_count(*, fetched_by) -> int:
    return notification_list(fetched_by=fetched_by).filter(read_at__isnull=True).count()
