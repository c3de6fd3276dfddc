"""The caller: who they are, their preferences, their calendar feed.

Token sign-in and revocation (``auth/token/``) are in ``tracker.api.views.auth``."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from tracker.api import inputs, serializers
from tracker.api.base import ApiView
from tracker.calendar import calendar_path
from tracker.dashboards import me_summary
from tracker.notifications import calendar_token_rotate, preferences_for, preferences_update


def calendar_url(preferences) -> str:
    return f"{settings.STRIDE_BASE_URL}{calendar_path(preferences)}"


class MeView(ApiView):
    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request):
        me = me_summary(fetched_by=request.user)
        path = me.pop("calendar_path")
        me["calendar_url"] = settings.STRIDE_BASE_URL + path if path else None
        return Response(me)


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
        description=(
            "Create the private calendar feed, or replace its token: the old feed URL stops "
            "working."
        ),
    )
    def post(self, request):
        preferences = calendar_token_rotate(actor=request.user)
        return Response({"calendar_url": calendar_url(preferences)}, status=status.HTTP_201_CREATED)
