"""The address guard: private, loopback and link-local receivers are refused at registration
and again at send time unless ``STRIDE_WEBHOOKS_ALLOW_PRIVATE`` is set; metadata always."""

from __future__ import annotations

import ipaddress

import pytest
from rest_framework.test import APIClient

from learners.services import help_request_create, submission_create
from tracker.models import WebhookDelivery, WebhookEndpoint, WebhookMessage
from tracker.webhooks import guard
from tracker.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.usefixtures("eager_celery")


def staff_client(world) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.staff)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.10.1/hook",
        "http://[fe80::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://localhost/hook",
    ],
)
def test_private_addresses_are_refused_at_registration(world, settings, url):
    settings.STRIDE_WEBHOOKS_ALLOW_PRIVATE = False
    answer = staff_client(world).post(
        "/api/v1/webhooks/", {"url": url, "events": ["review.saved"]}, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert "url" in answer.json()
    assert not WebhookEndpoint.objects.filter(url=url).exists()


def test_the_deploy_check_switch_does_not_open_private_addresses_to_webhooks(world, settings):
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = True
    settings.STRIDE_WEBHOOKS_ALLOW_PRIVATE = False
    assert guard.webhook_address_refusal(ipaddress.ip_address("127.0.0.1"))
    assert guard.webhook_address_refusal(ipaddress.ip_address("10.0.0.1"))
    assert guard.webhook_address_refusal(ipaddress.ip_address("93.184.215.14")) is None


def test_metadata_stays_refused_when_private_addresses_are_allowed(settings):
    settings.STRIDE_WEBHOOKS_ALLOW_PRIVATE = True
    assert guard.webhook_address_refusal(ipaddress.ip_address("127.0.0.1")) is None
    for address in ("169.254.169.254", "::ffff:169.254.169.254", "fd00:ec2::254"):
        assert guard.webhook_address_refusal(ipaddress.ip_address(address)) == (
            "a cloud metadata address"
        )


def test_bad_registrations_answer_by_field(world):
    client = staff_client(world)
    cases = [
        ({"url": "ftp://93.184.215.14/x", "events": ["review.saved"]}, "url"),
        ({"url": "https://user:pw@93.184.215.14/x", "events": ["review.saved"]}, "url"),
        ({"url": "https://93.184.215.14/x", "events": []}, "events"),
        ({"url": "https://93.184.215.14/x", "events": ["review.deleted"]}, "events"),
        (
            {"url": "https://93.184.215.14/x", "events": ["review.saved"], "secret": "short"},
            "secret",
        ),
        ({"url": "https://93.184.215.14/x", "events": ["review.saved"], "format": "xml"}, "format"),
        ({"events": ["review.saved"]}, "url"),
    ]
    for body, field in cases:
        answer = client.post("/api/v1/webhooks/", body, format="json")
        assert answer.status_code == 400, (body, answer.content)
        assert field in answer.json(), (body, answer.json())
    assert WebhookEndpoint.objects.filter(active=True).count() == 0


def test_secret_is_shown_once_and_never_again(world):
    client = staff_client(world)
    created = client.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/x", "events": ["help.requested", "review.saved"]},
        format="json",
    ).json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 20
    assert created["events"] == ["review.saved", "help.requested"]
    assert created["format"] == "json" and created["active"] is True
    shown = client.get(f"/api/v1/webhooks/{created['id']}/").json()
    assert "secret" not in shown
    changed = client.patch(
        f"/api/v1/webhooks/{created['id']}/",
        {"secret": "whsec_a-new-secret-of-mine", "active": False},
        format="json",
    )
    assert changed.status_code == 200 and "secret" not in changed.json()
    assert WebhookEndpoint.objects.get(pk=created["id"]).secret == "whsec_a-new-secret-of-mine"
    listed = client.get("/api/v1/webhooks/").json()
    assert all("secret" not in row for row in listed["results"])


def test_a_receiver_at_127_0_0_1_is_refused_at_send_time_when_private_is_not_allowed(
    world, receiver, settings, django_capture_on_commit_callbacks
):
    # Registered while allowed (or its name resolved elsewhere then): checked again at send.
    endpoint = webhook_endpoint_create(
        actor=world.staff, url=receiver.url, secret=receiver.secret, events=["help.requested"]
    )
    settings.STRIDE_WEBHOOKS_ALLOW_PRIVATE = False
    with django_capture_on_commit_callbacks(execute=True):
        help_request_create(
            actor=world.learner, enrollment=world.enrollment, message="Stuck on broadcasting."
        )
    assert receiver.received == []
    (attempt,) = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert not attempt.ok and attempt.status_code is None
    assert attempt.error.startswith("Refused:") and "loopback" in attempt.error
    # Refused is retried like any failure (DNS may point elsewhere again), never sent there.
    assert WebhookMessage.objects.get(endpoint=endpoint).state == "pending"


def test_an_unused_submission_records_nothing_for_a_switched_off_endpoint(
    world, receiver, django_capture_on_commit_callbacks
):
    endpoint = webhook_endpoint_create(
        actor=world.staff,
        url=receiver.url,
        secret=receiver.secret,
        events=["submission.created"],
        active=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(
            actor=world.learner,
            enrollment=world.enrollment,
            assignment=world.final,
            url="https://github.com/lena-learner/capstone",
        )
    assert not WebhookMessage.objects.filter(endpoint=endpoint).exists()
    assert receiver.received == []


@pytest.mark.parametrize("role", ["learner", "other_learner", "mentor", "other_mentor"])
def test_no_one_but_staff_registers_webhooks(world, role):
    client = APIClient()
    client.force_authenticate(world.user(role))
    answer = client.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/x", "events": ["review.saved"]},
        format="json",
    )
    assert answer.status_code == 403
    assert not WebhookEndpoint.objects.filter(url="https://93.184.215.14/x").exists()
