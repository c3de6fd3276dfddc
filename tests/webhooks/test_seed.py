"""The demo shows webhooks: a switched-off Slack endpoint with a delivery log, made once."""

from __future__ import annotations

import pytest

from tracker.models import WebhookDelivery, WebhookEndpoint
from tracker.seed.builder import seed_demo
from tracker.seed.webhooks import DEMO_URL


@pytest.mark.django_db
def test_seed_demo_has_a_webhook_endpoint_with_its_log(clock):
    seed_demo(learners=6)
    seed_demo(learners=6)
    endpoint = WebhookEndpoint.objects.get(url=DEMO_URL)
    assert endpoint.active is False and endpoint.format == "slack"
    log = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("created_at"))
    assert [d.status_code for d in log] == [503, 503, 200, 200]
    assert len({d.message.event.event_id for d in log[:3]}) == 1
