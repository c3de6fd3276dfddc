"""The answer to a locked-out sign-in (``AXES_LOCKOUT_CALLABLE``): a page for people, JSON for
the API, both 429 with ``Retry-After``."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LOCKOUT_STATUS = 429


def lockout_message(minutes: int | None) -> str:
    if minutes is None:
        return _(
            "Too many wrong passwords: this account is locked. Ask a program manager to unlock it."
        )
    return ngettext(
        "Too many wrong passwords: this account is locked for %(count)d minute. "
        "Try again later, or reset your password.",
        "Too many wrong passwords: this account is locked for %(count)d minutes. "
        "Try again later, or reset your password.",
        minutes,
    ) % {"count": minutes}


def wants_json(request: HttpRequest) -> bool:
    path = getattr(request, "path", "") or ""
    accept = request.META.get("HTTP_ACCEPT", "")
    return (
        path.startswith("/api/")
        or request.META.get("HTTP_X_REQUESTED_WITH") == "XMLHttpRequest"
        or ("application/json" in accept and "text/html" not in accept)
    )


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict | None = None
) -> HttpResponse:
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else None
    minutes = max(1, math.ceil(seconds / 60)) if seconds else None
    message = lockout_message(minutes)
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"detail": message, "code": "locked_out", "retry_after_seconds": seconds},
            status=LOCKOUT_STATUS,
        )
    else:
        response = render(
            request,
            "security/lockout.html",
            {
                "message": message,
                "cooloff_minutes": minutes,
                "failure_limit": get_failure_limit(request, credentials),
            },
            status=LOCKOUT_STATUS,
        )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username axes records an attempt under, cut to the column's 255 characters.

    Every sign-in form (ours, the admin's, the API token view) reaches axes before its own field
    validation could refuse an over-long name; without the cut PostgreSQL refuses the insert and the
    attempt becomes a server error instead of a failed sign-in.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "data", request.POST).get(field)
    if value is None:
        return None
    return str(value)[:255]
