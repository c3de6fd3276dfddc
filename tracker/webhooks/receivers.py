"""Where events come from: receivers that record a webhook event inside the writer's own
transaction, so the outbox row commits (or rolls back) with the fact.

The lower apps announce each event twice: ``learners.signals.event_recorded`` at once, inside
the transaction (listened to here), and the event's own signal after commit (notifications).
The stored pace's change comes from ``tracker.progress.signals.pace_changed``, sent in the
transaction that stores the new progress row. Connected by ``tracker.receivers`` (imported by
``TrackerConfig.ready``).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from learners import signals as learner_signals
from mentors import signals as mentor_signals
from tracker.progress.signals import pace_changed

from . import events


@receiver(learner_signals.event_recorded, dispatch_uid="tracker.webhooks.event_recorded")
def on_event_recorded(sender: Any, event: Any, **kwargs: Any) -> None:
    signal = event
    if signal is learner_signals.submission_created:
        events.submission_created(kwargs["submission_id"])
    elif signal is learner_signals.help_requested:
        events.help_requested(kwargs["help_request_id"])
    elif signal is learner_signals.enrollment_status_changed:
        events.enrollment_status_changed(kwargs["enrollment_id"], kwargs["status"])
    elif signal is mentor_signals.review_created:
        events.review_saved(kwargs["review_id"])
    elif signal is mentor_signals.session_changed:
        events.session_changed(kwargs["session_id"])


@receiver(pace_changed, dispatch_uid="tracker.webhooks.pace_changed")
def on_pace_changed(sender: Any, signal: Any = None, **kwargs: Any) -> None:
    events.pace_changed(**kwargs)
