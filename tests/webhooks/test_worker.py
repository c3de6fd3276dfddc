"""Webhooks through a real broker and a real worker: the retry's countdown, the sweep after a
broker outage, the same event id throughout.

``celery -A tracker worker`` runs as its own process against a private ``redis-server`` and the
PostgreSQL test database; the receiver is a thread of this process on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import time

import pytest

from learners.services import submission_create
from tests.curriculum.factories import AssignmentFactory, StaffFactory
from tests.integration.harness import Worker, publishing_to, wait_for
from tests.learners.factories import EnrollmentFactory, LearnerFactory
from tests.mentors.factories import PairingFactory
from tracker import jobs
from tracker.models import WebhookDelivery, WebhookMessage
from tracker.webhooks.services import webhook_endpoint_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(transactional_db, tmp_path, throwaway_redis):
    mail = tmp_path / "mail"
    mail.mkdir()
    started = Worker(
        throwaway_redis.url,
        mail,
        tmp_path,
        STRIDE_WEBHOOKS_ALLOW_PRIVATE="true",
        STRIDE_WEBHOOKS_RETRY_BASE_SECONDS="1",
        STRIDE_WEBHOOKS_TIMEOUT="2",
    ).start()
    yield started
    started.stop()


def test_two_failures_then_acceptance_through_the_worker(
    worker, throwaway_redis, receiver, transactional_db
):
    receiver.script = [500, 500, 200]
    staff = StaffFactory()
    endpoint = webhook_endpoint_create(
        actor=staff, url=receiver.url, secret=receiver.secret, events=["submission.created"]
    )
    pairing = PairingFactory(enrollment=EnrollmentFactory(learner=LearnerFactory()))
    assignment = AssignmentFactory(program=pairing.enrollment.cohort.program)
    with publishing_to(throwaway_redis.url):
        submission_create(
            actor=pairing.enrollment.learner,
            enrollment=pairing.enrollment,
            assignment=assignment,
            url="https://github.com/someone/work",
        )
    message = WebhookMessage.objects.get(endpoint=endpoint)
    wait_for(
        lambda: WebhookMessage.objects.filter(pk=message.pk, state="delivered").exists(),
        timeout=60,
        what=f"the third attempt ({worker.log})",
    )
    time.sleep(2)  # room for a duplicate to show up, if there were one
    assert [r.answered for r in receiver.received] == [500, 500, 200]
    assert all(r.verified for r in receiver.received)
    assert len({r.json["id"] for r in receiver.received}) == 1
    assert len(receiver.accepted_ids) == 1
    log = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("attempt"))
    assert [(d.attempt, d.status_code, d.ok) for d in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    # Backoff: about a second, then about two, between the attempts.
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in itertools.pairwise(log)]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9


def test_the_sweep_delivers_what_was_written_while_the_broker_was_down(
    worker, throwaway_redis, receiver, transactional_db
):
    staff = StaffFactory()
    endpoint = webhook_endpoint_create(
        actor=staff, url=receiver.url, secret=receiver.secret, events=["submission.created"]
    )
    pairing = PairingFactory(enrollment=EnrollmentFactory(learner=LearnerFactory()))
    assignment = AssignmentFactory(program=pairing.enrollment.cohort.program)
    throwaway_redis.stop()
    with publishing_to(throwaway_redis.url):
        submission_create(
            actor=pairing.enrollment.learner,
            enrollment=pairing.enrollment,
            assignment=assignment,
            url="https://github.com/someone/work",
        )
    # The write committed with its outbox row; nothing reached the receiver.
    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert message.state == "pending" and receiver.received == []
    throwaway_redis.start()
    WebhookMessage.objects.filter(pk=message.pk).update(enqueued_at=None)  # a minute later
    with publishing_to(throwaway_redis.url):
        # What beat does every minute.
        assert jobs.publish(jobs.SWEEP_WEBHOOKS)
    wait_for(
        lambda: WebhookMessage.objects.filter(pk=message.pk, state="delivered").exists(),
        timeout=60,
        what=f"the swept delivery ({worker.log})",
    )
    assert len(receiver.received) == 1 and receiver.received[0].verified
