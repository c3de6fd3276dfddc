"""Output serializers: what the API shows of each row. Read-only; inputs live in inputs.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from curriculum.kernel.names import display_name
from curriculum.models import Assignment, Cohort, Module, Program, RubricCriterion
from learners.models import (
    Certificate,
    DeploymentCheck,
    Enrollment,
    HelpRequest,
    Pause,
    ProgressLog,
    Submission,
)
from mentors.models import Mentor, MentorSession, Pairing, Review
from tracker.api.fields import enum_field
from tracker.graduation import linkedin_url, verify_url
from tracker.models import Notification, UserPreferences

User = get_user_model()


# A model's ``Meta.fields``, every one read-only. (A comment: drf-spectacular would show a
# docstring as every subclass's description.)
class OutputSerializer(serializers.ModelSerializer):
    def get_extra_kwargs(self) -> dict[str, dict[str, Any]]:
        return {name: {"read_only": True} for name in self.Meta.fields}


class UserBriefSerializer(OutputSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, user: Any) -> str:
        return display_name(user)


class MentorBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


def active_mentor(enrollment: Enrollment) -> Mentor | None:
    """The active mentor, from the ``active_pairings`` prefetch the views set up."""
    pairings = getattr(enrollment, "active_pairings", None)
    if pairings is None:
        pairing = enrollment.pairings.filter(ended_at__isnull=True).first()
        return pairing.mentor if pairing else None
    return pairings[0].mentor if pairings else None


# --- Curriculum -------------------------------------------------------------------------------
class ProgramSerializer(OutputSerializer):
    class Meta:
        model = Program
        fields = ["id", "name", "slug", "description", "length_weeks", "created_at"]


class ModuleSerializer(OutputSerializer):
    class Meta:
        model = Module
        fields = [
            "id",
            "program",
            "order",
            "title",
            "description",
            "expected_hours",
            "start_week",
            "end_week",
        ]


class RubricCriterionSerializer(OutputSerializer):
    class Meta:
        model = RubricCriterion
        fields = ["id", "order", "name", "description", "max_score"]


class AssignmentSerializer(OutputSerializer):
    kind = enum_field(Assignment.Kind.choices, read_only=True)
    rubric = RubricCriterionSerializer(source="rubric_criteria", many=True, read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "program",
            "module",
            "order",
            "title",
            "description",
            "kind",
            "due_week",
            "weight",
            "rubric",
            "prediction_contract",
        ]


class ProgramDetailSerializer(ProgramSerializer):
    modules = ModuleSerializer(many=True, read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    # Every requirement with its defaults filled in (``Program.graduation_requirements``).
    graduation_rules = serializers.DictField(source="graduation_requirements", read_only=True)

    class Meta(ProgramSerializer.Meta):
        fields = [*ProgramSerializer.Meta.fields, "modules", "assignments", "graduation_rules"]


class CohortSerializer(OutputSerializer):
    end_date = serializers.DateField(read_only=True)

    class Meta:
        model = Cohort
        fields = ["id", "program", "name", "start_date", "end_date", "timezone", "created_at"]


# --- Learners ---------------------------------------------------------------------------------
class PauseSerializer(OutputSerializer):
    days = serializers.IntegerField(read_only=True)

    class Meta:
        model = Pause
        fields = ["id", "enrollment", "start", "end", "days", "reason", "created_at"]


class EnrollmentSerializer(OutputSerializer):
    learner = UserBriefSerializer(read_only=True)
    mentor = serializers.SerializerMethodField()
    pauses = PauseSerializer(many=True, read_only=True)
    status = enum_field(Enrollment.Status.choices, read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "cohort",
            "learner",
            "mentor",
            "status",
            "enrolled_at",
            "status_changed_at",
            "paused_days",
            "pauses",
        ]

    @extend_schema_field(MentorBriefSerializer(allow_null=True))
    def get_mentor(self, enrollment: Enrollment) -> dict | None:
        mentor = active_mentor(enrollment)
        return None if mentor is None else {"id": mentor.pk, "name": display_name(mentor.user)}


class ProgressLogSerializer(OutputSerializer):
    class Meta:
        model = ProgressLog
        fields = [
            "id",
            "enrollment",
            "module",
            "logged_on",
            "minutes",
            "note",
            "created_at",
            "updated_at",
        ]


class ExampleResultSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    ok = serializers.BooleanField(read_only=True)
    status_code = serializers.IntegerField(read_only=True, allow_null=True)
    latency_ms = serializers.IntegerField(read_only=True, allow_null=True)
    schema_errors = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        read_only=True,
        help_text="JSON pointers into the answer where it breaks the response schema.",
    )
    value_ok = serializers.BooleanField(read_only=True, allow_null=True)
    error = serializers.CharField(read_only=True)
    request = serializers.JSONField(read_only=True, help_text="What the example sent.")
    response = serializers.CharField(
        read_only=True, help_text="What came back (the first 2,000 characters)."
    )


class DeploymentCheckSerializer(OutputSerializer):
    examples = ExampleResultSerializer(many=True, read_only=True)

    class Meta:
        model = DeploymentCheck
        fields = ["checked_at", "status_code", "ok", "latency_ms", "error", "examples"]


class CheckQueuedSerializer(serializers.Serializer):
    submission = serializers.IntegerField(read_only=True)
    queued = serializers.BooleanField(
        read_only=True,
        help_text="False when the broker was away: the scheduled check will run it instead.",
    )


class PredictionExamplesSerializer(serializers.Serializer):
    enrollment = serializers.IntegerField(read_only=True)
    examples = serializers.JSONField(read_only=True)


class ReviewSerializer(OutputSerializer):
    reviewer = UserBriefSerializer(read_only=True)
    scores = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    verdict = enum_field(Review.Verdict.choices, read_only=True)

    class Meta:
        model = Review
        fields = ["id", "submission", "reviewer", "verdict", "feedback", "scores", "created_at"]


class SubmissionSerializer(OutputSerializer):
    deployment_checks = DeploymentCheckSerializer(many=True, read_only=True)
    review = serializers.SerializerMethodField()
    status = enum_field(Submission.Status.choices, read_only=True)
    deployment_url = serializers.CharField(
        read_only=True, help_text="The capstone deployment's http(s) URL, or empty."
    )

    class Meta:
        model = Submission
        fields = [
            "id",
            "enrollment",
            "assignment",
            "version",
            "url",
            "note",
            "deployment_url",
            "status",
            "submitted_at",
            "status_changed_at",
            "deployment_checks",
            "review",
        ]

    @extend_schema_field(ReviewSerializer(allow_null=True))
    def get_review(self, submission: Submission) -> dict | None:
        try:
            review = submission.review
        except Review.DoesNotExist:
            return None
        return ReviewSerializer(review, context=self.context).data


class QueuedSubmissionSerializer(SubmissionSerializer):
    """A submission waiting for review, with who sent it and for what."""

    learner = UserBriefSerializer(source="enrollment.learner", read_only=True)
    assignment_title = serializers.CharField(source="assignment.title", read_only=True)
    cohort = serializers.IntegerField(source="enrollment.cohort_id", read_only=True)

    class Meta(SubmissionSerializer.Meta):
        fields = [*SubmissionSerializer.Meta.fields, "learner", "assignment_title", "cohort"]


class HelpRequestSerializer(OutputSerializer):
    class Meta:
        model = HelpRequest
        fields = ["id", "enrollment", "message", "created_at", "answered_at", "answer"]


# --- Mentors ----------------------------------------------------------------------------------
class MentorSerializer(OutputSerializer):
    user = UserBriefSerializer(read_only=True)
    active_learners = serializers.IntegerField(read_only=True)
    expertise = serializers.ListField(child=serializers.CharField(), read_only=True)
    # Blank until the mentor sets one, so a plain string rather than a "uri".
    meeting_url = serializers.CharField(read_only=True)

    class Meta:
        model = Mentor
        fields = [
            "id",
            "user",
            "capacity",
            "active_learners",
            "expertise",
            "timezone",
            "bio",
            "is_active",
            "meeting_url",
        ]


class PairingSerializer(OutputSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Pairing
        fields = [
            "id",
            "enrollment",
            "mentor",
            "started_at",
            "ended_at",
            "end_reason",
            "is_active",
        ]


class SessionSerializer(OutputSerializer):
    mentor = serializers.IntegerField(source="pairing.mentor_id", read_only=True)
    status = enum_field(MentorSession.Status.choices, read_only=True)
    meeting_url = serializers.CharField(read_only=True)

    class Meta:
        model = MentorSession
        fields = [
            "id",
            "enrollment",
            "pairing",
            "mentor",
            "scheduled_at",
            "duration_minutes",
            "status",
            "notes",
            "meeting_url",
            "cancelled_late",
            "cancel_reason",
            "sequence",
            "created_at",
            "updated_at",
        ]


# --- Tracker ----------------------------------------------------------------------------------
class NotificationSerializer(OutputSerializer):
    is_read = serializers.SerializerMethodField()
    kind = enum_field(Notification.Kind.choices, read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "link", "created_at", "read_at", "is_read"]

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class PreferencesSerializer(OutputSerializer):
    email_muted_kinds = serializers.ListField(
        child=enum_field(Notification.Kind.choices),
        read_only=True,
        help_text="Kinds of notification not sent by email (they still appear in-app).",
    )
    # "" (nothing chosen: pages follow the browser's Accept-Language) is a stored value too.
    language = enum_field(
        [("", "browser"), *settings.LANGUAGES],
        read_only=True,
        help_text="Pages and emails in this language; empty: as the browser asks.",
    )

    class Meta:
        model = UserPreferences
        fields = [
            "timezone",
            "email_reminders",
            "quiet_hours_start",
            "quiet_hours_end",
            "email_muted_kinds",
            "language",
            "theme",
        ]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    role = enum_field(["staff", "mentor", "learner"], allow_null=True)
    learner_enrollments = serializers.ListField(child=serializers.IntegerField())
    mentor_id = serializers.IntegerField(allow_null=True)
    # None until the caller creates their feed (POST me/calendar-token/).
    calendar_url = serializers.URLField(allow_null=True)


class CalendarTokenSerializer(serializers.Serializer):
    calendar_url = serializers.URLField()


class ApiTokenSerializer(serializers.Serializer):
    """A token as its owner sees it: never its value (only a digest is stored)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The value's first characters, to tell tokens apart.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(help_text="The value: shown in this answer only.")


