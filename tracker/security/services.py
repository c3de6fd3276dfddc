"""Writes of the security layer: API token revocation."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from rest_framework.authtoken.models import Token

from curriculum.kernel.access import is_staff


def audit_log(*, actor: Any, obj: Any, message: str, action_flag: int = CHANGE) -> LogEntry:
    """One entry in the admin's history (``LogEntry``), attributed to ``actor``."""
    return LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=action_flag,
        change_message=message,
        single_object=True,
    )


def token_revoke(*, actor: Any, user: Any) -> int:
    """Delete ``user``'s API tokens; every client holding one must sign in again. A user may
    revoke their own, staff anyone's. Returns how many tokens were revoked (0 or 1)."""
    if actor.pk != user.pk and not is_staff(actor):
        raise PermissionDenied("Only staff may revoke another person's tokens.")
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        revoked, _ = Token.objects.filter(user_id=locked.pk).delete()
        if actor.pk != user.pk:
            audit_log(
                actor=actor,
                obj=locked,
                message=f"Revoked API tokens ({revoked}) from the security API.",
            )
    return revoked
