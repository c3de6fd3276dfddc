"""The API's one permission class and one filter backend; both delegate to the rule objects.

A view names its model's rule (``rule = ENROLLMENT_RULE``). The filter backend narrows every
queryset to ``rule.readable_by(user)``, so a row outside the caller's scope is never found and
answers 404. The permission class refuses anonymous callers (401: TokenAuthentication comes
first, so the answer carries ``WWW-Authenticate``) and asks the rule whether the caller may
change the object it found (403 when not). Creates are decided by the service the view calls,
which raises ``PermissionDenied`` (403) for a role that may not make the write.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.filters import BaseFilterBackend
from rest_framework.permissions import BasePermission

from curriculum.kernel.access import IsStaff, scope

# Which rule method guards which standard viewset action once the object is found.
_OBJECT_CHECKS = {
    "update": "can_update",
    "partial_update": "can_update",
    "destroy": "can_delete",
}


class RulePermission(BasePermission):
    """Authenticated callers only; object writes as the view's rule allows.

    Actions listed in the view's ``staff_only_actions`` are refused (403) to everyone else up
    front. A view may map extra actions in ``object_checks``: the value is a rule method name
    (``"can_update"``) or an access ``Part`` (e.g. ``IsStaff()``) checked against the object.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if getattr(view, "action", None) in getattr(view, "staff_only_actions", ()):
            # Writes only staff make (new programs, cohorts, pairings...): refused before the
            # body is even read, whatever it names.
            return IsStaff().check(request.user, None)
        return True

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        action = getattr(view, "action", None)
        check = getattr(view, "object_checks", {}).get(action) or _OBJECT_CHECKS.get(action)
        if check is None:
            # A read: the filter backend already limited the queryset to what the caller sees.
            return True
        if isinstance(check, str):
            return bool(getattr(view.rule, check)(request.user, obj))
        return bool(check.check(request.user, obj))


class RuleFilterBackend(BaseFilterBackend):
    """Narrows a view's queryset to the rows its rule lets the caller read."""

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        rule = getattr(view, "rule", None)
        if rule is None:
            return queryset
        return scope(queryset, rule, request.user)
