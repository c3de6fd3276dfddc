"""Token sign-in and revocation: ``auth/token/``, ``auth/token/revoke/``,
``users/<id>/revoke-tokens/``, and the caller's named tokens ``auth/tokens/`` (issue 14). Each
view is one call into ``tracker.security.services`` or ``tracker.security.tokens``.

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
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, status
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from tracker.api import inputs, serializers
from tracker.api.base import ApiView, ApiViewMixin
from tracker.models import ApiToken
from tracker.security.lockout import lockout_response
from tracker.security.services import AccountLocked, token_obtain, token_revoke, token_revoke_of
from tracker.security.throttles import LoginRateThrottle
from tracker.security.tokens import token_create, token_delete, token_for_revocation, token_list

RevokedSerializer = inline_serializer(
    name="TokensRevoked", fields={"revoked": drf_serializers.IntegerField()}
)


def created_token(token: ApiToken, value: str) -> dict:
    return {**serializers.ApiTokenSerializer(token).data, "token": value}


class ObtainTokenView(ApiView):
    """``POST auth/token/`` ``{username, password[, name, otp]}`` → ``{token, expires_at, …}``."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        request=inputs.TokenInput,
        responses={
            200: serializers.ApiTokenCreatedSerializer,
            400: OpenApiResponse(
                description="Wrong username or password, or a missing or wrong `otp`."
            ),
            429: OpenApiResponse(
                description="Locked out after repeated wrong passwords, or throttled."
            ),
        },
        auth=[],
        description="Exchange a username and password for a new named API token (send it as "
        "`Authorization: Token <token>`); it expires at `expires_at`. Who has two-factor on, "
        "and staff when STRIDE_STAFF_REQUIRE_2FA is true, also send a current TOTP code as "
        "`otp`. Repeated wrong passwords or codes lock the account for a while (429 with "
        "`Retry-After`).",
    )
    def post(self, request):
        credentials = self.validated(inputs.TokenInput)
        try:
            token, value = token_obtain(request=request._request, **credentials)
        except AccountLocked:
            return lockout_response(
                request._request, credentials={"username": credentials["username"]}
            )
        return Response(created_token(token, value))


class TokenRevokeView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: RevokedSerializer},
        description="Revoke all the caller's API tokens; every client using one must sign in "
        "again (one token: `DELETE auth/tokens/{id}/`).",
    )
    def post(self, request):
        return Response({"revoked": token_revoke(actor=request.user, user=request.user)})


class UserTokenRevokeView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: RevokedSerializer},
        description="Staff only: revoke all of one person's API tokens.",
    )
    def post(self, request, pk: int):
        try:
            return Response({"revoked": token_revoke_of(actor=request.user, user_id=pk)})
        except get_user_model().DoesNotExist:
            raise Http404(_("No such user.")) from None


class ApiTokensView(ApiViewMixin, generics.GenericAPIView):
    """``GET|POST auth/tokens/``: the caller's named tokens."""

    permission_classes = [IsAuthenticated]
    serializer_class = serializers.ApiTokenSerializer

    def get_queryset(self):
        return token_list(fetched_by=self.request.user)

    @extend_schema(
        responses={200: serializers.ApiTokenSerializer(many=True)},
        description="The caller's API tokens, newest first (values are never shown again).",
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=inputs.ApiTokenInput,
        responses={
            201: serializers.ApiTokenCreatedSerializer,
            400: OpenApiResponse(description="No name, or a missing or wrong `otp`."),
        },
        description="Make a named token for the caller; its value (`token`) is in this answer "
        "only. Staff send a current TOTP code as `otp` when STRIDE_STAFF_REQUIRE_2FA is true.",
    )
    def post(self, request):
        data = self.validated(inputs.ApiTokenInput)
        token, value = token_create(actor=request.user, request=request._request, **data)
        return Response(created_token(token, value), status=status.HTTP_201_CREATED)


class ApiTokenDetailView(ApiView):
    """``DELETE auth/tokens/{id}/``: revoke one token (its owner; staff anyone's)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={204: None, 404: OpenApiResponse(description="Not the caller's token.")},
        description="Revoke one token at once. Its owner may; staff may revoke anyone's "
        "(recorded in the admin's history). Others' tokens answer 404.",
    )
    def delete(self, request, pk: int):
        try:
            token = token_for_revocation(fetched_by=request.user, token_id=pk)
        except ApiToken.DoesNotExist:
            raise Http404(_("No such token.")) from None
        token_delete(actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
