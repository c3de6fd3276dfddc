"""Outbound webhooks (staff only): endpoints, their delivery log, and "send again".

Everyone else is refused: 401 without credentials, 403 for any other role. The secret is
answered once, in the 201 of the registration, and never shown again.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from curriculum.kernel.access import IsStaff
from tracker.api.base import ApiViewMixin
from tracker.api.fields import (
    FlatListField,
    HttpUrlField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
)
from tracker.api.permissions import RulePermission
from tracker.models import WebhookEndpoint
from tracker.webhooks import selectors, services
from tracker.webhooks.events import EVENT_TYPES


class StaffOnly(RulePermission):
    """Signed in (401) and staff (403), for every action."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return IsStaff().check(request.user, None)

    def has_object_permission(self, request, view, obj) -> bool:
        return True


class WebhookEndpointSerializer(serializers.ModelSerializer):
    pending_count = serializers.IntegerField(read_only=True, default=0)
    failed_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "active",
            "format",
            "description",
            "created_at",
            "pending_count",
            "failed_count",
        ]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The registration's answer: the only one that shows the secret."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointInput(serializers.Serializer):
    url = HttpUrlField()
    events = FlatListField(child=StrictChoiceField(choices=sorted(EVENT_TYPES)), allow_empty=False)
    secret = StrictCharField(max_length=128, required=False, allow_blank=True)
    active = StrictBooleanField(required=False, default=True)
    format = StrictChoiceField(choices=WebhookEndpoint.Format.choices, required=False)
    description = StrictCharField(max_length=200, required=False, allow_blank=True)


class WebhookEndpointUpdateInput(WebhookEndpointInput):
    active = StrictBooleanField(required=False)


class WebhookDeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField(source="message.event.event_id")
    event_type = serializers.CharField(source="message.event.type")
    attempt = serializers.IntegerField()
    status_code = serializers.IntegerField(allow_null=True)
    ok = serializers.BooleanField()
    latency_ms = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    error = serializers.CharField()
    response_excerpt = serializers.CharField()
    message_state = serializers.CharField(source="message.state")


class RedeliverySerializer(serializers.Serializer):
    event_id = serializers.CharField(source="event.event_id")
    state = serializers.CharField()
    next_attempt_at = serializers.DateTimeField()


class WebhookViewSet(ApiViewMixin, GenericViewSet):
    permission_classes = [StaffOnly]
    # For the schema generator, which has no staff user to ask the selector with.
    queryset = WebhookEndpoint.objects.none()
    serializer_class = WebhookEndpointSerializer
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.webhook_endpoints(fetched_by=self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(WebhookEndpointSerializer(self.get_object()).data)

    @extend_schema(request=WebhookEndpointInput, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request):
        fields = self.validated(WebhookEndpointInput)
        endpoint = services.webhook_endpoint_create(actor=request.user, **fields)
        return Response(
            WebhookEndpointCreatedSerializer(self.get_queryset().get(pk=endpoint.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=WebhookEndpointUpdateInput, responses=WebhookEndpointSerializer)
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        fields = self.validated(WebhookEndpointUpdateInput, partial=True)
        services.webhook_endpoint_update(actor=request.user, endpoint=endpoint, **fields)
        return Response(WebhookEndpointSerializer(self.get_queryset().get(pk=endpoint.pk)).data)

    def destroy(self, request, pk=None):
        services.webhook_endpoint_delete(actor=request.user, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        log = selectors.webhook_deliveries(fetched_by=request.user, endpoint_id=endpoint.pk)
        page = self.paginate_queryset(log)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: RedeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/redeliver",
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        endpoint = self.get_object()
        delivery = get_object_or_404(
            selectors.webhook_deliveries(fetched_by=request.user, endpoint_id=endpoint.pk),
            pk=delivery_id,
        )
        message = services.webhook_redeliver(actor=request.user, delivery=delivery)
        return Response(RedeliverySerializer(message).data, status=status.HTTP_202_ACCEPTED)
