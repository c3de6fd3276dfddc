"""Admin for programs (with their modules and assignments), rubric criteria and cohorts."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from curriculum.kernel.signals import ProgressInputsAdmin
from curriculum.models import Assignment, Cohort, Module, Program, RubricCriterion


class ModuleInline(admin.TabularInline):
    model = Module
    fields = ("order", "title", "expected_hours", "start_week", "end_week")
    extra = 0
    show_change_link = True


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ("order", "title", "kind", "module", "due_week", "weight")
    extra = 0
    show_change_link = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the program's own modules are offered.
        if db_field.name == "module":
            program_id = request.resolver_match.kwargs.get("object_id") if request else None
            queryset = Module.objects.all()
            kwargs["queryset"] = (
                queryset.filter(program_id=program_id) if program_id else queryset.none()
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "module" and field is not None:
            # Every row offers the same modules: read them once, not once per row.
            field.choices = list(field.choices)
        return field


class RubricCriterionInline(admin.TabularInline):
    model = RubricCriterion
    fields = ("order", "name", "max_score", "description")
    extra = 0


@admin.register(Program)
class ProgramAdmin(ProgressInputsAdmin, admin.ModelAdmin):
    progress_input = ("program_ids", "pk")
    list_display = (
        "name",
        "slug",
        "length_weeks",
        "module_count",
        "assignment_count",
        "created_at",
    )
    list_filter = ("length_weeks", "created_at")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    inlines = (ModuleInline, AssignmentInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Program]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                module_total=Count("modules", distinct=True),
                assignment_total=Count("assignments", distinct=True),
            )
        )

    @admin.display(description="modules", ordering="module_total")
    def module_count(self, program: Program) -> int:
        return program.module_total

    @admin.display(description="assignments", ordering="assignment_total")
    def assignment_count(self, program: Program) -> int:
        return program.assignment_total


@admin.register(Module)
class ModuleAdmin(ProgressInputsAdmin, admin.ModelAdmin):
    # A module's title, order and hours show in each learner's stored progress detail.
    progress_input = ("program_ids", "program_id")
    list_display = ("title", "program", "order", "start_week", "end_week", "expected_hours")
    list_filter = ("program",)
    list_select_related = ("program",)
    search_fields = ("title", "description", "program__name")
    autocomplete_fields = ("program",)
    ordering = ("program", "order")


@admin.register(Assignment)
class AssignmentAdmin(ProgressInputsAdmin, admin.ModelAdmin):
    progress_input = ("program_ids", "program_id")
    list_display = (
        "title",
        "program",
        "module",
        "kind",
        "due_week",
        "weight",
        "order",
        "criteria_count",
    )
    list_filter = ("kind", "program", "due_week")
    list_select_related = ("program", "module")
    search_fields = ("title", "description", "module__title", "program__name")
    autocomplete_fields = ("program", "module")
    ordering = ("program", "due_week", "order")
    inlines = (RubricCriterionInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        return super().get_queryset(request).annotate(criteria_total=Count("rubric_criteria"))

    @admin.display(description="rubric criteria", ordering="criteria_total")
    def criteria_count(self, assignment: Assignment) -> int:
        return assignment.criteria_total


@admin.register(RubricCriterion)
class RubricCriterionAdmin(admin.ModelAdmin):
    list_display = ("name", "assignment", "order", "max_score")
    list_filter = ("assignment__program", "max_score")
    list_select_related = ("assignment",)
    search_fields = ("name", "description", "assignment__title")
    autocomplete_fields = ("assignment",)


@admin.register(Cohort)
class CohortAdmin(ProgressInputsAdmin, SimpleHistoryAdmin):
    progress_input = ("cohort_ids", "pk")
    list_display = ("name", "program", "start_date", "end_date", "timezone", "enrollment_count")
    list_filter = ("program", "timezone")
    list_select_related = ("program",)
    search_fields = ("name", "program__name")
    autocomplete_fields = ("program",)
    date_hierarchy = "start_date"
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cohort]:
        return super().get_queryset(request).annotate(enrollment_total=Count("enrollments"))

    @admin.display(description="learners", ordering="enrollment_total")
    def enrollment_count(self, cohort: Cohort) -> int:
        return cohort.enrollment_total
