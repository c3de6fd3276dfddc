"""Notifications: the reminder outbox, its sweep, email delivery and user preferences.

Public face: the names below. Inside: ``services``/``selectors``, ``events`` (reminders a write
causes), ``sweep/`` (the periodic ones), ``outbox`` and ``delivery`` (each email sent once),
``emails``. Tasks are published by name through ``tracker.jobs``, never by importing
``tracker.tasks``. May import the models, the lower apps, the kernel, ``tracker.progress``
reads and ``tracker.jobs``.
"""

from .rules import NOTIFICATION_RULE
from .selectors import notification_list, notification_unread_count, preferences_for
from .services import (
    calendar_token_rotate,
    notification_mark_all_read,
    notification_mark_read,
    notify,
    preferences_update,
)

__all__ = [
    "NOTIFICATION_RULE",
    "calendar_token_rotate",
    "notification_list",
    "notification_mark_all_read",
    "notification_mark_read",
    "notification_unread_count",
    "notify",
    "preferences_for",
    "preferences_update",
]
