"""Two-factor sign-in (issue 14): TOTP with recovery codes, kept in allauth.mfa's
``Authenticator`` rows, and the rules of when it is asked for.

- Anyone who has enrolled TOTP owes a code after their password: until they give it, their
  session counts as signed out (``TwoFactorMiddleware`` in ``middleware.py``) and the password
  alone makes no API token.
- With ``STRIDE_STAFF_REQUIRE_2FA=true`` staff must enrol before any page but the enrolment page
  answers, and staff token creation takes a current TOTP code (``otp``).
- A session is "verified" once its owner gave a code on Stride's pages (``session_mark_verified``)
  or passed allauth's own MFA stage (allauth records ``{"method": "mfa"}`` in the session), so a
  sign-in through allauth (single sign-on) is honoured too.

allauth's own views are not used: enrolment and the code page are Stride's pages
(``tracker/web/views/two_factor.py``), built on allauth's TOTP and recovery-code classes.
A wrong code counts as a failed sign-in for the lockout (django-axes), so codes cannot be guessed
faster than passwords.

A feature room module: imports allauth, the kernel and Django; never the interfaces.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, validate_totp_code
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import user_login_failed
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from curriculum.kernel.access import is_staff

# The session keys: the user whose second factor this session has seen, and the secret offered
# on the enrolment page (kept server-side until a code proves the app has it).
VERIFIED_SESSION_KEY = "stride_2fa_verified_user"
# The user this session found without TOTP (and not required to have it): no query again.
CHECKED_SESSION_KEY = "stride_2fa_checked_user"
SETUP_SECRET_SESSION_KEY = "stride_2fa_setup_secret"
# allauth's record of how the session was authenticated (allauth.account.authentication).
ALLAUTH_RECORDS_SESSION_KEY = "account_authentication_methods"

CODE_MISSING = _("Enter the 6-digit code from your authenticator app.")
CODE_WRONG = _("This code is not right or was already used. Try the next one.")
ENROL_FIRST = _(
    "Staff accounts need two-factor authentication: set it up on the two-factor page first."
)


class TwoFactorError(ValidationError):
    """A missing or wrong code; ``message_dict`` names the field."""


def two_factor_required(user: Any) -> bool:
    """Whether ``user`` must have TOTP (staff, when ``STRIDE_STAFF_REQUIRE_2FA`` is on)."""
    return bool(getattr(settings, "STRIDE_STAFF_REQUIRE_2FA", False)) and is_staff(user)


def totp_of(user: Any) -> Authenticator | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()


def has_totp(user: Any) -> bool:
    return totp_of(user) is not None


def recovery_codes_left(user: Any) -> int:
    instance = Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    return len(RecoveryCodes(instance).get_unused_codes()) if instance else 0


# --- Checking a code ---------------------------------------------------------------------------
def code_is_valid(*, user: Any, code: str, allow_recovery: bool = True) -> bool:
    """A current TOTP code (each accepted once) or, if allowed, an unused recovery code (then
    spent). False when the user has no TOTP."""
    code = (code or "").strip().replace(" ", "")
    totp = totp_of(user)
    if not code or totp is None:
        return False
    if TOTP(totp).validate_code(code):
        return True
    if not allow_recovery:
        return False
    recovery = Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    return bool(recovery and RecoveryCodes(recovery).validate_code(code))


def locked_out(request: HttpRequest, user: Any) -> bool:
    """Whether django-axes holds ``user``'s username locked (wrong passwords or codes): then no
    code is even checked, so a lockout cannot be outwaited by guessing on."""
    return AxesProxyHandler.is_locked(request, credentials={"username": user.get_username()})


def second_factor_check(
    *,
    user: Any,
    code: str | None,
    request: HttpRequest | None = None,
    field: str = "otp",
    allow_recovery: bool = True,
) -> None:
    """Raise ``TwoFactorError`` on ``field`` unless ``code`` is right. A wrong code is reported
    to django-axes as a failed sign-in of ``user``'s username."""
    if not (code or "").strip():
        raise TwoFactorError({field: [CODE_MISSING]})
    if not code_is_valid(user=user, code=code, allow_recovery=allow_recovery):
        if request is not None:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=request,
            )
        raise TwoFactorError({field: [CODE_WRONG]})


