"""Browser headers Django does not set itself, and the two-factor gate (issue 14)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from tracker.security import two_factor


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (``STRIDE_PERMISSIONS_POLICY``) to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "STRIDE_PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


# Reached by anyone, whatever their second factor: no signed-in person is needed or shown.
TWO_FACTOR_OPEN_PREFIXES = ("/healthz", "/metrics", "/calendar/", "/i18n/", "/favicon")


class TwoFactorMiddleware:
    """A signed-in session that owes its second factor counts as signed out everywhere but the
    code page; staff who must enrol (``STRIDE_STAFF_REQUIRE_2FA``) reach only the enrolment
    page. Pages redirect there (with ``next``); the API sees an anonymous caller (401), except
    for requests with an ``Authorization: Token`` header (API tokens, whose creation already
    asked for the code). Placed after the authentication middlewares.

    Costs nothing for anonymous requests and one indexed query per request of a signed-in
    session until it is verified or known to need no code (remembered in the session)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        path = request.path_info
        if (
            session is None
            or SESSION_KEY not in session
            or path.startswith(TWO_FACTOR_OPEN_PREFIXES)
            or path.startswith("/" + settings.STATIC_URL.lstrip("/"))
        ):
            return self.get_response(request)
        is_api = path.startswith("/api/")
        if is_api and request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
            # Token authentication answers for itself (a bad token is a 401, never the session).
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        state = two_factor.session_state(request, user)
        if state == "ok":
            return self.get_response(request)
        if is_api:
            request.user = AnonymousUser()
            return self.get_response(request)
        target = reverse("two_factor_verify" if state == "pending" else "two_factor_setup")
        if path in {target, reverse("logout")}:
            return self.get_response(request)
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
