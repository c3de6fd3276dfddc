"""Roster import: a CSV of learners into a cohort, all rows or none, invitations by the outbox.

The public face: ``roster_import`` (``services.py``), ``RosterResult``, ``RosterError``
(``parsing.py``). A feature room beside ``tracker.security``: it may import the lower apps, the
kernel, ``tracker.notifications`` (the invitations) and ``tracker.models``; the API action and
the staff page call it, it never imports them.
"""

from .parsing import RosterError
from .services import RosterResult, roster_import

__all__ = ["RosterError", "RosterResult", "roster_import"]