def token_creation_check(
    *, user: Any, code: str | None, request: HttpRequest | None, password_only: bool
) -> None:
    """What a new API token demands of ``user``'s second factor.

    ``password_only``: the caller proved only a password (``POST auth/token/``); then anyone
    with TOTP owes a code. Otherwise (``POST auth/tokens/``, already signed in) only staff under
    ``STRIDE_STAFF_REQUIRE_2FA`` do. Staff who must but have not enrolled are refused."""
    required = two_factor_required(user)
    enrolled = has_totp(user)
    if required and not enrolled:
        raise TwoFactorError({"otp": [ENROL_FIRST]})
    if required or (password_only and enrolled):
        second_factor_check(user=user, code=code, request=request, allow_recovery=False)


# --- The session -------------------------------------------------------------------------------
def session_mark_verified(request: HttpRequest, user: Any) -> None:
    request.session[VERIFIED_SESSION_KEY] = user.pk


def session_forget(request: HttpRequest) -> None:
    """A new password sign-in owes the code again, even in a session that once gave it."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(VERIFIED_SESSION_KEY, None)
        session.pop(CHECKED_SESSION_KEY, None)


def session_is_verified(request: HttpRequest, user: Any) -> bool:
    session = getattr(request, "session", None)
    if session is None:
        return False
    if session.get(VERIFIED_SESSION_KEY) == user.pk:
        return True
    records = session.get(ALLAUTH_RECORDS_SESSION_KEY) or []
    return any(isinstance(r, dict) and r.get("method") == "mfa" for r in records)


def session_state(request: HttpRequest, user: Any) -> str:
    """``"ok"``, ``"pending"`` (has TOTP, code not given in this session) or ``"enrol"`` (must
    enrol first). One indexed query unless the session is already verified."""
    if session_is_verified(request, user):
        return "ok"
    required = two_factor_required(user)
    if not required and request.session.get(CHECKED_SESSION_KEY) == user.pk:
        return "ok"
    if has_totp(user):
        return "pending"
    if required:
        return "enrol"
    request.session[CHECKED_SESSION_KEY] = user.pk
    return "ok"


# --- Enrolment ---------------------------------------------------------------------------------
def totp_setup_secret(request: HttpRequest) -> str:
    """The secret offered on the enrolment page, the same until enrolment ends."""
    secret = request.session.get(SETUP_SECRET_SESSION_KEY)
    if not secret:
        secret = request.session[SETUP_SECRET_SESSION_KEY] = generate_totp_secret()
    return secret


def totp_setup_url(user: Any, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return get_adapter().build_totp_url(user, secret)


def totp_setup_svg(url: str) -> str:
    return get_adapter().build_totp_svg(url)


def totp_enrol(*, request: HttpRequest, user: Any, code: str) -> list[str]:
    """Turn TOTP on for ``user`` once ``code`` proves their app holds the offered secret, with a
    fresh set of recovery codes, returned to be shown once. The session counts as verified."""
    secret = request.session.get(SETUP_SECRET_SESSION_KEY)
    if not (code or "").strip():
        raise TwoFactorError({"code": [CODE_MISSING]})
    if not secret or not validate_totp_code(secret, code.strip().replace(" ", "")):
        raise TwoFactorError({"code": [CODE_WRONG]})
    try:
        with transaction.atomic():
            if (
                Authenticator.objects.select_for_update()
                .filter(user_id=user.pk, type=Authenticator.Type.TOTP)
                .exists()
            ):
                raise TwoFactorError({"code": [_("Two-factor authentication is already on.")]})
            TOTP.activate(user, secret)
            Authenticator.objects.filter(
                user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES
            ).delete()
            codes = RecoveryCodes.activate(user).get_unused_codes()
    except IntegrityError:
        raise TwoFactorError({"code": [_("Two-factor authentication is already on.")]}) from None
    request.session.pop(SETUP_SECRET_SESSION_KEY, None)
    session_mark_verified(request, user)
    return codes


def recovery_codes_regenerate(*, user: Any, code: str, request: HttpRequest) -> list[str]:
    """A new set of recovery codes (the old ones stop working), after a current TOTP code."""
    second_factor_check(user=user, code=code, request=request, field="code", allow_recovery=False)
    with transaction.atomic():
        Authenticator.objects.filter(
            user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES
        ).delete()
        return RecoveryCodes.activate(user).get_unused_codes()
