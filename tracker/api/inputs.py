"""Input serializers: exactly the fields a caller may send for each write, strictly typed.

Privileged fields (a submission's ``status`` and ``version``, a log's ``recorded_on``, a
pairing's mentor for a learner) are simply absent, so sending them changes nothing. References
to other rows resolve only within the caller's scope; the service then decides whether the
caller's role may make the write at all.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import validate_slug
from django.utils.translation import gettext
from rest_framework import serializers

from curriculum.models import Assignment, Cohort, Module, Program
from curriculum.rules import ASSIGNMENT_RULE, COHORT_RULE, MODULE_RULE, PROGRAM_RULE
from learners.models import Enrollment
from learners.rules import ENROLLMENT_RULE
from mentors.models import Mentor, MentorSession, Review
from mentors.rules import MENTOR_RULE
from tracker.api.fields import (
    BoundedDateField,
    BoundedDateTimeField,
    FlatListField,
    HttpUrlField,
    ScopedPrimaryKeyField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictTimeField,
    enum_field,
)
from tracker.models import Notification, Theme

User = get_user_model()

TEXT_MAX = 5000


def text(max_length: int = TEXT_MAX, **kwargs) -> StrictCharField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return StrictCharField(max_length=max_length, **kwargs)


def program_ref(**kwargs) -> ScopedPrimaryKeyField:
    return ScopedPrimaryKeyField(queryset=Program.objects.all(), rule=PROGRAM_RULE, **kwargs)


def enrollment_ref(**kwargs) -> ScopedPrimaryKeyField:
    return ScopedPrimaryKeyField(
        queryset=Enrollment.objects.select_related("cohort", "learner"),
        rule=ENROLLMENT_RULE,
        **kwargs,
    )


# --- Curriculum (staff) -----------------------------------------------------------------------
class ProgramInput(serializers.Serializer):
    name = StrictCharField(max_length=200)
    slug = StrictCharField(max_length=80, validators=[validate_slug])
    length_weeks = StrictIntegerField(min_value=1, max_value=260)
    description = text()


class ProgramUpdateInput(serializers.Serializer):
    name = StrictCharField(max_length=200, required=False)
    slug = StrictCharField(max_length=80, required=False, validators=[validate_slug])
    length_weeks = StrictIntegerField(min_value=1, max_value=260, required=False)
    description = text()
    # What graduation requires (curriculum.models.validate_graduation_rules checks it).
    graduation_rules = serializers.DictField(required=False)


class ModuleInput(serializers.Serializer):
    program = program_ref()
    order = StrictIntegerField(min_value=0, max_value=32767)
    title = StrictCharField(max_length=200)
    expected_hours = StrictIntegerField(min_value=1, max_value=2000)
    start_week = StrictIntegerField(min_value=1, max_value=260)
    end_week = StrictIntegerField(min_value=1, max_value=260)
    description = text()


class RubricCriterionInput(serializers.Serializer):
    name = StrictCharField(max_length=200)
    max_score = StrictIntegerField(min_value=1, max_value=100)
    description = text()


class AssignmentInput(serializers.Serializer):
    program = program_ref()
    module = ScopedPrimaryKeyField(
        queryset=Module.objects.all(), rule=MODULE_RULE, allow_null=True, required=False
    )
    order = StrictIntegerField(min_value=0, max_value=32767)
    title = StrictCharField(max_length=200)
    kind = enum_field(Assignment.Kind.choices)
    due_week = StrictIntegerField(min_value=1, max_value=260)
    weight = StrictIntegerField(min_value=1, max_value=1000, required=False, default=1)
    description = text()
    rubric = RubricCriterionInput(many=True, required=False, max_length=50)


class PredictionContractInput(serializers.Serializer):
    prediction_contract = serializers.JSONField(
        allow_null=True,
        help_text="{method, path, examples: [{name, request, expect}], response_schema, "
        "latency_budget_ms}, or null to remove it (docs/API.md).",
    )


class PredictionExamplesInput(serializers.Serializer):
    examples = serializers.JSONField(
        help_text="Examples in the contract's shape: [{name, request, expect}] (docs/API.md)."
    )


class CohortInput(serializers.Serializer):
    program = program_ref()
    name = StrictCharField(max_length=200)
    start_date = BoundedDateField()
    timezone = StrictCharField(max_length=64, required=False, default="UTC")


class CohortUpdateInput(serializers.Serializer):
    name = StrictCharField(max_length=200, required=False)
    start_date = BoundedDateField(required=False)
    timezone = StrictCharField(max_length=64, required=False)


# --- Learners ---------------------------------------------------------------------------------
class EnrollmentInput(serializers.Serializer):
    cohort = ScopedPrimaryKeyField(queryset=Cohort.objects.all(), rule=COHORT_RULE)
    learner = ScopedPrimaryKeyField(queryset=User.objects.filter(is_active=True))


class EnrollmentStatusInput(serializers.Serializer):
    status = enum_field(Enrollment.Status.choices)


class PauseInput(serializers.Serializer):
    start = BoundedDateField()
    end = BoundedDateField()
    reason = text(500)


class HelpInput(serializers.Serializer):
    message = StrictCharField(max_length=TEXT_MAX)


class HelpAnswerInput(serializers.Serializer):
    answer = text()


class ProgressLogInput(serializers.Serializer):
    enrollment = enrollment_ref()
    module = ScopedPrimaryKeyField(queryset=Module.objects.all(), rule=MODULE_RULE)
    logged_on = BoundedDateField()
    minutes = StrictIntegerField(min_value=1, max_value=1440)
    note = text()


class ProgressLogUpdateInput(serializers.Serializer):
    module = ScopedPrimaryKeyField(queryset=Module.objects.all(), rule=MODULE_RULE, required=False)
    logged_on = BoundedDateField(required=False)
    minutes = StrictIntegerField(min_value=1, max_value=1440, required=False)
    note = text()


class SubmissionInput(serializers.Serializer):
    enrollment = enrollment_ref()
    assignment = ScopedPrimaryKeyField(queryset=Assignment.objects.all(), rule=ASSIGNMENT_RULE)
    url = HttpUrlField()
    note = text()
    deployment_url = HttpUrlField(required=False, allow_blank=True)


class ReviewInput(serializers.Serializer):
    verdict = enum_field(Review.Verdict.choices)
    feedback = StrictCharField(max_length=20000)
    scores = serializers.DictField(
        child=StrictIntegerField(min_value=0, max_value=100),
        required=False,
        help_text="Rubric criterion id → score (0..the criterion's max_score).",
    )

    def validate_scores(self, value: dict) -> dict:
        if len(value) > 50:
            raise serializers.ValidationError(gettext("At most 50 scores."))
        for key in value:
            if not (key.isascii() and key.isdigit()) or len(key) > 12:
                raise serializers.ValidationError(f"“{key[:20]}” is not a criterion id.")
        return value


# --- Mentors ----------------------------------------------------------------------------------
class ExpertiseField(serializers.ListField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("child", StrictCharField(max_length=60))
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)


class MentorInput(serializers.Serializer):
    user = ScopedPrimaryKeyField(queryset=User.objects.filter(is_active=True))
    capacity = StrictIntegerField(min_value=0, max_value=200)
    expertise = ExpertiseField(required=False)
    timezone = StrictCharField(max_length=64, required=False, default="UTC")
    bio = text()
    meeting_url = HttpUrlField(max_length=500, required=False, allow_blank=True)


class MentorUpdateInput(serializers.Serializer):
    capacity = StrictIntegerField(min_value=0, max_value=200, required=False)
    expertise = ExpertiseField(required=False)
    timezone = StrictCharField(max_length=64, required=False)
    bio = text()
    is_active = StrictBooleanField(required=False)
    meeting_url = HttpUrlField(max_length=500, required=False, allow_blank=True)


class PairingInput(serializers.Serializer):
    enrollment = enrollment_ref()
    mentor = ScopedPrimaryKeyField(queryset=Mentor.objects.all(), rule=MENTOR_RULE)


class PairingEndInput(serializers.Serializer):
    reason = text(200)


class SessionInput(serializers.Serializer):
    enrollment = enrollment_ref()
    scheduled_at = BoundedDateTimeField()
    duration_minutes = StrictIntegerField(min_value=5, max_value=480, required=False, default=30)
    status = enum_field(
        MentorSession.Status.choices, required=False, default=MentorSession.Status.SCHEDULED
    )
    notes = text(10000)


class SessionUpdateInput(serializers.Serializer):
    scheduled_at = BoundedDateTimeField(required=False)
    duration_minutes = StrictIntegerField(min_value=5, max_value=480, required=False)
    status = enum_field(MentorSession.Status.choices, required=False)
    notes = text(10000)
    meeting_url = HttpUrlField(max_length=500, required=False, allow_blank=True)


# --- The caller -------------------------------------------------------------------------------
class PreferencesInput(serializers.Serializer):
    timezone = StrictCharField(max_length=64, required=False)
    email_reminders = StrictBooleanField(required=False)
    quiet_hours_start = StrictTimeField(required=False, allow_null=True)
    quiet_hours_end = StrictTimeField(required=False, allow_null=True)
    email_muted_kinds = FlatListField(
        child=enum_field(Notification.Kind.choices),
        required=False,
        max_length=len(Notification.Kind.values),
        help_text="Kinds of notification not to send by email (they still appear in-app).",
    )
    language = enum_field(
        [("", "browser"), *settings.LANGUAGES],
        required=False,
        help_text="Pages and emails in this language; empty: as the browser asks.",
    )
    theme = enum_field(
        Theme.choices, required=False, help_text="auto follows the device's colour scheme."
    )


class TokenInput(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    name = StrictCharField(
        max_length=100, required=False, help_text='The new token\'s name (default "API sign-in").'
    )
    otp = StrictCharField(
        max_length=16,
        required=False,
        help_text="A current TOTP code: required when the account has two-factor on, and for "
        "staff when STRIDE_STAFF_REQUIRE_2FA is true.",
    )


class ApiTokenInput(serializers.Serializer):
    name = StrictCharField(max_length=100, help_text='What the token is for ("laptop").')
    otp = StrictCharField(
        max_length=16,
        required=False,
        help_text="A current TOTP code: required for staff when STRIDE_STAFF_REQUIRE_2FA is true.",
    )


class RosterInput(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV with a header row: email,first_name,last_name[,mentor_email]"
    )


# --- Graduation -------------------------------------------------------------------------------
class GraduateInput(serializers.Serializer):
    override_reason = text(2000)


class CertificateRevokeInput(serializers.Serializer):
    reason = StrictCharField(max_length=2000)
