"""Mentors' side: mentors with a capacity, pairings (with history), sessions and reviews."""

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from curriculum.kernel.names import display_name
from curriculum.models import validate_timezone
from learners.models import Enrollment, Submission

# Video links are web addresses only (no ftp:, javascript: …).
HTTP_URL = URLValidator(schemes=["http", "https"], message="Enter an http or https URL.")


class Mentor(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentor_profile"
    )
    capacity = models.PositiveSmallIntegerField(
        default=8, validators=[MinValueValidator(0), MaxValueValidator(200)]
    )
    # Free-form tags such as "deep learning", "nlp", "mlops"; matched by mentor suggestions.
    expertise = models.JSONField(default=list, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    bio = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # The default video link of the mentor's calls (a session may carry its own).
    meeting_url = models.URLField(max_length=500, blank=True, validators=[HTTP_URL])

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__lte=200), name="mentor_capacity_max"),
        ]

    def __str__(self) -> str:
        return display_name(self.user)


class Pairing(models.Model):
    """The mentor of an enrollment. Exactly one is active (``ended_at`` null) at a time; ended
    pairings stay as history."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="pairings")
    mentor = models.ForeignKey(Mentor, on_delete=models.PROTECT, related_name="pairings")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(ended_at__isnull=True),
                name="one_active_pairing_per_enrollment",
            ),
        ]
        indexes = [models.Index(fields=["mentor", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.mentor} ↔ {self.enrollment}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class MentorSession(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        COMPLETED = "completed", _("Completed")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="sessions")
    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="sessions")
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    notes = models.TextField(blank=True, max_length=10000)
    # The video link of this call (the mentor's link when it was booked, or its own).
    meeting_url = models.URLField(max_length=500, blank=True, validators=[HTTP_URL])
    # Cancelled inside the notice period: counted like a missed session.
    cancelled_late = models.BooleanField(default=False)
    cancel_reason = models.CharField(max_length=500, blank=True)
    # The iCalendar SEQUENCE of the session's event: grows with every change sent out.
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=480),
                name="session_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "completed", "missed", "cancelled"]),
                name="session_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["enrollment", "scheduled_at"]),
            models.Index(fields=["status", "scheduled_at"]),
        ]

    def __str__(self) -> str:
        return f"Session {self.scheduled_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def ends_at(self):
        return self.scheduled_at + dt.timedelta(minutes=self.duration_minutes)


class Review(models.Model):
    """The review of one submission version (one per version, enforced by the one-to-one)."""

    class Verdict(models.TextChoices):
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")

    submission = models.OneToOneField(Submission, on_delete=models.PROTECT, related_name="review")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_given"
    )
    verdict = models.CharField(max_length=24, choices=Verdict.choices)
    feedback = models.TextField(max_length=20000)
    # {"<criterion id>": score}, validated against the assignment's rubric by the service.
    scores = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict__in=["approved", "changes_requested"]),
                name="review_verdict_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.submission} ({self.verdict})"


# --- Mentor operations: availability, ratings, payouts ------------------------------------------


class Availability(models.Model):
    """A weekly recurring slot, in the mentor's own zone: the wall-clock time holds across
    daylight-saving changes."""

    mentor = models.ForeignKey(Mentor, on_delete=models.CASCADE, related_name="availability")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, validators=[MaxValueValidator(6)]
    )  # 0 = Monday
    start_time = models.TimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(15), MaxValueValidator(240)]
    )

    class Meta:
        ordering = ["mentor", "weekday", "start_time", "id"]
        verbose_name_plural = "availability"
        constraints = [
            models.UniqueConstraint(
                fields=["mentor", "weekday", "start_time"], name="availability_unique_slot"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="availability_weekday"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15) & Q(duration_minutes__lte=240),
                name="availability_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor}: weekday {self.weekday} {self.start_time:%H:%M}"


class AvailabilityException(models.Model):
    """A dated change to a mentor's week: a day (or one slot) off, or an extra slot."""

    class Kind(models.TextChoices):
        UNAVAILABLE = "unavailable", _("Unavailable")
        EXTRA = "extra", _("Extra slot")

    mentor = models.ForeignKey(
        Mentor, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # An "unavailable" exception without a start time closes the whole day.
    start_time = models.TimeField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(15), MaxValueValidator(240)]
    )

    class Meta:
        ordering = ["mentor", "date", "start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["unavailable", "extra"]), name="availability_exception_kind"
            ),
            models.CheckConstraint(
                condition=Q(kind="unavailable")
                | (Q(start_time__isnull=False) & Q(duration_minutes__isnull=False)),
                name="availability_extra_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor}: {self.kind} on {self.date}"


class SessionRating(models.Model):
    """The learner's rating of a completed session: once (the one-to-one decides)."""

    session = models.OneToOneField(MentorSession, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="session_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 for {self.session}"


class PayoutMonth(models.Model):
    """One calendar month of payouts (the first day names it). Once ``closed_at`` is set, no
    payout entry is ever written into it again."""

    month = models.DateField(unique=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="payout_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}" + (" (closed)" if self.closed_at else "")


class PayoutEntry(models.Model):
    """One line of the payout ledger: what a change did to a mentor's month (+1 held session of
    45 minutes, -1 when a held session is corrected to missed, +1 review). A month's figures are
    the sums of its entries. A change to a closed month lands in the open month, and its
    ``note`` says so: the audit trail of late edits."""

    mentor = models.ForeignKey(Mentor, on_delete=models.PROTECT, related_name="payout_entries")
    month = models.ForeignKey(PayoutMonth, on_delete=models.PROTECT, related_name="entries")
    sessions = models.IntegerField(default=0)
    minutes = models.IntegerField(default=0)
    reviews = models.IntegerField(default=0)
    session = models.ForeignKey(
        MentorSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review = models.ForeignKey(
        Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The month the change belongs to when it had to land in a later one (closed month).
    belongs_to = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["month", "mentor"])]
        verbose_name_plural = "payout entries"

    def __str__(self) -> str:
        return f"{self.mentor} {self.month}: {self.sessions:+d} sessions, {self.reviews:+d} reviews"
