"""The caller: who they are, their preferences, their calendar feed.

Token sign-in and revocation (``auth/token/``) are in ``tracker.api.views.auth``."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from curriculum.kernel.names import display_name
from learners.models import Enrollment
from mentors.models import Mentor
from mentors.roles import role_of
from tracker.api import inputs, serializers
from tracker.api.base import ApiView
from tracker.calendar import calendar_path, calendar_token_rotate
from tracker.notifications import preferences_ensure, preferences_for, preferences_update


def calendar_url(preferences) -> str:
    return f"{settings.STRIDE_BASE_URL}{calendar_path(preferences)}"


class MeView(ApiView):
    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request):
        user = request.user
        preferences = preferences_ensure(user=user)
        return Response(
            {
                "id": user.pk,
                "username": user.get_username(),
                "name": display_name(user),
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
