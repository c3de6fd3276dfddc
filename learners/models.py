"""Learners' side: enrollments (with pauses), progress logs, submissions and help requests."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from curriculum.models import Assignment, Cohort, Module


class Enrollment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        GRADUATED = "graduated", _("Graduated")

    # Open enrollments take logs, submissions, pairings and sessions; closed ones take none.
    OPEN_STATUSES = (Status.ACTIVE, Status.PAUSED)

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="enrollments")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Sum of all pause lengths in days; kept by the pause service so hot reads need no join.
    paused_days = models.PositiveIntegerField(default=0)
    # Examples the learner's mentor (or staff) adds to the capstone's prediction contract, in
    # the contract's example shape (curriculum/prediction.py); checked after the contract's own.
    prediction_examples = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["cohort_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "learner"], name="enrollment_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "paused", "withdrawn", "graduated"]),
                name="enrollment_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "cohort"])]

    def __str__(self) -> str:
        return f"{self.learner} in {self.cohort}"


class Pause(models.Model):
    """A stretch of days (inclusive) when the learner's schedule stands still."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="pauses")
    start = models.DateField()
    end = models.DateField()
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enrollment_id", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="pause_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.start} to {self.end}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class ProgressLog(models.Model):
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="progress_logs"
    )
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="progress_logs")
    logged_on = models.DateField()
    minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    note = models.TextField(blank=True, max_length=5000)
    # The learner's local date when the row was written: the database refuses a logged_on after
    # it, so "not in the future" holds whoever writes the row.
    recorded_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-logged_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=1440), name="log_minutes_1_1440"
            ),
            models.CheckConstraint(
                condition=Q(logged_on__lte=F("recorded_on")), name="log_not_in_future"
            ),
        ]
        indexes = [models.Index(fields=["enrollment", "logged_on"])]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.logged_on}"


class Submission(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="submissions")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="submissions")
    version = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    url = models.URLField(max_length=500)
    note = models.TextField(blank=True, max_length=5000)
    deployment_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField()
    status_changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "assignment", "version"], name="submission_version_unique"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="submission_version_gte_1"),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "approved", "changes_requested"]),
                name="submission_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["enrollment", "assignment", "-version"]),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} v{self.version}"


class DeploymentCheck(models.Model):
    """One request made to a capstone submission's ``deployment_url``."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="deployment_checks"
    )
    checked_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # One entry per example of the prediction contract: {name, ok, status_code, latency_ms,
    # schema_errors: [pointer ...], value_ok, error, request, response}. Empty when the
    # capstone has no contract (the URL alone was requested). ``ok`` is the whole check: every
    # example passed (tracker/deployments/live.py).
    examples = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["submission_id", "checked_at"]
        indexes = [models.Index(fields=["submission", "-checked_at"])]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"


class HelpRequest(models.Model):
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="help_requests"
    )
    message = models.TextField(max_length=5000)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answer = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["enrollment", "answered_at"])]

    def __str__(self) -> str:
        return f"Help request {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class Certificate(models.Model):
    """The certificate issued when an enrollment graduates, with the facts it states frozen at
    issue (a later rename changes nothing on it). ``code`` is the unguessable part of its public
    verification address; a revoked certificate stays, marked, so its page can say so."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="certificates"
    )
    code = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when staff graduated the enrollment although its checklist was not met: the record of
    # that override, with the requirements that were missing (``unmet``, codes).
    override_reason = models.TextField(blank=True, max_length=2000)
    unmet = models.JSONField(default=list, blank=True)
    # The facts, as they were on the day of issue.
    learner_name = models.CharField(max_length=300)
    program_name = models.CharField(max_length=200)
    cohort_name = models.CharField(max_length=200)
    completed_on = models.DateField()
    capstone_title = models.CharField(max_length=200, blank=True)
    deployed_url = models.URLField(max_length=500, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            # At most one valid certificate per enrollment; revoked ones stay as history.
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(revoked_at__isnull=True),
                name="one_valid_certificate_per_enrollment",
            ),
        ]

    def __str__(self) -> str:
        return f"Certificate {self.pk} of {self.learner_name}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


def shifted_due_date(base: dt.date, pauses: Iterable[tuple[dt.date, dt.date]]) -> dt.date:
    """A due date moved later by the length of every pause that starts on or before the
    running (already shifted) due date; pauses are ``(start, end)``, inclusive, in any order.

    The one implementation of the rule: the progress engine, the calendar and the reminders
    sweep all use it (``tracker.progress.schedule.shift_due_date`` is this function).
    """
    due = base
    for start, end in sorted(pauses):
        if start > due:
            # Sorted: no later pause can start on or before the due date either.
            break
        due += dt.timedelta(days=(end - start).days + 1)
    return due
