"""Named, hashed, expiring API tokens (issue 14) and the DRF authentication that checks them.

A token's value is ``stride_`` and 43 URL-safe characters (256 random bits). The database keeps
only its SHA-256 digest (the lookup key: a digest of a 256-bit secret needs no salt and no slow
hash) and its first characters (``prefix``) so people can tell their tokens apart; the value is
shown once, in the answer that made it. Tokens expire ``STRIDE_TOKEN_TTL_DAYS`` after they are
made; ``last_used_at`` is written at most once a minute per token.

DRF's old plain tokens (``rest_framework.authtoken``, 40 hex characters) were moved into this
table by migration ``tracker 0021_api_tokens`` (digest of the old value, expiring
``STRIDE_TOKEN_TTL_DAYS`` after the migration), so the values clients hold keep working until
then; see docs/OPERATIONS.md "API tokens".

A feature room module: imports ``tracker.models``, the kernel, DRF and the two-factor rules;
never the interfaces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from curriculum.kernel import clock
from curriculum.kernel.access import is_staff
from tracker.models import ApiToken
from tracker.security import two_factor

VALUE_PREFIX = "stride_"
PREFIX_LENGTH = len(VALUE_PREFIX) + 6
# ``last_used_at`` is written at most this often per token: a busy script costs one UPDATE a
# minute, not one per request.
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
# Longer than any value we make or made; anything longer is refused before hashing.
VALUE_MAX_LENGTH = 128


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def token_ttl() -> dt.timedelta:
    return dt.timedelta(days=settings.STRIDE_TOKEN_TTL_DAYS)


# --- Reads -------------------------------------------------------------------------------------
def token_list(*, fetched_by: Any) -> QuerySet[ApiToken]:
    """The caller's own tokens, newest first (expired ones too, until they are revoked)."""
    return ApiToken.objects.filter(user_id=fetched_by.pk).order_by("-created_at", "-id")


def token_for_revocation(*, fetched_by: Any, token_id: int) -> ApiToken:
    """The token ``fetched_by`` may revoke: their own, or anyone's for staff. Others' tokens do
    not exist for them (``ApiToken.DoesNotExist``)."""
    tokens = ApiToken.objects.select_related("user")
    if not is_staff(fetched_by):
        tokens = tokens.filter(user_id=fetched_by.pk)
    return tokens.get(pk=token_id)


# --- Writes ------------------------------------------------------------------------------------
def clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the token a name, like “laptop”.")]})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": [_("At most %(n)d characters.") % {"n": NAME_MAX_LENGTH}]})
    return name


def token_issue(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user`` (no checks: callers decide who may). Returns the row and the
    value, which exists nowhere else afterwards."""
    name = clean_name(name)
    value = VALUE_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        user=user,
        name=name,
        prefix=value[:PREFIX_LENGTH],
        digest=token_digest(value),
        created_at=now,
        expires_at=now + token_ttl(),
    )
    token.full_clean()
    token.save()
    return token, value


def token_create(
    *, actor: Any, name: str, otp: str | None = None, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """``POST auth/tokens/`` and the tokens page: a signed-in person names a new token. Staff
    under ``STRIDE_STAFF_REQUIRE_2FA`` give a current TOTP code (``otp``)."""
    name = clean_name(name)
    two_factor.token_creation_check(user=actor, code=otp, request=request, password_only=False)
    with transaction.atomic():
        return token_issue(user=actor, name=name)


def token_create_from_page(*, actor: Any, name: str) -> tuple[ApiToken, str]:
    """The tokens page: the session itself passed the second factor where one is owed
    (``TwoFactorMiddleware`` lets no other session reach the page)."""
    with transaction.atomic():
        return token_issue(user=actor, name=name)


def token_delete(*, actor: Any, token: ApiToken) -> None:
    """Revoke one token: its owner, or staff (recorded in the admin's history)."""
    if token.user_id != actor.pk and not is_staff(actor):
        raise PermissionDenied(_("Only staff may revoke another person's tokens."))
    with transaction.atomic():
        if token.user_id != actor.pk:
            LogEntry.objects.log_actions(
                user_id=actor.pk,
                queryset=[token.user],
                action_flag=CHANGE,
                change_message=f"Revoked API token “{token.name}” ({token.prefix}…).",
                single_object=True,
            )
        ApiToken.objects.filter(pk=token.pk).delete()


def tokens_delete_all(*, user_id: int) -> int:
    deleted, _rows = ApiToken.objects.filter(user_id=user_id).delete()
    return deleted


# --- Checking a presented value ----------------------------------------------------------------
def token_check(value: str) -> ApiToken:
    """The live token with this value (its ``user`` loaded), or ``AuthenticationFailed``."""
    if not value or len(value) > VALUE_MAX_LENGTH:
        raise exceptions.AuthenticationFailed(_("Invalid token."))
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(value)).first()
    if token is None:
        raise exceptions.AuthenticationFailed(_("Invalid token."))
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
    now = clock.now()
    if token.expires_at <= now:
        raise exceptions.AuthenticationFailed(_("Token has expired."))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <value>``, as before, checked against the hashed tokens."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = token_check(key)
        return token.user, token
