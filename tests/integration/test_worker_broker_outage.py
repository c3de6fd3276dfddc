"""The worker survives Redis going away and coming back, with a task unacknowledged.

A real ``celery -A tracker worker`` (prefork, gossip, mingle and heartbeat on, as deployed),
started under ``bin/supervise`` as ``make run`` starts it, consumes from a private Redis. Each
round publishes a slow email delivery, waits until the worker holds it (claimed, not yet
acknowledged), stops Redis, starts it again on the same port, and then checks that a worker is
running (the same one, or one the supervisor started again) and that the email went out exactly
once. Three rounds: kombu's Redis transport has been seen to exit the worker on one outage in
three (``AttributeError: 'NoneType' object has no attribute 'hostname'`` restoring unacked
messages; timing-dependent, so a second test kills the worker outright and checks that the
supervisor brings it back).
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from tests.integration.harness import Worker, emails, publishing_to, wait_for
from tests.mentors.factories import PairingFactory
from tracker.models import Notification
from tracker.notifications import notify

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 3
SEND_SECONDS = 4  # the slow email backend's delay: the window in which Redis goes away


def outage_round(round_number: int, worker: Worker, redis, learner, mail_dir) -> None:
    """Publish a slow delivery, take Redis away while the worker holds it unacknowledged, bring
    Redis back; the email goes out and a worker is connected again."""
    with publishing_to(redis.url):
        notification = notify(
            recipient=learner,
            kind="feedback_ready",
            subject=f"Round {round_number}",
            body="Your review is ready.",
            link="/submissions/1/",
            dedupe_key=f"outage-round-{round_number}-{uuid.uuid4().hex}",
        )
    wait_for(
        lambda: Notification.objects.filter(
            pk=notification.pk, email_state=Notification.EmailState.SENDING
        ).exists(),
        timeout=60,
        what=f"round {round_number}: the worker to take the task",
    )
    redis.stop()
    time.sleep(1)
    redis.start()

    wait_for(
        lambda: Notification.objects.filter(
            pk=notification.pk, email_state=Notification.EmailState.SENT
        ).exists(),
        timeout=60,
        what=f"round {round_number}: the email sent ({worker.log})",
    )
    assert len(emails(mail_dir)) == round_number
    assert worker.alive(), worker.output()[-4000:]
    # Back at work before the next round: connected to Redis again (the same worker
    # reconnecting, or a restarted one connecting).
    wait_for(
        lambda: worker.output().count("Connected to redis") > round_number,
        timeout=90,
        what=f"round {round_number}: a worker connected again ({worker.log})",
    )


def test_the_worker_survives_three_redis_outages_with_an_unacked_task(
    throwaway_redis, transactional_db, tmp_path, settings
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    learner = PairingFactory().enrollment.learner
    worker = Worker(
        throwaway_redis.url,
        mail_dir,
        tmp_path,
        STRIDE_TEST_EMAIL_DELAY=str(SEND_SECONDS),
        pool="prefork",
        supervised=True,
        gossip=True,
    ).start()
    try:
        for round_number in range(1, ROUNDS + 1):
            outage_round(round_number, worker, throwaway_redis, learner, mail_dir)
        time.sleep(2)  # room for a duplicate to show up, if there were one
        sent = emails(mail_dir)
        assert len(sent) == ROUNDS
        for round_number in range(1, ROUNDS + 1):
            assert sum(f"Round {round_number}\n" in message for message in sent) == 1
        assert worker.alive(), worker.output()[-4000:]
    finally:
        worker.stop()


def test_a_worker_that_exits_is_started_again_and_delivers(
    throwaway_redis, transactional_db, tmp_path
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    learner = PairingFactory().enrollment.learner
    worker = Worker(
        throwaway_redis.url, mail_dir, tmp_path, pool="prefork", supervised=True
    ).start()
    try:
        first = worker.celery_pids()[-1]
        os.kill(first, signal.SIGKILL)  # as abrupt as an "Unrecoverable error" exit
        wait_for(
            lambda: len(worker.celery_pids()) == 2 and worker.output().count(" ready.") == 2,
            timeout=90,
            what=f"the supervisor to start the worker again ({worker.log})",
        )
        assert worker.alive()
        with publishing_to(throwaway_redis.url):
            notify(
                recipient=learner,
                kind="feedback_ready",
                subject="After the restart",
                body="Your review is ready.",
                link="/submissions/1/",
                dedupe_key=f"after-restart-{uuid.uuid4().hex}",
            )
        sent = wait_for(lambda: emails(mail_dir), timeout=60, what="the email after the restart")
        assert len(sent) == 1 and "After the restart" in sent[0]
    finally:
        worker.stop()
