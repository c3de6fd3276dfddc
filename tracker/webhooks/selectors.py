"""Reads for staff: the endpoints, and each endpoint's delivery log (newest first)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from curriculum.kernel.access import IsStaff
from tracker.models import WebhookDelivery, WebhookEndpoint, WebhookMessage

LOG_LENGTH = 50


def _require_staff(user: Any) -> None:
    if not IsStaff().check(user, None):
        raise PermissionDenied(_("Only staff see webhooks."))


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
    """The staff page: each endpoint with its latest ``LOG_LENGTH`` attempts (two queries,
    however many endpoints)."""
    endpoints = list(webhook_endpoints(fetched_by=fetched_by))
    latest = (
        WebhookDelivery.objects.filter(endpoint_id__in=[endpoint.pk for endpoint in endpoints])
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("endpoint_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=LOG_LENGTH)
        .select_related("message__event")
        .order_by("endpoint_id", "-created_at", "-id")
    )
    by_endpoint: dict[int, list[WebhookDelivery]] = {}
    for delivery in latest:
        by_endpoint.setdefault(delivery.endpoint_id, []).append(delivery)
    return [
        {"endpoint": endpoint, "deliveries": by_endpoint.get(endpoint.pk, [])}
        for endpoint in endpoints
    ]
