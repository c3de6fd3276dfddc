"""Programs (modules and assignments nested), modules, assignments: read in scope, staff write."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from curriculum import services
from curriculum.kernel.access import IsStaff
from curriculum.models import Assignment, Module, Program, RubricCriterion
from curriculum.rules import ASSIGNMENT_RULE, MODULE_RULE, PROGRAM_RULE
from tracker.api import inputs, serializers
from tracker.api.base import RuleViewSet
from tracker.api.filters import AssignmentFilter, ModuleFilter, ProgramFilter
from tracker.insights import program_insights


def assignments_with_rubric():
    return Assignment.objects.prefetch_related(
        Prefetch("rubric_criteria", queryset=RubricCriterion.objects.order_by("order", "id"))
    )


class ProgramViewSet(RuleViewSet):
    rule = PROGRAM_RULE
    filterset_class = ProgramFilter
    ordering_fields = ["name", "created_at", "length_weeks"]
    ordering = ["name"]
    staff_only_actions = {"create"}
    object_checks = {"insights": IsStaff()}

    def get_queryset(self):
        queryset = Program.objects.all()
        if self.action not in ("list", "insights"):
            queryset = queryset.prefetch_related(
                Prefetch("modules", queryset=Module.objects.order_by("order")),
                Prefetch("assignments", queryset=assignments_with_rubric()),
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.ProgramSerializer
        return serializers.ProgramDetailSerializer

    @extend_schema(responses=serializers.ProgramSerializer)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=serializers.ProgramDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=inputs.ProgramInput, responses={201: serializers.ProgramDetailSerializer}
    )
    def create(self, request, *args, **kwargs):
        program = services.program_create(actor=request.user, **self.validated(inputs.ProgramInput))
        return self.show(program, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=inputs.ProgramUpdateInput, responses=serializers.ProgramDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        program = self.get_object()
        fields = self.validated(inputs.ProgramUpdateInput, partial=True)
        program = services.program_update(actor=request.user, program=program, **fields)
        return self.show(program)

    @extend_schema(request=None, responses=serializers.ProgramInsightsSerializer)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def insights(self, request, pk=None):
        """Where learners stall, per module and assignment across cohorts (staff)."""
        program = self.get_object()
        return Response(program_insights(fetched_by=request.user, program=program))


class ModuleViewSet(RuleViewSet):
    rule = MODULE_RULE
    output_serializer = serializers.ModuleSerializer
    filterset_class = ModuleFilter
    ordering_fields = ["order", "start_week", "title"]
    ordering = ["program_id", "order"]
    staff_only_actions = {"create"}

    def get_queryset(self):
        return Module.objects.all()

    @extend_schema(request=inputs.ModuleInput, responses={201: serializers.ModuleSerializer})
    def create(self, request, *args, **kwargs):
        module = services.module_create(actor=request.user, **self.validated(inputs.ModuleInput))
        return self.show(module, status_code=status.HTTP_201_CREATED)


class AssignmentViewSet(RuleViewSet):
    rule = ASSIGNMENT_RULE
    output_serializer = serializers.AssignmentSerializer
    filterset_class = AssignmentFilter
    ordering_fields = ["due_week", "order", "title", "weight"]
    ordering = ["program_id", "due_week", "order"]
    staff_only_actions = {"create", "partial_update"}

    def get_queryset(self):
        return assignments_with_rubric()

    @extend_schema(
        request=inputs.AssignmentInput, responses={201: serializers.AssignmentSerializer}
    )
    def create(self, request, *args, **kwargs):
        fields = self.validated(inputs.AssignmentInput)
        fields["rubric"] = [dict(item) for item in fields.get("rubric", [])]
        fields.setdefault("module", None)
        assignment = services.assignment_create(actor=request.user, **fields)
        return self.show(assignment, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=inputs.PredictionContractInput,
        responses=serializers.AssignmentSerializer,
        description="Set the final milestone's prediction contract (staff); only "
        "``prediction_contract`` changes here.",
    )
    def partial_update(self, request, *args, **kwargs):
        assignment = self.get_object()
        fields = self.validated(inputs.PredictionContractInput)
        assignment = services.prediction_contract_set(
            actor=request.user,
            assignment=assignment,
            prediction_contract=fields["prediction_contract"],
        )
        return self.show(assignment)
