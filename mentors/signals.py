"""Events of the mentors' side for the top layer (``tracker/receivers.py`` listens).

Sent only after the write commits; keyword arguments are ids only.

- ``review_created(review_id)``: a review was saved (the learner's feedback is ready).
- ``session_changed(session_id)``: a mentor session was created or changed.
- ``pairing_changed(pairing_id)``: a pairing started or ended.
- ``session_booking_changed(session_id, change, sequence)``: a session was booked, moved or
  cancelled (``change`` = ``booked`` | ``rescheduled`` | ``cancelled``; ``sequence`` its
  iCalendar SEQUENCE after the change): both people get an invitation.
"""

from django.dispatch import Signal

from learners.signals import send_on_commit

review_created = Signal()
session_changed = Signal()
pairing_changed = Signal()
session_booking_changed = Signal()

__all__ = [
    "pairing_changed",
    "review_created",
    "send_on_commit",
    "session_booking_changed",
    "session_changed",
]
