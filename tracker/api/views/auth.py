"""Token sign-in and revocation: ``auth/token/``, ``auth/token/revoke/``,
``users/<id>/revoke-tokens/``. Each view is one call into ``tracker.security.services``.

The sign-in answers through the security room's lockout (``lockout_response``, the same 429
page/JSON as the login page) and its ``login`` throttle, and hands the service Django's
``HttpRequest``: django-axes flags a lockout on it and counts a success only when
``user_logged_in`` is sent, which a plain DRF token view would not do.

Part of the API interface: imports ``tracker.security`` (services, lockout, throttle) and the
API's own helpers, never ``tracker.web``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from tracker.api import inputs, serializers
from tracker.api.base import ApiView
from tracker.security.lockout import lockout_response
from tracker.security.services import AccountLocked, token_obtain, token_revoke, token_revoke_of
from tracker.security.throttles import LoginRateThrottle

RevokedSerializer = inline_serializer(
    name="TokensRevoked", fields={"revoked": drf_serializers.IntegerField()}
)


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
        try:
            token = token_obtain(request=request._request, **credentials)
        except AccountLocked:
            return lockout_response(
                request._request, credentials={"username": credentials["username"]}
            )
        return Response({"token": token.key})


class TokenRevokeView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: RevokedSerializer},
        description="Revoke the caller's API tokens; every client using one must sign in again.",
    )
    def post(self, request):
        return Response({"revoked": token_revoke(actor=request.user, user=request.user)})


class UserTokenRevokeView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: RevokedSerializer},
        description="Staff only: revoke one person's API tokens.",
    )
    def post(self, request, pk: int):
        try:
            return Response({"revoked": token_revoke_of(actor=request.user, user_id=pk)})
        except get_user_model().DoesNotExist:
            raise Http404("No such user.") from None
