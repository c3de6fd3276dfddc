"""The caller: who they are, their preferences, their calendar feed; and token sign-in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from learners.models import Enrollment
from mentors.models import Mentor
from mentors.roles import role_of
from tracker.api import inputs, serializers
from tracker.api.base import ApiView
from tracker.calendar import calendar_path, calendar_token_rotate
from tracker.notifications.services import preferences_for, preferences_update


def calendar_url(preferences) -> str:
    return f"{settings.STRIDE_BASE_URL}{calendar_path(preferences)}"


class TokenView(ApiView):
    """``POST auth/token/`` ``{username, password}`` → ``{token}``."""

    authentication_classes: list = []
    permission_classes: list = []
    requires_login = False

    @extend_schema(
        request=inputs.TokenInput,
        responses={200: serializers.TokenSerializer},
        auth=[],
        description="Exchange a username and password for an API token "
        "(send it as `Authorization: Token <token>`).",
    )
    def post(self, request):
        credentials = self.validated(inputs.TokenInput)
        user = authenticate(
            request=request,
            username=credentials["username"],
            password=credentials["password"],
        )
        if user is None or not user.is_active:
            raise exceptions.ValidationError(
                {"non_field_errors": ["Unable to sign in with these credentials."]}
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(ApiView):
    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request):
        user = request.user
        preferences = preferences_for(user)
        return Response(
            {
                "id": user.pk,
                "username": user.get_username(),
                "name": user.get_full_name() or user.get_username(),
                "email": user.email,
                "role": role_of(user),
                "learner_enrollments": list(
                    Enrollment.objects.filter(learner_id=user.pk)
                    .order_by("id")
                    .values_list("pk", flat=True)
                ),
                "mentor_id": Mentor.objects.filter(user_id=user.pk)
                .values_list("pk", flat=True)
                .first(),
                "calendar_url": calendar_url(preferences),
            }
        )


class PreferencesView(ApiView):
    @extend_schema(responses=serializers.PreferencesSerializer)
    def get(self, request):
        return Response(serializers.PreferencesSerializer(preferences_for(request.user)).data)

    @extend_schema(request=inputs.PreferencesInput, responses=serializers.PreferencesSerializer)
    def patch(self, request):
        fields = self.validated(inputs.PreferencesInput, partial=True)
        preferences = preferences_update(actor=request.user, **fields)
        return Response(serializers.PreferencesSerializer(preferences).data)


class CalendarTokenView(ApiView):
    @extend_schema(
        request=None,
        responses={201: serializers.CalendarTokenSerializer},
        description="Rotate the private calendar feed's token; the old feed URL stops working.",
    )
    def post(self, request):
        preferences = calendar_token_rotate(actor=request.user)
        return Response({"calendar_url": calendar_url(preferences)}, status=status.HTTP_201_CREATED)
