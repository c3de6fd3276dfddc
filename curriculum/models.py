"""Programs, their modules and assignments (with rubric criteria), and cohorts that run them."""

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from curriculum.prediction import contract_errors

# What graduation requires unless a program says otherwise: every requirement on. A program's
# ``graduation_rules`` holds only what it changes (``{"live_check": {"days": 7}}``).
DEFAULT_GRADUATION_RULES: dict[str, dict] = {
    "milestones_approved": {"on": True},
    "live_check": {"on": True, "days": 14},
    "mentor_sessions": {"on": True, "minimum": 3},
    "no_open_changes": {"on": True},
}
# The thresholds each requirement takes, with their bounds.
GRADUATION_THRESHOLDS = {
    "live_check": {"days": (1, 365)},
    "mentor_sessions": {"minimum": (1, 200)},
}


def validate_graduation_rules(value: object) -> None:
    """``{requirement: {"on": bool, threshold: int}}`` with known requirements and thresholds
    within their bounds; a requirement left out keeps its default."""
    if not isinstance(value, dict):
        raise ValidationError(_("Graduation rules are an object of requirements."), code="invalid")
    problems = []
    for code, settings_ in value.items():
        if code not in DEFAULT_GRADUATION_RULES:
            problems.append(_("“%(code)s” is not a graduation requirement.") % {"code": code})
            continue
        if not isinstance(settings_, dict):
            problems.append(_('“%(code)s” takes an object such as {"on": true}.') % {"code": code})
            continue
        allowed = {"on", *GRADUATION_THRESHOLDS.get(code, {})}
        for key, item in settings_.items():
            if key not in allowed:
                problems.append(
                    _("“%(code)s” has no setting “%(key)s”.") % {"code": code, "key": key}
                )
            elif key == "on":
                if not isinstance(item, bool):
                    problems.append(_("“%(code)s.on” is true or false.") % {"code": code})
            else:
                low, high = GRADUATION_THRESHOLDS[code][key]
                if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
                    problems.append(
                        _("“%(code)s.%(key)s” is a whole number from %(low)s to %(high)s.")
                        % {"code": code, "key": key, "low": low, "high": high}
                    )
    if problems:
        raise ValidationError(problems, code="invalid")


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
    # What graduation requires (``DEFAULT_GRADUATION_RULES`` for what is left out); staff edit
    # it through the API (``PATCH programs/{id}/``) or the admin.
    graduation_rules = models.JSONField(
        default=dict, blank=True, validators=[validate_graduation_rules]
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

    @property
    def graduation_requirements(self) -> dict[str, dict]:
        """The program's graduation rules with every default filled in."""
        stored = self.graduation_rules if isinstance(self.graduation_rules, dict) else {}
        return {
            code: {**default, **(stored.get(code) or {})}
            for code, default in DEFAULT_GRADUATION_RULES.items()
        }


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
    # The final milestone's prediction contract (curriculum/prediction.py): what the learner's
    # deployed model must answer. Null: the deployment check only requests the URL.
    prediction_contract = models.JSONField(null=True, blank=True, default=None)

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
        if self.prediction_contract is not None:
            errors = contract_errors(self.prediction_contract)
            if self.kind != self.Kind.MILESTONE or (self.pk and not self.is_final_milestone):
                errors.insert(0, _("Only the program's final capstone milestone takes a contract."))
            if errors:
                raise ValidationError({"prediction_contract": errors})

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
