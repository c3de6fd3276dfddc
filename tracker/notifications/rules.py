"""Who may see and change a notification: its recipient; staff may read every one."""

from curriculum.kernel.access import IsOwn, IsStaff, Nobody, Rule


class NotificationRule(Rule):
    read = IsOwn("recipient") | IsStaff()
    # Notifications are written by the system (services, sweep), never through the API.
    create = Nobody()
    # Marking as read is the recipient's own business, staff included.
    update = IsOwn("recipient")
    delete = Nobody()


NOTIFICATION_RULE = NotificationRule()
