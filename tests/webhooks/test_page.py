"""The staff page: endpoints, the delivery log, "send again", errors in place."""

from __future__ import annotations

import re

import pytest

from learners.services import submission_create
from tracker.models import WebhookDelivery, WebhookEndpoint
from tracker.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.usefixtures("eager_celery")


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client


def log_rows(body: str, endpoint) -> list[str]:
    table = re.search(rf'<table[^>]*id="deliveries-{endpoint.pk}".*?</table>', body, re.S)
    return re.findall(r"<tr class=.*?</tr>", table.group(0), re.S) if table else []


def test_only_staff_see_the_page(client, world):
    assert client.get("/staff/webhooks/").status_code == 302  # to the sign-in page
    for role in ("learner", "mentor"):
        client.force_login(world.user(role))
        assert client.get("/staff/webhooks/").status_code == 403


def test_register_shows_the_secret_once(staff_client, world):
    answer = staff_client.post(
        "/staff/webhooks/",
        {
            "url": "https://93.184.215.14/hooks",
            "events": ["review.saved", "learner.pace_changed"],
            "format": "slack",
            "description": "Mentors' channel",
        },
    )
    assert answer.status_code == 200
    endpoint = WebhookEndpoint.objects.get(url="https://93.184.215.14/hooks")
    assert endpoint.format == "slack" and endpoint.events == [
        "review.saved",
        "learner.pace_changed",
    ]
    body = answer.content.decode()
    assert re.search(rf'id="created-secret"[^>]*value="{re.escape(endpoint.secret)}"', body)
    again = staff_client.get("/staff/webhooks/").content.decode()
    assert 'id="created-secret"' not in again
    assert endpoint.secret not in again
    assert f'id="endpoint-{endpoint.pk}"' in again
    assert "style=" not in again and "<script>" not in again


def test_a_refused_address_is_an_error_in_place_and_keeps_what_was_typed(
    staff_client, world, settings
):
    settings.STRIDE_WEBHOOKS_ALLOW_PRIVATE = False
    answer = staff_client.post(
        "/staff/webhooks/",
        {"url": "http://10.0.0.7/hook", "events": ["help.requested"], "format": "json"},
    )
    assert answer.status_code == 200
    body = answer.content.decode()
    url_input = re.search(r'<input[^>]*name="url"[^>]*>', body).group(0)
    assert 'value="http://10.0.0.7/hook"' in url_input
    assert 'aria-describedby="id_url_error"' in url_input
    error = re.search(r'<ul class="errorlist" id="id_url_error"[^>]*>(.*?)</ul>', body, re.S)
    assert "private address" in error.group(1)
    assert re.search(r'<input[^>]*name="events"[^>]*value="help.requested"[^>]*checked', body)
    assert not WebhookEndpoint.objects.filter(url="http://10.0.0.7/hook").exists()
    short = staff_client.post(
        "/staff/webhooks/",
        {
            "url": "https://93.184.215.14/x",
            "events": ["review.saved"],
            "format": "json",
            "secret": "too-short",
        },
    ).content.decode()
    assert 'id="id_secret_error"' in short and 'value="too-short"' in short
    empty = staff_client.post(
        "/staff/webhooks/", {"url": "https://93.184.215.14/x", "format": "json"}
    )
    assert 'id="id_events_error"' in empty.content.decode()


def test_the_log_shows_attempts_and_send_again_sends_the_same_event(
    staff_client, world, receiver, django_capture_on_commit_callbacks
):
    receiver.script = [500]
    endpoint = webhook_endpoint_create(
        actor=world.staff, url=receiver.url, secret=receiver.secret, events=["submission.created"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(
            actor=world.learner,
            enrollment=world.enrollment,
            assignment=world.final,
            url="https://github.com/lena-learner/capstone",
        )
    rows = log_rows(staff_client.get("/staff/webhooks/").content.decode(), endpoint)
    assert len(rows) == 1
    assert "500" in rows[0] and "submission.created" in rows[0]
    action = re.search(r'<form method="post" action="([^"]+)"', rows[0]).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        sent = staff_client.post(action)
    assert sent.status_code == 302
    answer = staff_client.get(sent["Location"])
    assert "being sent again" in answer.content.decode()
    assert [r.answered for r in receiver.received] == [500, 200]
    assert receiver.received[0].json["id"] == receiver.received[1].json["id"]
    assert len(log_rows(answer.content.decode(), endpoint)) == 2
    assert WebhookDelivery.objects.filter(endpoint=endpoint, ok=True).count() == 1


def test_switch_off_and_remove(staff_client, world):
    endpoint = world.webhook
    staff_client.post(f"/staff/webhooks/{endpoint.pk}/toggle/")
    endpoint.refresh_from_db()
    assert endpoint.active is True
    staff_client.post(f"/staff/webhooks/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
