"""Token sign-in that the lockout sees whole (route it at ``POST /api/v1/auth/token/``).

Axes needs Django's ``HttpRequest`` (DRF's wrapper hides the flags it sets from its
middleware), and counts a success only when ``user_logged_in`` is sent; a plain DRF token view
does neither, so a lockout would answer a vague 400 and a good password would not clear the count.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from tracker.api import inputs, serializers
from tracker.api.base import ApiView
from tracker.security.lockout import lockout_response
from tracker.security.throttles import LoginRateThrottle


class ObtainTokenView(ApiView):
    """``POST auth/token/`` ``{username, password}`` → ``{token}``."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        request=inputs.TokenInput,
        responses={
            200: serializers.TokenSerializer,
            400: OpenApiResponse(description="Wrong username or password."),
            429: OpenApiResponse(
                description="Locked out after repeated wrong passwords, or throttled."
            ),
        },
        auth=[],
        description="Exchange a username and password for an API token (send it as "
        "`Authorization: Token <token>`). Repeated wrong passwords lock the account for a "
        "while (429 with `Retry-After`).",
    )
    def post(self, request):
        credentials = self.validated(inputs.TokenInput)
        http_request = request._request
        user = authenticate(
            request=http_request,
            username=credentials["username"],
            password=credentials["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            return lockout_response(http_request, credentials={"username": credentials["username"]})
        if user is None or not user.is_active:
            raise exceptions.ValidationError(
                {"non_field_errors": ["Unable to sign in with these credentials."]}
            )
        # Clears the failure count (AXES_RESET_ON_SUCCESS) and records last_login.
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
