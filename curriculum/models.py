"""Programs, their modules and assignments (with rubric criteria), and cohorts that run them."""

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone.", code="invalid_timezone")


class Program(models.Model):
    """A curriculum, e.g. the 26-week ML Engineering & AI bootcamp."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    length_weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(260)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(length_weeks__gte=1), name="program_length_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Module(models.Model):
    """An ordered unit of a program with expected hours and the weeks it spans."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="modules")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    expected_hours = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(2000)]
    )
    start_week = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    end_week = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["program_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["program", "order"], name="module_order_unique"),
            models.CheckConstraint(
                condition=Q(end_week__gte=F("start_week")), name="module_week_span_valid"
            ),
            models.CheckConstraint(condition=Q(start_week__gte=1), name="module_start_week_gte_1"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.start_week and self.end_week and self.end_week < self.start_week:
            raise ValidationError({"end_week": _("The module cannot end before it starts.")})
        if self.program_id and self.end_week and self.end_week > self.program.length_weeks:
            raise ValidationError({"end_week": _("The module ends after the program does.")})


class Assignment(models.Model):
    class Kind(models.TextChoices):
        EXERCISE = "exercise", _("Exercise")
        PROJECT = "project", _("Project")
        MILESTONE = "milestone", _("Capstone milestone")

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="assignments")
    module = models.ForeignKey(
        Module, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.EXERCISE)
    # Offset in weeks from the cohort start: due at start_date + due_week weeks.
    due_week = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )

    class Meta:
        ordering = ["program_id", "due_week", "order"]
        constraints = [
            models.UniqueConstraint(fields=["program", "order"], name="assignment_order_unique"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="assignment_weight_positive"),
            models.CheckConstraint(condition=Q(due_week__gte=1), name="assignment_due_week_gte_1"),
            models.CheckConstraint(
                condition=Q(kind__in=["exercise", "project", "milestone"]),
                name="assignment_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.module_id and self.program_id and self.module.program_id != self.program_id:
            raise ValidationError({"module": _("The module belongs to another program.")})
        if self.program_id and self.due_week and self.due_week > self.program.length_weeks:
            raise ValidationError({"due_week": _("The assignment is due after the program ends.")})

    @staticmethod
    def final_milestone_id(program_id: int) -> int | None:
        """The capstone's last milestone: the one whose submission may carry a deployment."""
        return (
            Assignment.objects.filter(program_id=program_id, kind=Assignment.Kind.MILESTONE)
            .order_by("-due_week", "-order")
            .values_list("pk", flat=True)
            .first()
        )

    @property
    def is_final_milestone(self) -> bool:
        is_milestone = self.kind == self.Kind.MILESTONE
        return is_milestone and self.final_milestone_id(self.program_id) == self.pk


class RubricCriterion(models.Model):
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="rubric_criteria"
    )
    order = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    max_score = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["assignment_id", "order"]
        verbose_name_plural = "rubric criteria"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "name"], name="criterion_name_unique"),
            models.CheckConstraint(condition=Q(max_score__gte=1), name="criterion_max_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Cohort(models.Model):
    """One run of a program, starting on a date in a time zone."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(max_length=200, unique=True)
    start_date = models.DateField()
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(weeks=self.program.length_weeks)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def due_date(self, due_week: int) -> dt.date:
        """The unshifted due date of an assignment due in ``due_week``."""
        return self.start_date + dt.timedelta(weeks=due_week)
