"""The caller's notifications and marking them read."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker.api import serializers
from tracker.api.base import RuleViewSet
from tracker.api.filters import NotificationFilter
from tracker.models import Notification
from tracker.notifications.rules import NOTIFICATION_RULE
from tracker.notifications.services import notification_mark_all_read, notification_mark_read


class NotificationViewSet(RuleViewSet):
    rule = NOTIFICATION_RULE
    output_serializer = serializers.NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "read_at"]
    ordering = ["-created_at", "-id"]
    object_checks = {"read": "can_update"}

    def get_queryset(self):
        queryset = Notification.objects.all()
        if self.action == "list":
            # An inbox: everyone's list holds their own notifications, staff included.
            queryset = queryset.filter(recipient_id=self.request.user.pk)
        return queryset

    @extend_schema(request=None, responses=serializers.NotificationSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def read(self, request, pk=None):
        notification = notification_mark_read(actor=request.user, notification=self.get_object())
        return Response(serializers.NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=serializers.MarkedReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[])
    def read_all(self, request):
        return Response({"marked": notification_mark_all_read(actor=request.user)})
