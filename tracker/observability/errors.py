"""Errors (and, when sampled, traces) to Sentry: only when ``SENTRY_DSN`` is set.

``tracker.settings`` imports this module only with a DSN, so without one ``sentry_sdk`` is never
imported and costs nothing. No personal data leaves: ``send_default_pii=False``, request bodies
are never read, and ``scrub_event`` removes what could still carry some (cookies, the
authorization and cookie headers, request bodies, query strings, frames' local variables,
users' email addresses and names, email addresses in messages and breadcrumbs) from every error
and transaction. Imports nothing of Stride.
"""

from __future__ import annotations

import re
from typing import Any

# Headers that carry credentials or a person's identity.
_SECRET_HEADERS = {"cookie", "authorization", "x-csrftoken", "x-forwarded-for", "x-real-ip"}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_FILTERED = "[Filtered]"


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float, release: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        # A frame's local variables hold users, emails, request bodies: the traceback is enough.
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event without personal data: what ``send_default_pii=False`` leaves out, made sure,
    plus email addresses wherever a message or an exception value carries one."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies", "data", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: (_FILTERED if name.lower() in _SECRET_HEADERS else value)
                for name, value in headers.items()
            }
    user = event.get("user")
    if isinstance(user, dict):
        # The numeric id is enough to find the person in the admin; nothing else leaves.
        event["user"] = {"id": user["id"]} if "id" in user else {}
    _scrub_emails(event, "message")
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        _scrub_emails(logentry, "message")
        _scrub_emails(logentry, "formatted")
        if logentry.get("params"):
            logentry["params"] = [_FILTERED for _ in logentry["params"]]
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception, dict):
            _scrub_emails(exception, "value")
    breadcrumbs = event.get("breadcrumbs")
    crumbs = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in crumbs or []:
        if isinstance(crumb, dict):
            _scrub_emails(crumb, "message")
            crumb.pop("data", None)
    return event


def _scrub_emails(container: dict[str, Any], key: str) -> None:
    value = container.get(key)
    if isinstance(value, str):
        container[key] = _EMAIL.sub(_FILTERED, value)
