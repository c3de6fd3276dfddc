"""Enrollments (with progress, pause, help, mentor suggestions), progress logs, submissions
(with review) and help requests."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from curriculum.kernel.access import IsStaff
from learners import services
from learners.models import Enrollment, HelpRequest, ProgressLog, Submission
from learners.rules import ENROLLMENT_RULE, HELP_REQUEST_RULE, PROGRESS_LOG_RULE, SUBMISSION_RULE
from mentors.models import Pairing
from mentors.services import review_create
from tracker.api import inputs, serializers
from tracker.api.base import RuleViewSet
from tracker.api.filters import (
    EnrollmentFilter,
    HelpRequestFilter,
    ProgressLogFilter,
    SubmissionFilter,
)
from tracker.deployments import deployment_check_request, prediction_examples_set
from tracker.graduation import enrollment_graduate, graduation_checklist
from tracker.progress import enrollment_detail
from tracker.security.ratelimit import DeploymentCheckLimit
from tracker.suggestions import mentor_suggestions


def with_active_mentor(queryset):
    """Enrollments with ``active_pairings`` (the current pairing and its mentor) prefetched."""
    return queryset.prefetch_related(
        Prefetch(
            "pairings",
            queryset=Pairing.objects.filter(ended_at__isnull=True).select_related("mentor__user"),
            to_attr="active_pairings",
        )
    )


class EnrollmentViewSet(RuleViewSet):
    rule = ENROLLMENT_RULE
    output_serializer = serializers.EnrollmentSerializer
    filterset_class = EnrollmentFilter
    ordering_fields = ["id", "enrolled_at", "status", "learner__username"]
    ordering = ["cohort_id", "id"]
    staff_only_actions = {"create"}
    object_checks = {"mentor_suggestions": IsStaff(), "graduate": IsStaff()}

    def get_queryset(self):
        queryset = Enrollment.objects.select_related("learner", "cohort")
        return with_active_mentor(queryset).prefetch_related("pauses")

    @extend_schema(
        request=inputs.EnrollmentInput, responses={201: serializers.EnrollmentSerializer}
    )
    def create(self, request, *args, **kwargs):
        fields = self.validated(inputs.EnrollmentInput)
        enrollment = services.enrollment_create(actor=request.user, **fields)
        return self.show(enrollment, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=inputs.EnrollmentStatusInput,
        responses=serializers.EnrollmentSerializer,
        description="Graduate, withdraw or reactivate (staff).",
    )
    def partial_update(self, request, *args, **kwargs):
        enrollment = self.get_object()
        fields = self.validated(inputs.EnrollmentStatusInput)
        if fields["status"] == Enrollment.Status.GRADUATED:
            # Graduating checks the checklist and issues the certificate (an override with a
            # reason goes through ``graduate``).
            enrollment_graduate(actor=request.user, enrollment=enrollment)
        else:
            enrollment = services.enrollment_set_status(
                actor=request.user, enrollment=enrollment, status=fields["status"]
            )
        return self.show(enrollment)

    @extend_schema(
        methods=["GET"], request=None, responses=serializers.PredictionExamplesSerializer
    )
    @extend_schema(
        methods=["PUT"],
        request=inputs.PredictionExamplesInput,
        responses=serializers.PredictionExamplesSerializer,
        description="Replace the extra examples the learner's capstone is checked with "
        "(their mentor or staff).",
    )
    @action(detail=True, methods=["get", "put"], url_path="prediction-examples", filter_backends=[])
    def prediction_examples(self, request, pk=None):
        enrollment = self.get_object()
        if request.method == "PUT":
            fields = self.validated(inputs.PredictionExamplesInput)
            enrollment = prediction_examples_set(
                actor=request.user, enrollment=enrollment, examples=fields["examples"]
            )
        return Response(
            {"enrollment": enrollment.pk, "examples": enrollment.prediction_examples or []}
        )

    @extend_schema(request=None, responses=serializers.GraduationChecklistSerializer)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def graduation(self, request, pk=None):
        """What graduation requires of this enrollment and what is met (the learner, their
        mentor, staff)."""
        enrollment = self.get_object()
        checklist = graduation_checklist(fetched_by=request.user, enrollment=enrollment)
        return Response(serializers.GraduationChecklistSerializer(checklist).data)

    @extend_schema(request=inputs.GraduateInput, responses=serializers.CertificateSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def graduate(self, request, pk=None):
        """Graduate (staff) and issue the certificate: only when the checklist is met, or with
        an ``override_reason`` (kept on the certificate)."""
        enrollment = self.get_object()
        fields = self.validated(inputs.GraduateInput)
        certificate = enrollment_graduate(
            actor=request.user,
            enrollment=enrollment,
            override_reason=fields.get("override_reason", ""),
        )
        return Response(
            serializers.CertificateSerializer(certificate, context={"request": request}).data
        )

    @extend_schema(request=None, responses=serializers.EnrollmentProgressSerializer)
    @action(detail=True, methods=["get"], filter_backends=[])
    def progress(self, request, pk=None):
        return Response(enrollment_detail(fetched_by=request.user, enrollment=self.get_object()))

    @extend_schema(request=inputs.PauseInput, responses={201: serializers.PauseSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def pause(self, request, pk=None):
        enrollment = self.get_object()
        fields = self.validated(inputs.PauseInput)
        pause = services.enrollment_pause(actor=request.user, enrollment=enrollment, **fields)
        return Response(serializers.PauseSerializer(pause).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=inputs.HelpInput, responses={201: serializers.HelpRequestSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def help(self, request, pk=None):
        enrollment = self.get_object()
        fields = self.validated(inputs.HelpInput)
        help_request = services.help_request_create(
            actor=request.user, enrollment=enrollment, message=fields["message"]
        )
        return Response(
            serializers.HelpRequestSerializer(help_request).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=serializers.MentorSuggestionSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="mentor-suggestions",
        filter_backends=[],
        pagination_class=None,
    )
    def mentor_suggestions(self, request, pk=None):
        enrollment = self.get_object()
        return Response(mentor_suggestions(enrollment=enrollment))


class ProgressLogViewSet(RuleViewSet):
    rule = PROGRESS_LOG_RULE
    output_serializer = serializers.ProgressLogSerializer
    filterset_class = ProgressLogFilter
    ordering_fields = ["logged_on", "minutes", "created_at"]
    ordering = ["-logged_on", "-id"]

    def get_queryset(self):
        return ProgressLog.objects.all()

    @extend_schema(
        request=inputs.ProgressLogInput, responses={201: serializers.ProgressLogSerializer}
    )
    def create(self, request, *args, **kwargs):
        log = services.progress_log_create(
            actor=request.user, **self.validated(inputs.ProgressLogInput)
        )
        return self.show(log, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=inputs.ProgressLogUpdateInput, responses=serializers.ProgressLogSerializer
    )
    def partial_update(self, request, *args, **kwargs):
        log = self.get_object()
        fields = self.validated(inputs.ProgressLogUpdateInput, partial=True)
        log = services.progress_log_update(actor=request.user, log=log, **fields)
        return self.show(log)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.progress_log_delete(actor=request.user, log=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubmissionViewSet(RuleViewSet):
    rule = SUBMISSION_RULE
    output_serializer = serializers.SubmissionSerializer
    filterset_class = SubmissionFilter
    ordering_fields = ["submitted_at", "version", "status"]
    ordering = ["-submitted_at", "-id"]

    def get_queryset(self):
        return Submission.objects.select_related("review__reviewer").prefetch_related(
            "deployment_checks"
        )

    @extend_schema(
        request=inputs.SubmissionInput, responses={201: serializers.SubmissionSerializer}
    )
    def create(self, request, *args, **kwargs):
        submission = services.submission_create(
            actor=request.user, **self.validated(inputs.SubmissionInput)
        )
        return self.show(submission, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=inputs.ReviewInput, responses={201: serializers.ReviewSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def review(self, request, pk=None):
        submission = self.get_object()
        fields = self.validated(inputs.ReviewInput)
        review = review_create(actor=request.user, submission=submission, **fields)
        return Response(serializers.ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={202: serializers.CheckQueuedSerializer},
        description="Check now: the live-model check of a deployed capstone is queued "
        "(the learner, their mentor, staff; rate-limited per caller). The result lands in "
        "the submission's ``deployment_checks``.",
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        throttle_classes=[*api_settings.DEFAULT_THROTTLE_CLASSES, DeploymentCheckLimit],
    )
    def check(self, request, pk=None):
        submission = self.get_object()
        queued = deployment_check_request(actor=request.user, submission=submission)
        return Response(
            {"submission": submission.pk, "queued": queued}, status=status.HTTP_202_ACCEPTED
        )


class HelpRequestViewSet(RuleViewSet):
    rule = HELP_REQUEST_RULE
    output_serializer = serializers.HelpRequestSerializer
    filterset_class = HelpRequestFilter
    ordering_fields = ["created_at", "answered_at"]
    ordering = ["-created_at"]
    object_checks = {"answer": "can_update"}

    def get_queryset(self):
        return HelpRequest.objects.all()

    @extend_schema(request=inputs.HelpAnswerInput, responses=serializers.HelpRequestSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def answer(self, request, pk=None):
        help_request = self.get_object()
        fields = self.validated(inputs.HelpAnswerInput)
        help_request = services.help_request_answer(
            actor=request.user, help_request=help_request, **fields
        )
        return Response(serializers.HelpRequestSerializer(help_request).data)
