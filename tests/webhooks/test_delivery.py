"""Deliveries against a real receiver on 127.0.0.1: signed, retried with backoff, given up
after a day, swept when no task carries them, and refused at private addresses unless allowed."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from rest_framework.test import APIClient

from learners.services import submission_create
from mentors.services import review_create
from tracker import jobs, tasks
from tracker.models import (
    ProgressSnapshot,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookMessage,
)
from tracker.progress import snapshots
from tracker.webhooks import events, sending
from tracker.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.usefixtures("eager_celery")


def register(world, receiver, **fields) -> WebhookEndpoint:
    return webhook_endpoint_create(
        actor=world.staff,
        url=receiver.url,
        secret=receiver.secret,
        events=fields.pop("events", ["submission.created"]),
        **fields,
    )


def submit_capstone(world, capture):
    """Lena submits her capstone: the event is recorded with the submission, and (eager
    Celery) its first attempt runs when the write commits."""
    with capture(execute=True):
        return submission_create(
            actor=world.learner,
            enrollment=world.enrollment,
            assignment=world.final,
            url="https://github.com/lena-learner/capstone",
        )


def attempt_again(clock, message: WebhookMessage) -> str:
    """Wait for the scheduled retry, then run the task its countdown carries."""
    message.refresh_from_db()
    clock.move_to(message.next_attempt_at)
    return tasks.deliver_webhook(message.pk)


def test_500_twice_then_200_is_one_accepted_delivery_with_three_attempts_logged(
    world, clock, receiver, django_capture_on_commit_callbacks
):
    receiver.script = [500, 500, 200]
    endpoint = register(world, receiver)
    submission = submit_capstone(world, django_capture_on_commit_callbacks)

    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert [r.answered for r in receiver.received] == [500]
    message.refresh_from_db()
    assert message.state == "pending"
    assert message.next_attempt_at == clock.now() + dt.timedelta(seconds=30)

    # Not due yet: a task that runs early (a duplicate, a lost countdown) sends nothing.
    assert tasks.deliver_webhook(message.pk) == "skipped"
    assert len(receiver.received) == 1

    assert attempt_again(clock, message) == "retry"
    message.refresh_from_db()
    # Exponential: 30 s after the first failure, 60 s after the second.
    assert message.next_attempt_at == clock.now() + dt.timedelta(seconds=60)
    assert attempt_again(clock, message) == "delivered"
    assert tasks.deliver_webhook(message.pk) == "skipped"

    assert [r.answered for r in receiver.received] == [500, 500, 200]
    assert all(r.verified for r in receiver.received)
    ids = {r.json["id"] for r in receiver.received}
    assert len(ids) == 1 and receiver.accepted_ids == list(ids)
    assert {r.headers["Stride-Event-Id"] for r in receiver.received} == ids
    assert [r.headers["Stride-Delivery-Attempt"] for r in receiver.received] == ["1", "2", "3"]
    body = receiver.received[-1].json
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["type"] == "submission.created"
    assert body["data"]["submission"]["id"] == submission.pk
    assert body["data"]["submission"]["assignment"]["title"] == "Capstone demo"
    assert body["data"]["enrollment"]["learner"]["username"] == "lena"

    log = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("attempt"))
    assert [(d.attempt, d.status_code, d.ok) for d in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert log[0].response_excerpt == "try again later" and log[0].error == "HTTP 500"
    assert all(d.latency_ms is not None for d in log)
    message.refresh_from_db()
    assert message.state == "delivered" and message.attempts == 3

    # The same log through the API, as staff read it.
    client = APIClient()
    client.force_authenticate(world.staff)
    answer = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()
    assert answer["count"] == 3
    newest = answer["results"][0]
    assert newest["attempt"] == 3 and newest["ok"] is True and newest["status_code"] == 200
    assert newest["event_id"] == ids.pop() and newest["event_type"] == "submission.created"


def test_a_silent_receiver_times_out_and_is_tried_again(
    world, clock, receiver, django_capture_on_commit_callbacks
):
    receiver.script = ["silent", 200]
    endpoint = register(world, receiver)
    submit_capstone(world, django_capture_on_commit_callbacks)

    first = WebhookDelivery.objects.get(endpoint=endpoint)
    assert first.status_code is None and not first.ok
    assert first.error.startswith("Timed out")
    message = first.message
    assert attempt_again(clock, message) == "delivered"
    assert [r.answered for r in receiver.received] == [None, 200]
    assert receiver.received[0].json["id"] == receiver.received[1].json["id"]
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2


def test_retries_stop_after_a_day_and_the_message_is_failed(
    world, clock, receiver, django_capture_on_commit_callbacks
):
    receiver.script = [503] * 100
    endpoint = register(world, receiver)
    submit_capstone(world, django_capture_on_commit_callbacks)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    started = clock.now()
    outcomes = []
    while True:
        outcome = attempt_again(clock, message)
        outcomes.append(outcome)
        if outcome != "retry":
            break
    assert outcomes[-1] == "failed"
    message.refresh_from_db()
    assert message.state == "failed"
    # Doubling from 30 s, at most an hour apart, for a day: no attempt after the day is over.
    attempts = list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .order_by("attempt")
        .values_list("created_at", flat=True)
    )
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert gaps[:4] == [30, 60, 120, 240]
    assert max(gaps) == 3600
    assert attempts[-1] - started <= dt.timedelta(days=1)
    assert attempts[-1] + dt.timedelta(hours=1) > started + dt.timedelta(days=1)
    clock.shift(dt.timedelta(hours=2))
    assert tasks.deliver_webhook(message.pk) == "skipped"
    assert sending.sweep() == 0
    assert len(receiver.received) == len(attempts)


def test_the_sweep_sends_what_no_task_carries(world, clock, receiver, monkeypatch, settings):
    # The broker is away when the write commits: nothing is published, the outbox keeps it.
    monkeypatch.setattr(jobs, "_send", _broker_down)
    jobs.broker_backoff_reset()
    endpoint = register(world, receiver)
    submission_create(
        actor=world.learner,
        enrollment=world.enrollment,
        assignment=world.final,
        url="https://github.com/lena-learner/capstone",
    )
    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert receiver.received == []
    monkeypatch.undo()
    settings.STRIDE_WEBHOOKS_ALLOW_PRIVATE = True
    jobs.broker_backoff_reset()
    # A task published a moment ago may still be on its way: the sweep leaves it alone.
    assert sending.sweep() == 0
    clock.shift(sending.REPUBLISH_AFTER)
    assert tasks.sweep_webhooks() == 1
    message.refresh_from_db()
    assert message.state == "delivered"
    assert len(receiver.received) == 1 and receiver.received[0].verified


def _broker_down(name, args, options):
    raise OSError("broker unreachable")


def test_send_again_uses_the_same_event_id(
    world, clock, receiver, django_capture_on_commit_callbacks
):
    endpoint = register(world, receiver)
    submit_capstone(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    client = APIClient()
    client.force_authenticate(world.staff)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert answer.status_code == 202, answer.content
    assert answer.json()["event_id"] == receiver.received[0].json["id"]
    assert len(receiver.received) == 2
    assert receiver.received[0].json["id"] == receiver.received[1].json["id"]
    # The receiver dropped the duplicate; Stride logged both attempts.
    assert len(receiver.accepted_ids) == 1
    assert WebhookDelivery.objects.filter(endpoint=endpoint, ok=True).count() == 2
    # An attempt of another endpoint is not found under this one.
    other = WebhookEndpoint.objects.exclude(pk=endpoint.pk).first()
    assert (
        client.post(f"/api/v1/webhooks/{other.pk}/deliveries/{delivery.pk}/redeliver/").status_code
        == 404
    )


def test_slack_format_is_a_readable_message(
    world, clock, receiver, django_capture_on_commit_callbacks
):
    register(world, receiver, format="slack")
    submit_capstone(world, django_capture_on_commit_callbacks)
    (received,) = receiver.received
    assert received.verified
    body = received.json
    assert set(body) == {"text"}
    assert "Lena Learner" in body["text"]
    assert "*Capstone demo*" in body["text"]
    assert "https://github.com/lena-learner/capstone" in body["text"]
    assert f"/enrollments/{world.enrollment.pk}/|Lena Learner>" in body["text"]


def test_the_docs_snippet_refuses_a_tampered_or_stale_delivery(
    world, clock, receiver, verify, django_capture_on_commit_callbacks
):
    register(world, receiver)
    submit_capstone(world, django_capture_on_commit_callbacks)
    (received,) = receiver.received
    header = received.headers["Stride-Signature"]
    assert verify(receiver.secret, header, received.body)
    assert not verify(receiver.secret, header, received.body.replace(b"lena", b"lina"))
    assert not verify("whsec_another-secret-entirely", header, received.body)
    clock.shift(dt.timedelta(minutes=10))
    assert not verify(receiver.secret, header, received.body)


def test_a_message_for_an_endpoint_switched_off_meanwhile_is_not_sent(
    world, clock, receiver, django_capture_on_commit_callbacks
):
    receiver.script = [500]
    endpoint = register(world, receiver)
    submit_capstone(world, django_capture_on_commit_callbacks)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert attempt_again(clock, message) == "failed"
    assert len(receiver.received) == 1
    last = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-attempt").first()
    assert last.error == "The endpoint was switched off." and last.status_code is None


def test_a_failing_pace_receiver_leaves_the_row_stale_and_the_read_answers(
    world, clock, monkeypatch, django_capture_on_commit_callbacks
):
    webhook_endpoint_create(
        actor=world.staff, url="https://93.184.215.14/pace", events=["learner.pace_changed"]
    )
    enrollment = world.other_enrollment
    before = snapshots.progress_of([enrollment.pk])[enrollment.pk]
    submission = submission_create(
        actor=world.other_learner,
        enrollment=enrollment,
        assignment=world.project,
        url="https://github.com/otto-other/linear-regression",
    )

    def broken(**kwargs):
        raise RuntimeError("the outbox is unwell")

    monkeypatch.setattr(events, "pace_changed", broken)
    with django_capture_on_commit_callbacks(execute=True):
        review_create(
            actor=world.other_mentor.user, submission=submission, verdict="approved", feedback="Ok"
        )
    # The reader still gets the right answer; the row stays stale, no event was recorded.
    after = snapshots.progress_of([enrollment.pk])[enrollment.pk]
    assert after.pace != before.pace
    snapshot = ProgressSnapshot.objects.get(enrollment=enrollment)
    assert snapshot.computed != snapshot.token
    assert not WebhookEvent.objects.filter(type="learner.pace_changed").exists()
    monkeypatch.undo()
    # The next reader stores the row and tells the change.
    snapshots.progress_of([enrollment.pk])
    event = WebhookEvent.objects.get(type="learner.pace_changed")
    assert (event.data["old_pace"], event.data["new_pace"]) == (before.pace, after.pace)
