"""Reminders through a real broker and a real worker.

Each test starts ``celery -A tracker worker`` as a separate process against a private
``redis-server`` and the PostgreSQL test database (the worker must see what the test commits,
hence ``transaction=True``). Emails go to files. The web side is this process: the API is called
through DRF's test client, and its tasks are published to the same Redis.
"""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.integration.harness import Worker, emails, publishing_to, wait_for
from tests.learners.factories import SubmissionFactory
from tests.mentors.factories import PairingFactory
from tracker import jobs
from tracker.models import Notification
from tracker.notifications import notify

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def email_dir(tmp_path) -> Path:
    directory = tmp_path / "mail"
    directory.mkdir()
    return directory


@pytest.fixture
def workers(transactional_db, tmp_path, email_dir):
    """``workers(broker_url, **env)`` starts a worker; all are stopped before the database is
    flushed."""
    started: list[Worker] = []

    def start(broker_url: str, **env: str) -> Worker:
        worker = Worker(broker_url, email_dir, tmp_path, **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def review_setup(transactional_db):
    pairing = PairingFactory()
    submission = SubmissionFactory(enrollment=pairing.enrollment)
    client = APIClient()
    client.force_authenticate(pairing.mentor.user)
    return pairing, submission, client


def post_review(client, submission, feedback="Solid work, well tested."):
    started = time.monotonic()
    response = client.post(
        f"/api/v1/submissions/{submission.pk}/review/",
        {"verdict": "approved", "feedback": feedback},
        format="json",
    )
    return response, time.monotonic() - started


# --- tests ----------------------------------------------------------------------------------
def test_a_review_saved_through_the_api_reaches_the_learner_by_email(
    throwaway_redis, workers, review_setup, email_dir
):
    pairing, submission, client = review_setup
    workers(throwaway_redis.url)
    with publishing_to(throwaway_redis.url):
        response, _ = post_review(client, submission)
    assert response.status_code == 201, response.content
    sent = wait_for(lambda: emails(email_dir), timeout=30, what="the feedback email")
    assert len(sent) == 1
    learner = pairing.enrollment.learner
    assert f"To: {learner.email}" in sent[0]
    assert "Solid work, well tested." in sent[0]
    assert "/submissions/" in sent[0] and "http" in sent[0]
    notification = Notification.objects.get(kind="feedback_ready")
    assert notification.email_state == Notification.EmailState.SENT


def test_a_worker_killed_mid_delivery_sends_exactly_one_email_after_restart(
    throwaway_redis, workers, transactional_db, email_dir, settings
):
    lease = 6
    settings.STRIDE_EMAIL_CLAIM_LEASE_SECONDS = lease
    pairing = PairingFactory()
    learner = pairing.enrollment.learner
    first = workers(
        throwaway_redis.url,
        STRIDE_TEST_EMAIL_DELAY="60",
        STRIDE_EMAIL_CLAIM_LEASE_SECONDS=str(lease),
    )
    with publishing_to(throwaway_redis.url):
        notification = notify(
            recipient=learner,
            kind="feedback_ready",
            subject="Feedback on your capstone",
            body="Ship it.",
            link="/submissions/1/",
            dedupe_key=f"integration-kill-{uuid.uuid4().hex}",
        )
    wait_for(
        lambda: Notification.objects.filter(
            pk=notification.pk, email_state=Notification.EmailState.SENDING
        ).exists(),
        timeout=30,
        what="the worker to claim the email",
    )
    first.kill()
    assert emails(email_dir) == []

    workers(throwaway_redis.url, STRIDE_EMAIL_CLAIM_LEASE_SECONDS=str(lease))
    time.sleep(lease + 1)  # the dead worker's claim expires
    with publishing_to(throwaway_redis.url):
        # What beat does every minute.
        assert jobs.publish(jobs.FLUSH_OUTBOX)
    wait_for(lambda: emails(email_dir), timeout=30, what="the email after the restart")
    time.sleep(3)  # room for a duplicate to show up, if there were one
    assert len(emails(email_dir)) == 1
    notification.refresh_from_db()
    assert notification.email_state == Notification.EmailState.SENT
    assert notification.email_attempts == 2


def test_redis_stopped_the_write_still_answers_and_the_email_follows_later(
    throwaway_redis, workers, review_setup, email_dir
):
    pairing, submission, client = review_setup
    workers(throwaway_redis.url)
    throwaway_redis.stop()
    with publishing_to(throwaway_redis.url):
        response, elapsed = post_review(client, submission)
        assert response.status_code == 201, response.content
        assert elapsed < 5, f"the API took {elapsed:.1f} s with the broker down"
        notification = Notification.objects.get(kind="feedback_ready")
        assert notification.email_state == Notification.EmailState.PENDING
        assert notification.email_enqueued_at is None

        throwaway_redis.start()
        jobs.broker_backoff_reset()
        assert jobs.publish(jobs.FLUSH_OUTBOX)
        sent = wait_for(lambda: emails(email_dir), timeout=90, what="the email once Redis is back")
    assert len(sent) == 1
    assert f"To: {pairing.enrollment.learner.email}" in sent[0]


def test_a_silent_broker_does_not_hang_the_request(review_setup):
    _, submission, client = review_setup
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections, never answers
    try:
        with publishing_to(f"redis://127.0.0.1:{silent.getsockname()[1]}/0"):
            response, elapsed = post_review(client, submission)
    finally:
        silent.close()
    assert response.status_code == 201, response.content
    assert elapsed < 5, f"the API took {elapsed:.1f} s with a silent broker"
    notification = Notification.objects.get(kind="feedback_ready")
    assert notification.email_state == Notification.EmailState.PENDING
