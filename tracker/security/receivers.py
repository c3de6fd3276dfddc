"""Makes a lockout detected inside a DRF view visible to ``AxesMiddleware``.

A DRF view that calls ``authenticate(request=request)`` hands axes DRF's ``Request`` wrapper, so
axes flags the wrapper, not the ``HttpRequest`` the middleware later inspects: the lockout would
still hold but answer a vague 400. Copying the flag down gives every API sign-in the same clear
429 as the login page. Also: each sign-in owes its own second factor (issue 14).
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from tracker.security import two_factor


@receiver(user_locked_out, dispatch_uid="stride_axes_flag_wrapped_request")
def flag_wrapped_request(sender: Any, request: Any = None, **kwargs: Any) -> None:
    inner = getattr(request, "_request", None)
    if inner is None or inner is request:
        return
    inner.axes_locked_out = True
    inner.axes_credentials = getattr(request, "axes_credentials", None)


@receiver(user_logged_in, dispatch_uid="stride_two_factor_new_sign_in")
def second_factor_owed_again(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """Each sign-in owes its own second factor: what an earlier sign-in in the same browser
    session proved does not carry over (tracker/security/two_factor.py)."""
    if request is not None:
        two_factor.session_forget(getattr(request, "_request", request))
