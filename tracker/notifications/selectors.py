"""Reads of notifications and preferences; none of them writes."""

from django.db.models import QuerySet

from learners.models import Enrollment
from mentors.models import Mentor
from tracker.models import Notification, UserPreferences

from .rules import NOTIFICATION_RULE


def notification_list(*, fetched_by) -> QuerySet[Notification]:
    """The caller's own notifications, newest first: personal even for staff, who may still
    open anyone's by id (the rule allows it)."""
    if not (fetched_by and fetched_by.is_authenticated):
        return Notification.objects.none()
    return Notification.objects.filter(
        NOTIFICATION_RULE.readable_by(fetched_by), recipient_id=fetched_by.pk
    ).order_by("-created_at", "-id")


def notification_unread_count(*, fetched_by) -> int:
    return notification_list(fetched_by=fetched_by).filter(read_at__isnull=True).count()


def default_timezone_for(user) -> str:
    """A user's zone until they choose one: their cohort's for a learner, their own for a
    mentor, else UTC."""
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


def preferences_for(user, *, default_zone: bool = True) -> UserPreferences:
    """The user's stored preferences, or the defaults (unsaved): a read writes nothing. Without
    ``default_zone`` the defaults keep UTC instead of looking up the user's zone (for a reader
    that needs no zone when there are no quiet hours: sending an email)."""
    try:
        return user.preferences
    except UserPreferences.DoesNotExist:
        zone = default_timezone_for(user) if default_zone else "UTC"
        return UserPreferences(user_id=user.pk, timezone=zone)