# --- Progress ---------------------------------------------------------------------------------
class NextDueSerializer(serializers.Serializer):
    assignment = serializers.IntegerField()
    title = serializers.CharField()
    date = serializers.DateField()


PACES = ["ahead", "on_track", "at_risk", "behind"]
RISK_REASONS = [
    "behind_schedule",
    "overdue_milestone",
    "inactive",
    "missed_sessions",
    "stale_changes_requested",
]


class ProgressFieldsSerializer(serializers.Serializer):
    """The contract's progress fields, as ``Progress.as_dict()`` gives them."""

    enrollment = serializers.IntegerField()
    percent_complete = serializers.FloatField(min_value=0, max_value=100)
    expected_percent = serializers.FloatField(min_value=0, max_value=100)
    pace = enum_field(PACES)
    risk_reasons = serializers.ListField(child=enum_field(RISK_REASONS))
    last_activity_at = serializers.DateTimeField(allow_null=True)
    overdue_count = serializers.IntegerField(min_value=0)
    next_due = NextDueSerializer(allow_null=True)
    minutes_logged_7d = serializers.IntegerField(min_value=0)
    projected_completion = serializers.DateField(allow_null=True)


class CohortProgressRowSerializer(ProgressFieldsSerializer):
    learner = UserBriefSerializer()
    mentor = MentorBriefSerializer(allow_null=True)
    status = enum_field(Enrollment.Status.choices)


