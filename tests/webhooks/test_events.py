"""Each event kind is produced by its real action, in the same transaction as the action: a
rolled-back write records nothing, a committed one records its event once, with the outbox
row of every active endpoint that wants it."""

from __future__ import annotations

import pytest
from django.db import transaction

from learners.services import (
    enrollment_set_status,
    help_request_create,
    submission_create,
)
from mentors.services import review_create, session_update
from tracker.models import WebhookEndpoint, WebhookEvent, WebhookMessage
from tracker.progress import snapshots
from tracker.webhooks.events import EVENT_TYPES
from tracker.webhooks.services import webhook_endpoint_create


@pytest.fixture
def hooks(world, settings):
    """Two endpoints wanting every kind, and one wanting only reviews (Python's documentation
    address: registration resolves no name)."""
    every = [
        webhook_endpoint_create(
            actor=world.staff, url=f"https://93.184.215.14/{name}", events=list(EVENT_TYPES)
        )
        for name in ("ops", "slack")
    ]
    reviews = webhook_endpoint_create(
        actor=world.staff, url="https://93.184.215.14/reviews", events=["review.saved"]
    )
    return every, reviews


def only_event(type_: str) -> WebhookEvent:
    # (The world's own logged event is older than the test.)
    (event,) = WebhookEvent.objects.filter(type=type_).exclude(event_id__startswith="evt_world")
    return event


def outbox_of(event: WebhookEvent) -> set[int]:
    return set(WebhookMessage.objects.filter(event=event).values_list("endpoint_id", flat=True))


def test_submission_created(world, hooks):
    every, _reviews_only = hooks
    submission = submission_create(
        actor=world.learner,
        enrollment=world.enrollment,
        assignment=world.final,
        url="https://github.com/lena-learner/capstone",
        note="Deployed on Fly.",
    )
    event = only_event("submission.created")
    assert event.data["submission"]["id"] == submission.pk
    assert event.data["submission"]["version"] == 1
    assert event.data["mentor"]["username"] == "max"
    assert event.event_id.startswith("evt_")
    assert outbox_of(event) == {endpoint.pk for endpoint in every}


def test_review_saved(world, hooks):
    every, reviews = hooks
    review = review_create(
        actor=world.mentor.user,
        submission=world.submission,
        verdict="changes_requested",
        feedback="Vectorise the loop in part 2.",
        scores={str(world.criteria[0].pk): 3, str(world.criteria[1].pk): 2},
    )
    event = only_event("review.saved")
    assert event.data["review"]["id"] == review.pk
    assert event.data["review"]["verdict"] == "changes_requested"
    assert event.data["review"]["reviewer"]["username"] == "max"
    assert event.data["submission"]["assignment"]["title"] == "NumPy drills"
    assert outbox_of(event) == {endpoint.pk for endpoint in [*every, reviews]}


def test_help_requested(world, hooks):
    help_request = help_request_create(
        actor=world.learner, enrollment=world.enrollment, message="Broadcasting confuses me."
    )
    event = only_event("help.requested")
    assert event.data["help_request"] == {
        "id": help_request.pk,
        "message": "Broadcasting confuses me.",
        "created_at": "2026-03-10T12:00:00Z",
    }
    assert event.data["mentor"]["username"] == "max"


def test_session_missed_once_per_session(world, hooks):
    session_update(actor=world.mentor.user, session=world.session, notes="No show.")
    assert not WebhookEvent.objects.filter(type="session.missed").exists()
    session_update(actor=world.mentor.user, session=world.session, status="missed")
    event = only_event("session.missed")
    assert event.data["session"]["id"] == world.session.pk
    assert event.data["mentor"]["username"] == "max"
    # Corrected to completed and back to missed: still the same one fact for receivers.
    session_update(actor=world.mentor.user, session=world.session, status="completed")
    session_update(actor=world.mentor.user, session=world.session, status="missed")
    assert WebhookEvent.objects.filter(type="session.missed").count() == 1


def test_enrollment_status_changed(world, hooks):
    enrollment_set_status(actor=world.staff, enrollment=world.enrollment, status="withdrawn")
    event = only_event("enrollment.status_changed")
    assert event.data["status"] == "withdrawn"
    assert event.data["enrollment"]["id"] == world.enrollment.pk
    assert event.data["enrollment"]["learner"]["username"] == "lena"
    # Reactivated later: another change, another event.
    enrollment_set_status(actor=world.staff, enrollment=world.enrollment, status="active")
    assert WebhookEvent.objects.filter(type="enrollment.status_changed").count() == 2


def test_pace_changed_when_an_approval_moves_the_stored_pace(
    world, hooks, django_capture_on_commit_callbacks
):
    # Otto has nothing approved four weeks in: his stored row says he is behind.
    enrollment = world.other_enrollment
    before = snapshots.progress_of([enrollment.pk])[enrollment.pk]
    assert before.pace in ("behind", "at_risk")
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(
            actor=world.other_learner,
            enrollment=enrollment,
            assignment=world.project,
            url="https://github.com/otto-other/linear-regression",
        )
    assert not WebhookEvent.objects.filter(type="learner.pace_changed").exists()
    with django_capture_on_commit_callbacks(execute=True):
        review_create(
            actor=world.other_mentor.user,
            submission=submission,
            verdict="approved",
            feedback="Clean and well tested.",
        )
    after = snapshots.progress_of([enrollment.pk])[enrollment.pk]
    assert after.pace != before.pace
    event = only_event("learner.pace_changed")
    assert event.data["old_pace"] == before.pace
    assert event.data["new_pace"] == after.pace
    assert event.data["risk_reasons"] == list(after.risk_reasons)
    assert event.data["previous_risk_reasons"] == list(before.risk_reasons)
    assert event.data["enrollment"]["learner"]["username"] == "otto"
    # Reading the row again is not a change.
    snapshots.progress_of([enrollment.pk])
    assert WebhookEvent.objects.filter(type="learner.pace_changed").count() == 1


def test_a_rolled_back_write_records_no_event(world, hooks):
    with pytest.raises(RuntimeError), transaction.atomic():
        submission_create(
            actor=world.learner,
            enrollment=world.enrollment,
            assignment=world.final,
            url="https://github.com/lena-learner/capstone",
        )
        assert WebhookEvent.objects.filter(type="submission.created").exists()
        raise RuntimeError("the write fails after the service")
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == [
        world.webhook_delivery.message.event.event_id
    ]
    assert not WebhookMessage.objects.filter(endpoint__in=hooks[0]).exists()


def test_no_endpoint_wants_it_no_row(world):
    WebhookEndpoint.objects.update(active=False)
    help_request_create(actor=world.learner, enrollment=world.enrollment, message="Help!")
    assert not WebhookEvent.objects.filter(type="help.requested").exists()
