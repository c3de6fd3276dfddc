"""The webhook lists cost the same number of queries for a few rows and for many."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from curriculum.kernel import clock
from tracker.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookMessage


def grow(staff, endpoints: int, attempts: int) -> WebhookEndpoint:
    now = clock.now()
    made = [
        WebhookEndpoint.objects.create(
            url=f"https://93.184.215.14/{n}",
            secret="whsec_query-count-secret",
            events=["review.saved"],
            created_at=now,
            created_by=staff,
        )
        for n in range(endpoints)
    ]
    for n in range(attempts):
        event = WebhookEvent.objects.create(
            event_id=f"evt_qc{len(made)}_{n}", type="review.saved", key=f"qc:{len(made)}:{n}",
            created_at=now, data={},
        )  # fmt: skip
        message = WebhookMessage.objects.create(
            endpoint=made[0], event=event, window_started_at=now, next_attempt_at=now
        )
        WebhookDelivery.objects.create(
            message=message, endpoint=made[0], attempt=1, status_code=500, created_at=now
        )
    return made[0]


def count(client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries), [q["sql"] for q in queries]


@pytest.mark.parametrize("what", ["endpoints", "deliveries", "page"])
def test_constant_queries(world, what):
    client = APIClient()
    client.force_authenticate(world.staff)
    web = APIClient()
    web.force_login(world.staff)
    counts = []
    for endpoints, attempts in ((2, 2), (12, 20)):
        first = grow(world.staff, endpoints, attempts)
        path = {
            "endpoints": "/api/v1/webhooks/",
            "deliveries": f"/api/v1/webhooks/{first.pk}/deliveries/",
            "page": "/staff/webhooks/",
        }[what]
        caller = web if what == "page" else client
        # Once unmeasured: a session's first page also records per-session facts (the
        # second factor's state, the language) that later requests read from the session.
        count(caller, path)
        counts.append(count(caller, path))
    assert counts[0][0] == counts[1][0], "\n".join(counts[1][1])
