"""Reads for staff: the endpoints, and each endpoint's delivery log (newest first)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet

from curriculum.kernel.access import IsStaff
from tracker.models import WebhookDelivery, WebhookEndpoint, WebhookMessage

LOG_LENGTH = 50


def _require_staff(user: Any) -> None:
    if not IsStaff().check(user, None):
        raise PermissionDenied("Only staff see webhooks.")


def webhook_endpoints(*, fetched_by: Any) -> QuerySet[WebhookEndpoint]:
    """Every endpoint, with its outbox counts (``pending_count``, ``failed_count``)."""
    _require_staff(fetched_by)
    return WebhookEndpoint.objects.annotate(
        pending_count=Count("messages", filter=Q(messages__state=WebhookMessage.State.PENDING)),
        failed_count=Count("messages", filter=Q(messages__state=WebhookMessage.State.FAILED)),
    ).order_by("id")


def webhook_deliveries(*, fetched_by: Any, endpoint_id: int) -> QuerySet[WebhookDelivery]:
    """The endpoint's attempts, newest first, with their event."""
    _require_staff(fetched_by)
    return (
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
        .select_related("message__event")
        .order_by("-created_at", "-id")
    )


def webhooks_page(*, fetched_by: Any) -> list[dict[str, Any]]:
    """The staff page: each endpoint with its latest attempts."""
    endpoints = list(webhook_endpoints(fetched_by=fetched_by))
    return [
        {
            "endpoint": endpoint,
            "deliveries": list(
                webhook_deliveries(fetched_by=fetched_by, endpoint_id=endpoint.pk)[:LOG_LENGTH]
            ),
        }
        for endpoint in endpoints
    ]
