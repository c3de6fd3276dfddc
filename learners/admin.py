"""Admin for enrollments (with pauses and the status actions), progress logs, submissions
(with deployment checks) and help requests.

Status changes and pauses go through ``learners.services`` (the actions below), never through
a plain form save, so ``paused_days``, the status history and the events stay right.
``mentors.admin`` adds pairings to the enrollment page and reviews to the submission page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from curriculum.kernel import clock
from curriculum.kernel.forms import ServiceForm, ServiceFormAdmin
from curriculum.kernel.names import display_name
from curriculum.kernel.signals import ProgressInputsAdmin
from learners.models import (
    Certificate,
    DeploymentCheck,
    Enrollment,
    HelpRequest,
    Pause,
    ProgressLog,
    Submission,
)
from learners.services import enrollment_create, enrollment_pause, enrollment_set_status

ADMIN_PAUSE_DAYS = 7


def error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."


def apply_to_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    change: Callable[[Any], Any],
    done: str,
) -> None:
    """Run ``change`` on every selected row, each in its own service call; report successes and
    each refusal (with the service's reason) as admin messages."""
    changed = 0
    for obj in queryset:
        try:
            change(obj)
        except (ValidationError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{obj}: {error_text(error)}", messages.ERROR)
        else:
            changed += 1
    if changed:
        modeladmin.message_user(request, f"{changed} {done}.", messages.SUCCESS)


class ReadOnlyInline(admin.TabularInline):
    """History shown on a parent's page (a new parent has none: see ``history_inlines``)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def history_inlines(inlines, obj: Any):
    """The add page has no history to show, and an inline there would demand formset data."""
    return inlines if obj is not None else []


class PauseInline(ReadOnlyInline):
    model = Pause
    fields = ("start", "end", "days", "reason", "created_by", "created_at")
    readonly_fields = fields


class EnrollmentForm(ServiceForm):
    class Meta:
        model = Enrollment
        fields = ("cohort", "learner")

    def service_save(self, cleaned_data: dict[str, Any]) -> Enrollment:
        return enrollment_create(
            actor=self.actor, cohort=cleaned_data["cohort"], learner=cleaned_data["learner"]
        )


@admin.register(Enrollment)
class EnrollmentAdmin(ProgressInputsAdmin, SimpleHistoryAdmin, ServiceFormAdmin):
    progress_input = ("enrollment_ids", "pk")
    form = EnrollmentForm
    list_display = ("learner_name", "learner", "cohort", "status", "paused_days", "enrolled_at")
    list_filter = ("status", "cohort", "cohort__program")
    list_select_related = ("learner", "cohort")
    search_fields = (
        "learner__username",
        "learner__first_name",
        "learner__last_name",
        "learner__email",
        "cohort__name",
    )
    autocomplete_fields = ("cohort", "learner")
    date_hierarchy = "enrolled_at"
    inlines = [PauseInline]
    actions = ("pause_for_a_week", "graduate", "withdraw", "reactivate")

    def get_inlines(self, request: HttpRequest, obj: Enrollment | None):
        return history_inlines(self.inlines, obj)

    def get_fields(self, request: HttpRequest, obj: Enrollment | None = None):
        if obj is None:
            return ("cohort", "learner")
        return ("cohort", "learner", "status", "status_changed_at", "paused_days", "enrolled_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Enrollment | None = None):
        if obj is None:
            return ()
        # Who is enrolled where is history; status and pauses change through the actions.
        return ("cohort", "learner", "status", "status_changed_at", "paused_days", "enrolled_at")

    @admin.display(description="name", ordering="learner__last_name")
    def learner_name(self, enrollment: Enrollment) -> str:
        return display_name(enrollment.learner)

    @admin.action(description=f"Pause for {ADMIN_PAUSE_DAYS} days from today")
    def pause_for_a_week(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        def pause(enrollment: Enrollment) -> None:
            start = clock.today(enrollment.cohort.timezone)
            enrollment_pause(
                actor=request.user,
                enrollment=enrollment,
                start=start,
                end=start + dt.timedelta(days=ADMIN_PAUSE_DAYS - 1),
                reason="Paused from the admin",
            )

        apply_to_each(self, request, queryset.select_related("cohort"), pause, "paused")

    @admin.action(description="Graduate")
    def graduate(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._set_status(request, queryset, Enrollment.Status.GRADUATED, "graduated")

    @admin.action(description="Withdraw")
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._set_status(request, queryset, Enrollment.Status.WITHDRAWN, "withdrawn")

    @admin.action(description="Reactivate (end the current pause)")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        self._set_status(request, queryset, Enrollment.Status.ACTIVE, "reactivated")

    def _set_status(self, request: HttpRequest, queryset, status: str, done: str) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda enrollment: enrollment_set_status(
                actor=request.user, enrollment=enrollment, status=status
            ),
            done,
        )


@admin.register(Pause)
class PauseAdmin(ProgressInputsAdmin, SimpleHistoryAdmin):
    """Pauses are recorded with the enrollment action (or the API); here they are looked up."""

    list_display = ("enrollment", "start", "end", "days", "reason", "created_by")
    list_filter = ("enrollment__cohort",)
    list_select_related = ("enrollment__learner", "enrollment__cohort", "created_by")
    search_fields = ("enrollment__learner__username", "enrollment__learner__last_name", "reason")
    date_hierarchy = "start"
    readonly_fields = ("enrollment", "start", "end", "reason", "created_by", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProgressLog)
class ProgressLogAdmin(ProgressInputsAdmin, SimpleHistoryAdmin):
    list_display = ("logged_on", "learner", "module", "minutes", "created_at")
    list_filter = ("enrollment__cohort", "module__program", "logged_on")
    list_select_related = ("enrollment__learner", "module")
    search_fields = ("enrollment__learner__username", "enrollment__learner__last_name", "note")
    autocomplete_fields = ("enrollment", "module")
    # The busiest table: the logged_on filter ("past 7 days", "this month") instead of a date
    # hierarchy, which would scan every row for its months; no exact count of the full table.
    show_full_result_count = False
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="learner", ordering="enrollment__learner__username")
    def learner(self, log: ProgressLog) -> str:
        return str(log.enrollment.learner)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        today = clock.today()
        return {
            "logged_on": today,
            "recorded_on": today,
            **super().get_changeform_initial_data(request),
        }


class DeploymentCheckInline(ReadOnlyInline):
    model = DeploymentCheck
    fields = ("checked_at", "ok", "status_code", "latency_ms", "error")
    readonly_fields = fields


@admin.register(Submission)
class SubmissionAdmin(ProgressInputsAdmin, SimpleHistoryAdmin):
    # Submissions are links to hosted work; a bare host means https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "assignment",
        "learner",
        "version",
        "status",
        "submitted_at",
        "status_changed_at",
        "has_deployment",
    )
    list_filter = ("status", "assignment__kind", "enrollment__cohort", "version")
    list_select_related = ("assignment", "enrollment__learner")
    search_fields = (
        "enrollment__learner__username",
        "enrollment__learner__last_name",
        "assignment__title",
        "url",
        "deployment_url",
    )
    autocomplete_fields = ("enrollment", "assignment")
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    inlines = [DeploymentCheckInline]

    def get_inlines(self, request: HttpRequest, obj: Submission | None):
        return history_inlines(self.inlines, obj)

    @admin.display(description="learner", ordering="enrollment__learner__username")
    def learner(self, submission: Submission) -> str:
        return str(submission.enrollment.learner)

    @admin.display(description="deployment", boolean=True)
    def has_deployment(self, submission: Submission) -> bool:
        return bool(submission.deployment_url)


@admin.register(DeploymentCheck)
class DeploymentCheckAdmin(admin.ModelAdmin):
    list_display = ("submission", "checked_at", "ok", "status_code", "latency_ms", "error")
    list_filter = ("ok",)
    list_select_related = ("submission__assignment",)
    search_fields = (
        "submission__deployment_url",
        "error",
        "submission__enrollment__learner__username",
    )
    autocomplete_fields = ("submission",)
    date_hierarchy = "checked_at"


class AnsweredFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return (("open", "Open"), ("answered", "Answered"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[HelpRequest]):
        if self.value() == "open":
            return queryset.filter(answered_at__isnull=True)
        if self.value() == "answered":
            return queryset.filter(answered_at__isnull=False)
        return queryset


@admin.register(HelpRequest)
class HelpRequestAdmin(admin.ModelAdmin):
    list_display = ("short_message", "learner", "created_at", "is_open", "answered_by")
    list_filter = (AnsweredFilter, "enrollment__cohort")
    list_select_related = ("enrollment__learner", "answered_by")
    search_fields = ("message", "answer", "enrollment__learner__username")
    autocomplete_fields = ("enrollment", "answered_by")
    date_hierarchy = "created_at"

    @admin.display(description="message")
    def short_message(self, help_request: HelpRequest) -> str:
        text = help_request.message
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description="learner", ordering="enrollment__learner__username")
    def learner(self, help_request: HelpRequest) -> str:
        return str(help_request.enrollment.learner)

    @admin.display(description="open", boolean=True)
    def is_open(self, help_request: HelpRequest) -> bool:
        return help_request.is_open


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Read-only: certificates are issued by graduating (``tracker.graduation``) and revoked with
    a reason on the staff enrollment page or ``POST certificates/{id}/revoke/``, so each carries
    its audit fields; the admin only finds them."""

    list_display = ("learner_name", "program_name", "cohort_name", "completed_on", "revoked_at")
    list_filter = ("revoked_at", "completed_on")
    search_fields = ("learner_name", "code", "enrollment__learner__username")
    list_select_related = ("enrollment",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Certificate._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
