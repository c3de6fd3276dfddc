"""Notifications: the reminder outbox, its sweep, email delivery and user preferences.

The public face (COMMON.md): ``notify``, ``notification_mark_read``, ``notification_list``,
``preferences_for``, ``preferences_update``, and ``NOTIFICATION_RULE``.
"""

from .rules import NOTIFICATION_RULE
from .selectors import notification_list, notification_unread_count
from .services import (
    notification_mark_all_read,
    notification_mark_read,
    notify,
    preferences_for,
    preferences_update,
)

__all__ = [
    "NOTIFICATION_RULE",
    "notification_list",
    "notification_mark_all_read",
    "notification_mark_read",
    "notification_unread_count",
    "notify",
    "preferences_for",
    "preferences_update",
]
