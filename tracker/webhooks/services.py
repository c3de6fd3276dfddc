"""Writes: registering, changing and removing endpoints (staff only), and "send again".

Every refusal is a ``ValidationError`` keyed by field (400 in the API, an error in place on the
page); the address guard runs at registration and whenever the URL changes.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.services import reject_unknown_fields, require_staff
from tracker import jobs
from tracker.models import WebhookDelivery, WebhookEndpoint, WebhookMessage

from . import guard
from .events import EVENT_TYPES

ENDPOINT_FIELDS = ("url", "secret", "events", "active", "format", "description")
MIN_SECRET_LENGTH = 16


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


def _clean(endpoint: WebhookEndpoint, *, url_changed: bool) -> None:
    errors: dict[str, list[str]] = {}
    events = endpoint.events
    if not isinstance(events, list) or not events:
        errors["events"] = [_("Choose at least one event type.")]
    else:
        unknown = [str(name) for name in events if name not in EVENT_TYPES]
        if unknown:
            errors["events"] = [_("Unknown event type: %(names)s.") % {"names": ", ".join(unknown)}]
        else:
            endpoint.events = [name for name in EVENT_TYPES if name in events]
    if len(endpoint.secret or "") < MIN_SECRET_LENGTH:
        errors["secret"] = [
            _("Use a secret of at least %(count)d characters.") % {"count": MIN_SECRET_LENGTH}
        ]
    try:
        endpoint.full_clean(exclude=["events", "secret"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if url_changed and "url" not in errors:
        try:
            guard.check_url(endpoint.url)
        except guard.AddressRefused as exc:
            errors["url"] = [str(exc)]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor: Any,
    url: str,
    events: list[str],
    secret: str = "",
    active: bool = True,
    format: str = WebhookEndpoint.Format.JSON,
    description: str = "",
) -> WebhookEndpoint:
    """Register an endpoint; without a secret, one is made (the caller shows it once)."""
    require_staff(actor, _("register webhooks"))
    endpoint = WebhookEndpoint(
        url=url,
        events=events,
        secret=secret or new_secret(),
        active=active,
        format=format,
        description=description,
        created_at=clock.now(),
        created_by=actor,
    )
    _clean(endpoint, url_changed=True)
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, actor: Any, endpoint: WebhookEndpoint, **fields: Any
) -> WebhookEndpoint:
    require_staff(actor, _("change webhooks"))
    reject_unknown_fields(fields, ENDPOINT_FIELDS)
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    url_changed = "url" in fields and fields["url"] != locked.url
    for name, value in fields.items():
        setattr(locked, name, value)
    _clean(locked, url_changed=url_changed)
    locked.save()
    return locked


@transaction.atomic
def webhook_endpoint_delete(*, actor: Any, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its outbox and log (switch it off to keep them)."""
    require_staff(actor, _("remove webhooks"))
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


@transaction.atomic
def webhook_redeliver(*, actor: Any, delivery: WebhookDelivery) -> WebhookMessage:
    """Send the delivery's event to its endpoint again, now, with a fresh retry window (the
    same event id: a receiver that has it already drops it)."""
    require_staff(actor, _("send webhooks again"))
    message = WebhookMessage.objects.select_for_update().get(pk=delivery.message_id)
    if not WebhookEndpoint.objects.filter(pk=message.endpoint_id, active=True).exists():
        raise ValidationError({"endpoint": [_("Switch the endpoint on before sending again.")]})
    now = clock.now()
    message.state = WebhookMessage.State.PENDING
    message.window_started_at = now
    message.next_attempt_at = now
    message.enqueued_at = now
    message.claimed_at = None
    message.save()
    jobs.publish_on_commit(jobs.DELIVER_WEBHOOK, args=[message.pk])
    return message
