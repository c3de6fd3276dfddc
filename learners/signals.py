"""Events of the learners' side for the layers above (``tracker/receivers.py`` listens).

Each is sent only after the write commits (``send_on_commit``), so a rolled-back write
announces nothing. Keyword arguments are ids and plain values only.

- ``submission_created(submission_id)``: a learner submitted a version of an assignment.
- ``help_requested(help_request_id)``: a learner asked their mentor for help.
- ``enrollment_status_changed(enrollment_id, status)``: graduated, withdrawn, reactivated,
  paused or resumed. The top layer ends the active pairing of a withdrawn/graduated enrollment.

``event_recorded(event, **kwargs)`` is sent at once, INSIDE the writer's transaction, for every
event ``send_on_commit`` will announce (``event`` is that signal): for a listener whose row must
commit or roll back with the write (the webhook outbox, ``tracker/webhooks/receivers.py``). A
failing listener there fails the write.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

submission_created = Signal()
help_requested = Signal()
enrollment_status_changed = Signal()
event_recorded = Signal()


def send_on_commit(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside one).

    A failing receiver is logged, not raised: the write it reacts to has already committed.
    ``event_recorded`` is sent first, now, in the writer's transaction.
    """
    event_recorded.send(sender=sender, event=signal, **kwargs)

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error(
                    "Receiver %r of %s failed: %r",
                    receiver,
                    kwargs,
                    result,
                    exc_info=(type(result), result, result.__traceback__),
                )

    transaction.on_commit(send)
