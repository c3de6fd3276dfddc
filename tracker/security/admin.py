"""The audit trail in the admin: every historical row, read-only, for staff.

The audited models' own admins can also show a per-row history with simple-history's
``SimpleHistoryAdmin`` (see docs/SECURITY.md); this view lists all changes across rows.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join

from curriculum.kernel.access import is_staff
from tracker.models import ApiToken
from tracker.security.audit import AUDITED_MODELS, changes


class AuditTrailAdmin(admin.ModelAdmin):
    list_display = ("history_date", "history_type", "history_user", "record", "changed")
    list_filter = ("history_type", "history_date")
    date_hierarchy = "history_date"
    list_select_related = ("history_user",)
    ordering = ("-history_date", "-history_id")

    @admin.display(description="row")
    def record(self, obj):
        return f"#{obj.id} {obj.instance}"

    @admin.display(description="before → after")
    def changed(self, obj):
        delta = changes(obj)
        if not delta:
            return "created" if obj.history_type == "+" else ""
        return format_html_join(
            "; ", "{}: {} → {}", ((c["field"], c["old"], c["new"]) for c in delta)
        )

    def has_module_permission(self, request) -> bool:
        return is_staff(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_staff(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


for _model in AUDITED_MODELS:
    admin.site.register(_model.history.model, AuditTrailAdmin)


class ApiTokenAdmin(admin.ModelAdmin):
    """Staff see everyone's API tokens (never a value: only a digest is stored) and revoke any
    by deleting it; tokens are made by their owners (the tokens page, ``auth/tokens/``)."""

    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at")
    list_filter = ("expires_at",)
    search_fields = ("name", "prefix", "user__username", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at")
    exclude = ("digest",)
    ordering = ("-created_at",)

    def has_module_permission(self, request) -> bool:
        return is_staff(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_staff(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_staff(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(ApiToken, ApiTokenAdmin)
