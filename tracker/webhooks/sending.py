"""Sending one outbox message: the signed body, the HTTP POST to a checked address, the log
of the attempt, and the retry schedule; plus the minute sweep that publishes what no task
carries.

The signature (``Stride-Signature: t=<unix seconds>,v1=<hex>``) is HMAC-SHA256, keyed by the
endpoint's secret, over ``"<t>.<raw body>"``; docs/API.md shows the receiver's check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from curriculum.kernel import clock
from tracker import jobs
from tracker.models import WebhookDelivery, WebhookEndpoint, WebhookMessage

from . import guard, slack

logger = logging.getLogger(__name__)

USER_AGENT = "Stride-Webhooks/1.0"
SIGNATURE_HEADER = "Stride-Signature"
EXCERPT_BYTES = 500
# A claim older than this belongs to a worker that died mid-attempt.
CLAIM_LEASE = dt.timedelta(minutes=2)
# The sweep publishes a due message again when no task was published for it this recently.
REPUBLISH_AFTER = dt.timedelta(minutes=1)
SWEEP_BATCH = 500


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Stride-Signature`` header's value for ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event) -> dict[str, Any]:
    """The JSON event: ``{id, type, created_at, data}`` (the same on every attempt)."""
    return {
        "id": event.event_id,
        "type": event.type,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }


def body_for(endpoint: WebhookEndpoint, event) -> bytes:
    if endpoint.format == WebhookEndpoint.Format.SLACK:
        payload = slack.message(event)
    else:
        payload = event_payload(event)
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: doubling from the base,
    capped."""
    base = settings.STRIDE_WEBHOOKS_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.STRIDE_WEBHOOKS_RETRY_MAX_SECONDS)
    return dt.timedelta(seconds=seconds)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address, verifying the certificate for the URL's name."""

    def __init__(self, address: str, hostname: str, **kwargs) -> None:
        super().__init__(address, **kwargs)
        self._hostname = hostname

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._hostname)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST ``body`` to ``url`` at an address the guard allows (checked now); the status and
    the start of the answer. Redirects are not followed (a 3xx is not an acceptance)."""
    scheme, host, port = guard.check_url_form(url)
    addresses = guard.resolve_checked(host, port)
    timeout = settings.STRIDE_WEBHOOKS_TIMEOUT
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if ":" not in host else f"[{host}]"
    if parts.port:
        host_header += f":{parts.port}"
    error: OSError | None = None
    for address in addresses:
        if scheme == "https":
            connection: http.client.HTTPConnection = _PinnedHTTPSConnection(
                address, host, port=port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(address, port=port, timeout=timeout)
        try:
            connection.connect()
        except ssl.SSLError:
            connection.close()
            raise
        except OSError as exc:
            connection.close()
            error = exc
            continue
        try:
            connection.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", host_header)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.putheader("Connection", "close")
            connection.endheaders(body)
            response = connection.getresponse()
            excerpt = response.read(EXCERPT_BYTES)
            return response.status, excerpt.decode("utf-8", "replace")
        finally:
            connection.close()
    raise error or guard.AddressRefused(f"Cannot connect to {host}.")


def _claim(message_id: int, now: dt.datetime) -> WebhookMessage | None:
    """Take the message for one attempt if it is pending, due and nobody else holds it."""
    with transaction.atomic():
        message = (
            WebhookMessage.objects.select_for_update()
            .select_related("endpoint", "event")
            .filter(pk=message_id, state=WebhookMessage.State.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
            .first()
        )
        if message is None:
            return None
        message.claimed_at = now
        message.save(update_fields=["claimed_at"])
        return message


def deliver(message_id: int) -> str:
    """Make one attempt at a message if it is due; the outcome in a word (``delivered``,
    ``retry``, ``failed``, or ``skipped`` when there was nothing to do)."""
    started_at = clock.now()
    message = _claim(message_id, started_at)
    if message is None:
        return "skipped"
    endpoint, event = message.endpoint, message.event
    attempt = message.attempts + 1
    status_code: int | None = None
    excerpt = ""
    error = ""
    began = time.monotonic()
    if not endpoint.active:
        # Staff switched it off to stop the traffic: not sent, not retried ("send again"
        # once it is on).
        error = "The endpoint was switched off."
    else:
        body = body_for(endpoint, event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(endpoint.secret, int(time.time()), body),
            "Stride-Event-Id": event.event_id,
            "Stride-Event-Type": event.type,
            "Stride-Delivery-Attempt": str(attempt),
        }
        try:
            status_code, excerpt = post(endpoint.url, body, headers)
        except guard.AddressRefused as exc:
            error = f"Refused: {exc}"
        except TimeoutError:
            error = f"Timed out after {settings.STRIDE_WEBHOOKS_TIMEOUT:g} s."
        except (OSError, http.client.HTTPException, ValueError) as exc:
            error = f"{exc.__class__.__name__}: {exc}"
    latency_ms = int((time.monotonic() - began) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    if status_code is not None and not ok:
        error = f"HTTP {status_code}"
    return _record(
        message, attempt, status_code, ok, latency_ms, excerpt, error, give_up=not endpoint.active
    )


def _record(
    message: WebhookMessage,
    attempt: int,
    status_code: int | None,
    ok: bool,
    latency_ms: int,
    excerpt: str,
    error: str,
    *,
    give_up: bool = False,
) -> str:
    now = clock.now()
    with transaction.atomic():
        locked = WebhookMessage.objects.select_for_update().get(pk=message.pk)
        WebhookDelivery.objects.create(
            message=locked,
            endpoint_id=locked.endpoint_id,
            attempt=attempt,
            status_code=status_code,
            ok=ok,
            latency_ms=latency_ms,
            response_excerpt=excerpt[:EXCERPT_BYTES],
            error=error[:500],
            created_at=now,
        )
        locked.attempts = attempt
        locked.claimed_at = None
        locked.last_error = error[:500]
        window = dt.timedelta(seconds=settings.STRIDE_WEBHOOKS_RETRY_WINDOW_SECONDS)
        if ok:
            locked.state = WebhookMessage.State.DELIVERED
            locked.delivered_at = now
            outcome = "delivered"
        elif give_up or now + backoff(attempt) > locked.window_started_at + window:
            locked.state = WebhookMessage.State.FAILED
            outcome = "failed"
        else:
            locked.next_attempt_at = now + backoff(attempt)
            locked.enqueued_at = now
            outcome = "retry"
            delay = (locked.next_attempt_at - now).total_seconds()
            jobs.publish_on_commit(jobs.DELIVER_WEBHOOK, args=[locked.pk], countdown=delay)
        locked.save()
    if outcome != "delivered":
        logger.info(
            "Webhook %s to endpoint %s: %s (%s)",
            message.event.event_id,
            message.endpoint_id,
            outcome,
            error,
        )
    return outcome


def sweep() -> int:
    """Publish every due message no task carries (the broker was down, a worker died, or a
    countdown was lost); what the minute task runs. Returns how many were published."""
    now = clock.now()
    due = list(
        WebhookMessage.objects.filter(state=WebhookMessage.State.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - REPUBLISH_AFTER))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    published = [pk for pk in due if jobs.publish(jobs.DELIVER_WEBHOOK, args=[pk])]
    if published:
        WebhookMessage.objects.filter(pk__in=published).update(enqueued_at=now)
    return len(published)
