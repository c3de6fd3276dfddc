"""Writes of the security room: token sign-in, API token revocation, the admin's log.

Services only: the HTTP views that call them live in the interfaces (``tracker/api/views/auth.py``
for the token endpoints). May import the lower apps, the kernel and ``tracker.models``; never
``tracker.api`` or ``tracker.web``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import authenticate, get_user_model, user_logged_in
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from curriculum.kernel.access import is_staff
from tracker.models import ApiToken
from tracker.security import two_factor
from tracker.security.tokens import token_issue, tokens_delete_all

SIGN_IN_REFUSED = gettext_lazy("Unable to sign in with these credentials.")


class AccountLocked(Exception):
    """Too many wrong passwords for this username: the lockout (``lockout.py``) answers."""


def audit_log(*, actor: Any, obj: Any, message: str, action_flag: int = CHANGE) -> LogEntry:
    """One entry in the admin's history (``LogEntry``), attributed to ``actor``."""
    return LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=action_flag,
        change_message=message,
        single_object=True,
    )


DEFAULT_TOKEN_NAME = "API sign-in"


def token_obtain(
    *,
    request: HttpRequest,
    username: str,
    password: str,
    name: str = "",
    otp: str | None = None,
) -> tuple[ApiToken, str]:
    """A new named API token (and its value, shown once) for the user these credentials sign
    in. Who has two-factor on, and staff under ``STRIDE_STAFF_REQUIRE_2FA``, also give a
    current TOTP code (``otp``; a wrong one counts as a failed sign-in).

    ``request`` must be Django's ``HttpRequest`` (not DRF's wrapper): django-axes flags a
    lockout on it and counts a success only when ``user_logged_in`` is sent, so the token
    endpoint shares one failure count with the login page and the admin. Raises
    ``AccountLocked`` during a lockout and ``ValidationError`` for wrong credentials or an
    inactive account, ``TwoFactorError`` (a ``ValidationError`` on ``otp``) for a missing or
    wrong code.
    """
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise AccountLocked(username)
    if user is None or not user.is_active:
        raise ValidationError(SIGN_IN_REFUSED)
    two_factor.token_creation_check(user=user, code=otp, request=request, password_only=True)
    # Clears the failure count (AXES_RESET_ON_SUCCESS) and records last_login.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    with transaction.atomic():
        return token_issue(user=user, name=name or DEFAULT_TOKEN_NAME)


def token_revoke(*, actor: Any, user: Any) -> int:
    """Delete ``user``'s API tokens; every client holding one must sign in again. A user may
    revoke their own, staff anyone's. Returns how many tokens were revoked."""
    if actor.pk != user.pk and not is_staff(actor):
        raise PermissionDenied(_("Only staff may revoke another person's tokens."))
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        revoked = tokens_delete_all(user_id=locked.pk)
        if actor.pk != user.pk:
            audit_log(
                actor=actor,
                obj=locked,
                message=f"Revoked API tokens ({revoked}) from the security API.",
            )
    return revoked


def token_revoke_of(*, actor: Any, user_id: int) -> int:
    """``token_revoke`` for the user with this id: refused (``PermissionDenied``) to non-staff
    before the id is even looked up, so the answer says nothing about who exists; an unknown
    id raises ``User.DoesNotExist``."""
    if not is_staff(actor):
        raise PermissionDenied(_("Only staff may revoke another person's tokens."))
    return token_revoke(actor=actor, user=get_user_model().objects.get(pk=user_id))
