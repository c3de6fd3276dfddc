"""Token revocation over the API; the lead includes ``urlpatterns`` under ``/api/v1/``.

- ``POST auth/token/revoke/``: the caller's own tokens (sign out every API client).
- ``POST users/<id>/revoke-tokens/``: staff revoke anyone's (a lost laptop, a leaver).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from curriculum.kernel.access import is_staff
from tracker.api.base import ApiView
from tracker.security.services import token_revoke

RevokedSerializer = inline_serializer(
    name="TokensRevoked", fields={"revoked": serializers.IntegerField()}
)


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
        if not is_staff(request.user):
            raise exceptions.PermissionDenied("Only staff may revoke another person's tokens.")
        user = get_object_or_404(get_user_model(), pk=pk)
        return Response({"revoked": token_revoke(actor=request.user, user=user)})


urlpatterns = [
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="auth-token-revoke"),
    path(
        "users/<int:pk>/revoke-tokens/",
        UserTokenRevokeView.as_view(),
        name="user-revoke-tokens",
    ),
]
