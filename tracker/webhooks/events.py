"""The event kinds, what each carries (``data``), and recording an event in the writer's
transaction together with its outbox rows.

Every payload is built from the rows as they stand inside the writer's transaction, so what a
receiver reads is what was committed with the event.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from curriculum.kernel import clock
from curriculum.kernel.names import display_name
from learners.models import Enrollment, HelpRequest, Submission
from mentors.models import MentorSession, Review
from tracker import jobs
from tracker.models import WebhookEndpoint, WebhookEvent, WebhookMessage

SUBMISSION_CREATED = "submission.created"
REVIEW_SAVED = "review.saved"
PACE_CHANGED = "learner.pace_changed"
HELP_REQUESTED = "help.requested"
SESSION_MISSED = "session.missed"
ENROLLMENT_STATUS_CHANGED = "enrollment.status_changed"

EVENT_TYPES = {
    SUBMISSION_CREATED: _("A learner submitted work"),
    REVIEW_SAVED: _("A review was saved"),
    PACE_CHANGED: _("A learner's pace changed"),
    HELP_REQUESTED: _("A learner asked for help"),
    SESSION_MISSED: _("A mentor session was missed"),
    ENROLLMENT_STATUS_CHANGED: _("An enrollment's status changed"),
}


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def event_record(*, type: str, key: str, data: dict[str, Any]) -> WebhookEvent | None:
    """Record the event ``key`` (once: a fact recorded before is not recorded again) with an
    outbox row for every active endpoint that wants ``type``, in the caller's transaction; the
    messages are handed to the broker once it commits. None when no endpoint wants it."""
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {type!r}.")
    endpoint_ids = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(active=True).values_list("pk", "events")
        if type in (events or [])
    ]
    if not endpoint_ids:
        return None
    now = clock.now()
    with transaction.atomic():
        event_id = new_event_id()
        WebhookEvent.objects.bulk_create(
            [WebhookEvent(event_id=event_id, type=type, key=key[:200], created_at=now, data=data)],
            ignore_conflicts=True,
        )
        event = WebhookEvent.objects.filter(event_id=event_id).first()
        if event is None:
            # Recorded before (a second computation of the same fact): nothing new to send.
            return None
        WebhookMessage.objects.bulk_create(
            [
                WebhookMessage(
                    endpoint_id=pk,
                    event=event,
                    window_started_at=now,
                    next_attempt_at=now,
                    enqueued_at=now,
                )
                for pk in endpoint_ids
            ]
        )
        ids = list(WebhookMessage.objects.filter(event=event).values_list("pk", flat=True))
    for message_id in ids:
        jobs.publish_on_commit(jobs.DELIVER_WEBHOOK, args=[message_id])
    return event


# --- What each kind carries ------------------------------------------------------------------
def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _person(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": display_name(user)}


def _enrollment(enrollment: Enrollment) -> dict[str, Any]:
    cohort = enrollment.cohort
    return {
        "id": enrollment.pk,
        "status": enrollment.status,
        "cohort": {"id": cohort.pk, "name": cohort.name},
        "learner": _person(enrollment.learner),
    }


def _mentor_of(enrollment: Enrollment):
    pairing = enrollment.pairings.filter(ended_at__isnull=True).select_related("mentor__user")
    pairing = pairing.first()
    return _person(pairing.mentor.user) if pairing else None


def _submission(submission: Submission) -> dict[str, Any]:
    return {
        "id": submission.pk,
        "assignment": {
            "id": submission.assignment_id,
            "title": submission.assignment.title,
            "kind": submission.assignment.kind,
        },
        "version": submission.version,
        "url": submission.url,
        "status": submission.status,
        "submitted_at": _iso(submission.submitted_at),
    }


def submission_created(submission_id: int) -> None:
    submission = Submission.objects.select_related(
        "assignment", "enrollment__cohort", "enrollment__learner"
    ).get(pk=submission_id)
    event_record(
        type=SUBMISSION_CREATED,
        key=f"{SUBMISSION_CREATED}:{submission.pk}",
        data={
            "submission": _submission(submission),
            "enrollment": _enrollment(submission.enrollment),
            "mentor": _mentor_of(submission.enrollment),
        },
    )


def review_saved(review_id: int) -> None:
    review = Review.objects.select_related(
        "reviewer",
        "submission__assignment",
        "submission__enrollment__cohort",
        "submission__enrollment__learner",
    ).get(pk=review_id)
    event_record(
        type=REVIEW_SAVED,
        key=f"{REVIEW_SAVED}:{review.pk}",
        data={
            "review": {
                "id": review.pk,
                "verdict": review.verdict,
                "feedback": review.feedback,
                "scores": review.scores,
                "created_at": _iso(review.created_at),
                "reviewer": _person(review.reviewer),
            },
            "submission": _submission(review.submission),
            "enrollment": _enrollment(review.submission.enrollment),
        },
    )


def help_requested(help_request_id: int) -> None:
    help_request = HelpRequest.objects.select_related(
        "enrollment__cohort", "enrollment__learner"
    ).get(pk=help_request_id)
    event_record(
        type=HELP_REQUESTED,
        key=f"{HELP_REQUESTED}:{help_request.pk}",
        data={
            "help_request": {
                "id": help_request.pk,
                "message": help_request.message,
                "created_at": _iso(help_request.created_at),
            },
            "enrollment": _enrollment(help_request.enrollment),
            "mentor": _mentor_of(help_request.enrollment),
        },
    )


def session_changed(session_id: int) -> None:
    """A session that is now missed is an event, once per session."""
    session = (
        MentorSession.objects.select_related(
            "enrollment__cohort", "enrollment__learner", "pairing__mentor__user"
        )
        .filter(pk=session_id, status=MentorSession.Status.MISSED)
        .first()
    )
    if session is None:
        return
    event_record(
        type=SESSION_MISSED,
        key=f"{SESSION_MISSED}:{session.pk}",
        data={
            "session": {
                "id": session.pk,
                "scheduled_at": _iso(session.scheduled_at),
                "duration_minutes": session.duration_minutes,
                "status": session.status,
            },
            "enrollment": _enrollment(session.enrollment),
            "mentor": _person(session.pairing.mentor.user),
        },
    )


def enrollment_status_changed(enrollment_id: int, status: str) -> None:
    enrollment = Enrollment.objects.select_related("cohort", "learner").get(pk=enrollment_id)
    changed_at = enrollment.status_changed_at or clock.now()
    event_record(
        type=ENROLLMENT_STATUS_CHANGED,
        key=f"{ENROLLMENT_STATUS_CHANGED}:{enrollment.pk}:{status}:{changed_at.isoformat()}",
        data={
            "enrollment": _enrollment(enrollment),
            "status": status,
            "status_changed_at": _iso(changed_at),
        },
    )


def pace_changed(
    *,
    enrollment_id: int,
    old_pace: str,
    new_pace: str,
    risk_reasons: list[str],
    previous_risk_reasons: list[str],
    percent_complete: float | None,
    expected_percent: float | None,
    token: str,
    day: str,
) -> None:
    enrollment = (
        Enrollment.objects.select_related("cohort", "learner").filter(pk=enrollment_id).first()
    )
    if enrollment is None:
        return
    event_record(
        type=PACE_CHANGED,
        # The stored row's token and day name the facts the new pace was computed from: two
        # readers computing the same change record it once.
        key=f"{PACE_CHANGED}:{enrollment_id}:{old_pace}:{new_pace}:{day}:{token}",
        data={
            "enrollment": _enrollment(enrollment),
            "old_pace": old_pace,
            "new_pace": new_pace,
            "risk_reasons": risk_reasons,
            "previous_risk_reasons": previous_risk_reasons,
            "percent_complete": percent_complete,
            "expected_percent": expected_percent,
        },
    )
