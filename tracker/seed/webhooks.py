"""The demo's webhook endpoint: a Slack channel for reviews and pace changes, switched off
(the demo never calls the internet), with a delivery log to read on ``/staff/webhooks/``: a
review that arrived on the third attempt after the channel was down, and a pace change."""

from __future__ import annotations

import datetime as dt

from curriculum.kernel import clock
from learners.models import Enrollment
from mentors.models import Review
from tracker.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookMessage
from tracker.webhooks.events import PACE_CHANGED, REVIEW_SAVED, new_event_id
from tracker.webhooks.services import new_secret

DEMO_URL = "https://hooks.slack.com/services/T0DEMO/B0DEMO/stride-demo"


def _learner(enrollment: Enrollment) -> dict:
    learner = enrollment.learner
    return {
        "id": enrollment.pk,
        "status": enrollment.status,
        "cohort": {"id": enrollment.cohort_id, "name": enrollment.cohort.name},
        "learner": {
            "id": learner.pk,
            "username": learner.username,
            "name": learner.get_full_name() or learner.username,
        },
    }


def _log(endpoint, type_: str, key: str, data: dict, answers: list[int], at: dt.datetime) -> None:
    event = WebhookEvent.objects.create(
        event_id=new_event_id(), type=type_, key=key, created_at=at, data=data
    )
    ok = answers[-1] < 300
    message = WebhookMessage.objects.create(
        endpoint=endpoint,
        event=event,
        state=WebhookMessage.State.DELIVERED if ok else WebhookMessage.State.FAILED,
        attempts=len(answers),
        window_started_at=at,
        next_attempt_at=at,
        delivered_at=at if ok else None,
    )
    when = at
    for attempt, status in enumerate(answers, start=1):
        WebhookDelivery.objects.create(
            message=message,
            endpoint=endpoint,
            attempt=attempt,
            status_code=status,
            ok=status < 300,
            latency_ms=180 + 40 * attempt,
            response_excerpt="ok" if status < 300 else "service unavailable",
            error="" if status < 300 else f"HTTP {status}",
            created_at=when,
        )
        when += dt.timedelta(seconds=30 * 2 ** (attempt - 1))


def seed_webhooks(*, staff, cohort) -> WebhookEndpoint:
    """The demo endpoint and its log, once (idempotent)."""
    endpoint, created = WebhookEndpoint.objects.get_or_create(
        url=DEMO_URL,
        defaults={
            "secret": new_secret(),
            "events": [REVIEW_SAVED, PACE_CHANGED],
            "active": False,
            "format": WebhookEndpoint.Format.SLACK,
            "description": "#mentors channel (demo: switched off)",
            "created_at": clock.now() - dt.timedelta(days=7),
            "created_by": staff,
        },
    )
    if not created:
        return endpoint
    review = (
        Review.objects.filter(submission__enrollment__cohort=cohort)
        .select_related("submission__enrollment__cohort", "submission__enrollment__learner")
        .order_by("-created_at")
        .first()
    )
    if review is not None:
        enrollment = review.submission.enrollment
        _log(
            endpoint,
            REVIEW_SAVED,
            f"demo:{REVIEW_SAVED}:{review.pk}",
            {
                "review": {"id": review.pk, "verdict": review.verdict},
                "submission": {"id": review.submission_id},
                "enrollment": _learner(enrollment),
            },
            [503, 503, 200],
            clock.now() - dt.timedelta(hours=3),
        )
    behind = (
        Enrollment.objects.filter(cohort=cohort)
        .select_related("cohort", "learner")
        .order_by("-pk")
        .first()
    )
    if behind is not None:
        _log(
            endpoint,
            PACE_CHANGED,
            f"demo:{PACE_CHANGED}:{behind.pk}",
            {
                "old_pace": "on_track",
                "new_pace": "at_risk",
                "risk_reasons": ["inactive"],
                "enrollment": _learner(behind),
            },
            [200],
            clock.now() - dt.timedelta(hours=1),
        )
    return endpoint
