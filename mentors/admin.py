"""Admin for mentors (with their load), pairings, sessions and reviews.

Pairings are made with ``pairing_assign`` (capacity is never exceeded, the old pairing is
ended and kept) and ended with ``pairing_end``. This module also puts the pairing history on
the enrollment page and the reviews on the submission page: those models live one layer down,
which cannot import this one, so their admins are extended here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from curriculum.kernel.forms import ServiceForm, ServiceFormAdmin
from curriculum.kernel.signals import ProgressInputsAdmin
from learners import admin as learners_admin
from learners.models import Enrollment, Submission
from mentors.booking import overlap_error
from mentors.models import (
    Availability,
    AvailabilityException,
    Mentor,
    MentorSession,
    Pairing,
    PayoutEntry,
    PayoutMonth,
    Review,
    SessionRating,
)
from mentors.services import mentor_create, pairing_assign, pairing_end


class ActivePairingFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin):
        return (("active", "Active"), ("ended", "Ended"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Pairing]):
        if self.value() == "active":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "ended":
            return queryset.filter(ended_at__isnull=False)
        return queryset


class ActivePairingInline(learners_admin.ReadOnlyInline):
    """The learners a mentor has now."""

    model = Pairing
    fk_name = "mentor"
    fields = ("enrollment", "started_at")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "current learners"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pairing]:
        return (
            super()
            .get_queryset(request)
            .filter(ended_at__isnull=True)
            .select_related("enrollment__learner", "enrollment__cohort")
        )


class MentorForm(ServiceForm):
    class Meta:
        model = Mentor
        fields = ("user", "capacity", "expertise", "timezone", "bio", "is_active")

    def service_save(self, cleaned_data: dict[str, Any]) -> Mentor:
        mentor = mentor_create(
            actor=self.actor,
            user=cleaned_data["user"],
            capacity=cleaned_data["capacity"],
            expertise=cleaned_data.get("expertise") or (),
            timezone=cleaned_data["timezone"],
            bio=cleaned_data.get("bio", ""),
        )
        if not cleaned_data.get("is_active", True):
            mentor.is_active = False
            mentor.save(update_fields=["is_active"])
        return mentor

    def clean_capacity(self) -> int:
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk is not None:
            paired = self.instance.pairings.filter(ended_at__isnull=True).count()
            if capacity < paired:
                raise ValidationError(
                    f"{paired} learners are paired with this mentor; capacity cannot go below that."
                )
        return capacity


@admin.register(Mentor)
class MentorAdmin(ProgressInputsAdmin, ServiceFormAdmin):
    progress_input = ("mentor_ids", "pk")
    form = MentorForm
    list_display = (
        "name",
        "user",
        "active_learners",
        "capacity",
        "free_seats",
        "timezone",
        "expertise_tags",
        "is_active",
    )
    list_filter = ("is_active", "timezone")
    list_select_related = ("user",)
    search_fields = (
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "expertise",
    )
    autocomplete_fields = ("user",)
    inlines = [ActivePairingInline]

    def get_inlines(self, request: HttpRequest, obj: Mentor | None):
        return learners_admin.history_inlines(self.inlines, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Mentor]:
        return (
            super()
            .get_queryset(request)
            .annotate(active_total=Count("pairings", filter=Q(pairings__ended_at__isnull=True)))
        )

    @admin.display(description="name", ordering="user__last_name")
    def name(self, mentor: Mentor) -> str:
        return str(mentor)

    @admin.display(description="learners", ordering="active_total")
    def active_learners(self, mentor: Mentor) -> int:
        return mentor.active_total

    @admin.display(description="free seats")
    def free_seats(self, mentor: Mentor) -> int:
        return max(0, mentor.capacity - mentor.active_total)

    @admin.display(description="expertise")
    def expertise_tags(self, mentor: Mentor) -> str:
        return ", ".join(mentor.expertise or [])


class PairingForm(ServiceForm):
    class Meta:
        model = Pairing
        fields = ("enrollment", "mentor")

    def service_save(self, cleaned_data: dict[str, Any]) -> Pairing:
        return pairing_assign(
            actor=self.actor, enrollment=cleaned_data["enrollment"], mentor=cleaned_data["mentor"]
        )


@admin.register(Pairing)
class PairingAdmin(ProgressInputsAdmin, SimpleHistoryAdmin, ServiceFormAdmin):
    form = PairingForm
    list_display = ("enrollment", "mentor", "started_at", "ended_at", "is_active", "end_reason")
    list_filter = (ActivePairingFilter, "enrollment__cohort")
    list_select_related = ("enrollment__learner", "enrollment__cohort", "mentor__user")
    search_fields = (
        "enrollment__learner__username",
        "enrollment__learner__last_name",
        "mentor__user__username",
        "mentor__user__last_name",
    )
    autocomplete_fields = ("enrollment", "mentor")
    date_hierarchy = "started_at"
    actions = ("end_pairings",)

    def get_fields(self, request: HttpRequest, obj: Pairing | None = None):
        if obj is None:
            return ("enrollment", "mentor")
        return ("enrollment", "mentor", "started_at", "ended_at", "end_reason", "created_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Pairing | None = None):
        if obj is None:
            return ()
        # A pairing is history: re-pair by adding a new one, end it with the action.
        return ("enrollment", "mentor", "started_at", "ended_at", "end_reason", "created_by")

    @admin.display(description="active", boolean=True)
    def is_active(self, pairing: Pairing) -> bool:
        return pairing.is_active

    @admin.action(description="End the selected pairings")
    def end_pairings(self, request: HttpRequest, queryset: QuerySet[Pairing]) -> None:
        learners_admin.apply_to_each(
            self,
            request,
            queryset,
            lambda pairing: pairing_end(
                actor=request.user, pairing=pairing, reason="Ended from the admin"
            ),
            "pairing(s) ended",
        )


class MentorSessionAdminForm(forms.ModelForm):
    """The admin too never double-books a mentor (the services check the same under a lock)."""

    class Meta:
        model = MentorSession
        fields = (
            "enrollment",
            "pairing",
            "scheduled_at",
            "duration_minutes",
            "status",
            "notes",
            "meeting_url",
            "cancelled_late",
            "cancel_reason",
            "sequence",
        )

    def clean(self):
        cleaned = super().clean()
        pairing, start = cleaned.get("pairing"), cleaned.get("scheduled_at")
        minutes, status = cleaned.get("duration_minutes"), cleaned.get("status")
        if pairing and start and minutes and status != MentorSession.Status.CANCELLED:
            taken = overlap_error(
                pairing.mentor_id, start, minutes, exclude_session_id=self.instance.pk
            )
            if taken:
                self.add_error("scheduled_at", taken)
        return cleaned


@admin.register(MentorSession)
class MentorSessionAdmin(ProgressInputsAdmin, admin.ModelAdmin):
    form = MentorSessionAdminForm
    list_display = ("scheduled_at", "learner", "mentor", "status", "duration_minutes")
    list_filter = ("status", "enrollment__cohort")
    list_select_related = ("enrollment__learner", "pairing__mentor__user")
    search_fields = (
        "enrollment__learner__username",
        "enrollment__learner__last_name",
        "pairing__mentor__user__username",
        "notes",
    )
    autocomplete_fields = ("enrollment", "pairing")
    date_hierarchy = "scheduled_at"
    show_full_result_count = False
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="learner", ordering="enrollment__learner__username")
    def learner(self, session: MentorSession) -> str:
        return str(session.enrollment.learner)

    @admin.display(description="mentor", ordering="pairing__mentor__user__username")
    def mentor(self, session: MentorSession) -> str:
        return str(session.pairing.mentor)


@admin.register(Review)
class ReviewAdmin(ProgressInputsAdmin, SimpleHistoryAdmin):
    progress_input = ("enrollment_ids", "submission__enrollment_id")
    list_display = ("submission", "learner", "reviewer", "verdict", "created_at")
    list_filter = ("verdict", "submission__assignment__kind", "submission__enrollment__cohort")
    list_select_related = ("submission__assignment", "submission__enrollment__learner", "reviewer")
    search_fields = (
        "feedback",
        "reviewer__username",
        "submission__assignment__title",
        "submission__enrollment__learner__username",
    )
    autocomplete_fields = ("submission", "reviewer")
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="learner", ordering="submission__enrollment__learner__username")
    def learner(self, review: Review) -> str:
        return str(review.submission.enrollment.learner)


# --- The learners' pages, with what this layer knows about them -------------------------------


class PairingHistoryInline(learners_admin.ReadOnlyInline):
    model = Pairing
    fk_name = "enrollment"
    fields = ("mentor", "started_at", "ended_at", "end_reason", "created_by")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "pairings (mentor history)"


class ReviewInline(admin.StackedInline):
    """Reviews are written by mentors on their pages (``review_create``); here they are read."""

    model = Review
    fields = ("reviewer", "verdict", "feedback", "scores", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EnrollmentAdmin(learners_admin.EnrollmentAdmin):
    inlines = [*learners_admin.EnrollmentAdmin.inlines, PairingHistoryInline]
    list_display = (*learners_admin.EnrollmentAdmin.list_display, "mentor")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enrollment]:
        active = Pairing.objects.filter(enrollment=OuterRef("pk"), ended_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .annotate(
                mentor_username=Subquery(active.values("mentor__user__username")[:1]),
            )
        )

    @admin.display(description="mentor", ordering="mentor_username")
    def mentor(self, enrollment: Enrollment) -> str:
        return enrollment.mentor_username or "—"


class SubmissionAdmin(learners_admin.SubmissionAdmin):
    inlines = [*learners_admin.SubmissionAdmin.inlines, ReviewInline]
    list_display = (*learners_admin.SubmissionAdmin.list_display, "verdict")
    list_select_related = (*learners_admin.SubmissionAdmin.list_select_related, "review")

    @admin.display(description="review", ordering="review__verdict")
    def verdict(self, submission: Submission) -> str:
        review = getattr(submission, "review", None)
        return review.get_verdict_display() if review else "—"


admin.site.unregister(Enrollment)
admin.site.register(Enrollment, EnrollmentAdmin)
admin.site.unregister(Submission)
admin.site.register(Submission, SubmissionAdmin)


# --- Mentor operations ------------------------------------------------------------------------


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ("mentor", "weekday", "start_time", "duration_minutes")
    list_filter = ("weekday",)
    search_fields = ("mentor__user__username", "mentor__user__last_name")
    list_select_related = ("mentor__user",)


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(admin.ModelAdmin):
    list_display = ("mentor", "date", "kind", "start_time", "duration_minutes")
    list_filter = ("kind",)
    search_fields = ("mentor__user__username", "mentor__user__last_name")
    list_select_related = ("mentor__user",)
    date_hierarchy = "date"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (ratings by learners, the payout ledger): staff read."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SessionRating)
class SessionRatingAdmin(ReadOnlyAdmin):
    list_display = ("session", "score", "created_at")
    list_filter = ("score",)
    search_fields = ("session__enrollment__learner__username", "comment")
    list_select_related = ("session",)


@admin.register(PayoutMonth)
class PayoutMonthAdmin(ReadOnlyAdmin):
    list_display = ("month", "closed_at", "closed_by")
    list_filter = (("closed_at", admin.EmptyFieldListFilter),)
    search_fields = ("month",)


@admin.register(PayoutEntry)
class PayoutEntryAdmin(ReadOnlyAdmin):
    list_display = ("mentor", "month", "sessions", "minutes", "reviews", "note", "created_at")
    list_filter = ("month",)
    search_fields = ("mentor__user__username", "note")
    list_select_related = ("mentor__user", "month")