class ModuleFields(serializers.Serializer):
    module = serializers.IntegerField()
    title = serializers.CharField()
    order = serializers.IntegerField()
    expected_hours = serializers.IntegerField()


class AssignmentFields(serializers.Serializer):
    assignment = serializers.IntegerField()
    title = serializers.CharField()
    kind = enum_field(Assignment.Kind.choices)
    module = serializers.IntegerField(allow_null=True)


class ModuleProgressSerializer(ModuleFields):
    minutes_logged = serializers.IntegerField()
    percent_complete = serializers.FloatField()
    status = enum_field(["not_started", "in_progress", "complete"])


CELL_STATUSES = [
    "not_started",
    Submission.Status.SUBMITTED,
    Submission.Status.CHANGES_REQUESTED,
    Submission.Status.APPROVED,
]


class AssignmentProgressSerializer(AssignmentFields):
    weight = serializers.IntegerField()
    due_date = serializers.DateField()
    status = enum_field(CELL_STATUSES)
    version = serializers.IntegerField(allow_null=True)
    last_submitted_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()


class EnrollmentProgressSerializer(ProgressFieldsSerializer):
    modules = ModuleProgressSerializer(many=True)
    assignments = AssignmentProgressSerializer(many=True)


class MatrixEnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    learner = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    status = enum_field(Enrollment.Status.choices)


class MatrixAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = enum_field(Assignment.Kind.choices)
    module = serializers.IntegerField(allow_null=True)
    due_week = serializers.IntegerField()
    weight = serializers.IntegerField()
    due_date = serializers.DateField(help_text="Unshifted; a learner's pauses move their own.")


class MatrixCellSerializer(serializers.Serializer):
    enrollment = serializers.IntegerField()
    assignment = serializers.IntegerField()
    status = enum_field(CELL_STATUSES)
    versions = serializers.IntegerField()
    last_submitted_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()


class CohortMatrixSerializer(serializers.Serializer):
    enrollments = MatrixEnrollmentSerializer(many=True)
    assignments = MatrixAssignmentSerializer(many=True)
    cells = MatrixCellSerializer(many=True)


class ModuleInsightSerializer(ModuleFields):
    learners_logging = serializers.IntegerField()
    median_minutes = serializers.FloatField(allow_null=True)
    median_vs_expected = serializers.FloatField(
        allow_null=True, help_text="Median minutes logged over expected minutes."
    )
    stalls = serializers.BooleanField(
        help_text="Learners log over 1.25 times the expected hours here (median)."
    )
    assignments = serializers.IntegerField()
    learners_finished_schedule = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True, help_text="0-1")


class AssignmentInsightSerializer(AssignmentFields):
    due_week = serializers.IntegerField()
    weight = serializers.IntegerField()
    learners_due = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True, help_text="0-1")
    median_days_late = serializers.FloatField(allow_null=True)
    reviews = serializers.IntegerField()
    changes_requested_share = serializers.FloatField(allow_null=True, help_text="0-1")


class ProgramInsightsSerializer(serializers.Serializer):
    program = serializers.IntegerField()
    name = serializers.CharField()
    learners = serializers.IntegerField()
    cohorts = serializers.IntegerField()
    modules = ModuleInsightSerializer(many=True)
    assignments = AssignmentInsightSerializer(many=True)


class MentorSuggestionSerializer(serializers.Serializer):
    mentor = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.FloatField()
    capacity = serializers.IntegerField()
    active_learners = serializers.IntegerField()
    free_seats = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())


# --- Graduation -------------------------------------------------------------------------------
class GraduationRequirementSerializer(serializers.Serializer):
    code = serializers.CharField()
    met = serializers.BooleanField()
    detail = serializers.CharField()


class GraduationChecklistSerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    requirements = GraduationRequirementSerializer(many=True)


class CertificateSerializer(OutputSerializer):
    verify_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    linkedin_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "enrollment",
            "code",
            "issued_at",
            "revoked_at",
            "revoke_reason",
            "verify_url",
            "pdf_url",
            "linkedin_url",
            "learner_name",
            "program_name",
            "cohort_name",
            "completed_on",
            "capstone_title",
            "deployed_url",
            "override_reason",
        ]

    def get_verify_url(self, certificate: Certificate) -> str:
        return verify_url(certificate)

    def get_pdf_url(self, certificate: Certificate) -> str:
        path = reverse("v1:certificate-pdf", args=[certificate.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else settings.STRIDE_BASE_URL + path

    def get_linkedin_url(self, certificate: Certificate) -> str:
        return linkedin_url(certificate)


# --- Errors (for the schema) ------------------------------------------------------------------
class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RosterSkippedSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    email = serializers.CharField()
    reason = serializers.CharField()


class RosterResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="New accounts (each invited by email).")
    enrolled = serializers.IntegerField()
    paired = serializers.IntegerField()
    skipped = RosterSkippedSerializer(many=True, help_text="Learners already enrolled.")


class RosterRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1-based line number in the file (header is 1).")
    field = serializers.CharField()
    message = serializers.CharField()


class RosterErrorSerializer(serializers.Serializer):
    rows = RosterRowErrorSerializer(many=True, required=False)
    file = serializers.ListField(child=serializers.CharField(), required=False)


VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Field name → list of messages (DRF style; nested fields give nested objects). A body "
        'that is not valid JSON answers {"detail": message}.'
    ),
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}
