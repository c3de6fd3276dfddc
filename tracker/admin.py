"""Admin for notifications (the reminder outbox) and user preferences, the pace column of the
enrollment list (read through ``tracker.progress``, which lives in this layer), and the user
admin, whose edits of a name announce ``progress_inputs_changed`` (names show in progress)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from curriculum.kernel import clock
from curriculum.kernel.signals import ProgressInputsAdmin
from learners.admin import apply_to_each
from learners.models import Enrollment
from mentors import admin as mentors_admin
from tracker.graduation.services import enrollment_graduate
from tracker.models import Notification, UserPreferences
from tracker.progress import progress_of


class ReadFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "read"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return (("no", "Unread"), ("yes", "Read"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Notification]):
        if self.value() == "no":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(read_at__isnull=False)
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("subject", "recipient", "kind", "created_at", "read_at", "email_state")
    list_filter = ("kind", "email_state", ReadFilter)
    list_select_related = ("recipient",)
    search_fields = ("subject", "body", "dedupe_key", "recipient__username", "recipient__email")
    autocomplete_fields = ("recipient",)
    date_hierarchy = "created_at"
    readonly_fields = ("dedupe_key", "created_at", "emailed_at", "email_attempts")
    actions = ("mark_read", "retry_email")

    @admin.action(description="Mark as read")
    def mark_read(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = queryset.filter(read_at__isnull=True).update(read_at=clock.now())
        self.message_user(request, f"{count} notification(s) marked as read.")

    @admin.action(description="Send the email again with the next delivery")
    def retry_email(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        # Back into the outbox: the next delivery sweep picks pending rows up.
        count = queryset.filter(email_state=Notification.EmailState.FAILED).update(
            email_state=Notification.EmailState.PENDING, email_after=clock.now()
        )
        self.message_user(request, f"{count} failed email(s) queued again.")


@admin.register(UserPreferences)
class UserPreferencesAdmin(admin.ModelAdmin):
    list_display = ("user", "timezone", "email_reminders", "quiet_hours_start", "quiet_hours_end")
    list_filter = ("email_reminders", "timezone")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "user__last_name")
    autocomplete_fields = ("user",)
    # The feed token is a credential: shown so staff can tell it changed, never typed in.
    readonly_fields = ("calendar_token",)


class EnrollmentAdmin(mentors_admin.EnrollmentAdmin):
    """Adds each learner's pace and risk reasons, computed for the page's rows in one go."""

    list_display = (*mentors_admin.EnrollmentAdmin.list_display, "pace", "risk")

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)
        progress = progress_of(fetched_by=request.user, enrollment_ids=[row.pk for row in rows])
        for row in rows:
            row.progress = progress.get(row.pk)
        changelist.result_list = rows
        return changelist

    @admin.action(description="Graduate (checklist met; issues the certificate)")
    def graduate(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        """The graduation service, like the API and the staff page: an enrollment whose
        checklist is not met is refused with its reason (an override needs a written reason,
        given on the enrollment's staff page), and a graduate gets a certificate."""
        apply_to_each(
            self,
            request,
            queryset,
            lambda enrollment: enrollment_graduate(actor=request.user, enrollment=enrollment),
            "graduated",
        )

    @admin.display(description="pace")
    def pace(self, enrollment: Enrollment) -> str:
        progress = getattr(enrollment, "progress", None)
        if progress is None:
            return "—"
        return f"{progress.pace.replace('_', ' ')} ({progress.percent_complete:.0f}%)"

    @admin.display(description="risk")
    def risk(self, enrollment: Enrollment) -> str:
        progress = getattr(enrollment, "progress", None)
        if progress is None or not progress.risk_reasons:
            return "—"
        return ", ".join(reason.replace("_", " ") for reason in progress.risk_reasons)


admin.site.unregister(Enrollment)
admin.site.register(Enrollment, EnrollmentAdmin)


class UserAdmin(ProgressInputsAdmin, auth_admin.UserAdmin):
    """Django's user admin; a person's name shows in progress rows (as learner or mentor)."""

    progress_input = ("user_ids", "pk")


User = get_user_model()
admin.site.unregister(User)
admin.site.register(User, UserAdmin)
