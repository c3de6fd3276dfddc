"""Notifications: the reminder outbox, its sweep, email delivery and user preferences.

The public face: ``notify``, ``notification_mark_read``, ``notification_mark_all_read``,
``notification_list``, ``notification_unread_count``, ``preferences_for`` (a read: stored or
default preferences), ``preferences_update``, ``preferences_ensure`` and ``NOTIFICATION_RULE``.

Inside: ``services`` (writes), ``selectors`` (reads), ``events`` (reminders caused by a write),
``sweep/`` (the periodic reminders), ``delivery`` (one email, exactly once), ``outbox`` (handing
emails to the broker, and the flush), ``emails`` (the messages). Work modules publish tasks by
name through ``tracker.jobs`` and never import ``tracker.tasks``. May import the models, the
lower apps, the kernel, ``tracker.progress`` reads and ``tracker.jobs``.
"""

from .rules import NOTIFICATION_RULE
from .selectors import notification_list, notification_unread_count, preferences_for
from .services import (
    notification_mark_all_read,
    notification_mark_read,
    notify,
    preferences_ensure,
    preferences_update,
)

__all__ = [
    "NOTIFICATION_RULE",
    "notification_list",
    "notification_mark_all_read",
    "notification_mark_read",
    "notification_unread_count",
    "notify",
    "preferences_ensure",
    "preferences_for",
    "preferences_update",
]
