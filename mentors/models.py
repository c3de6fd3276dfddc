"""Mentors' side: mentors with a capacity, pairings (with history), sessions and reviews."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from curriculum.kernel.names import display_name
from curriculum.models import validate_timezone
from learners.models import Enrollment, Submission


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
