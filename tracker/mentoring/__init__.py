"""Mentor operations above the apps: booking invitations (emails with an iCalendar part), the
follow-up reminders of a session (``session_unmarked``, ``rate_session``), mentor metrics for
staff and the payout pages' reads.

A room in the band of ``security``, ``roster`` and ``dashboards``: it composes
``notifications`` (the outbox) and ``calendar`` (the session's event UID), which sit below it,
plus ``progress`` and the lower apps. Public face: ``invitations.session_booking_notify``,
``reminders.session_followups_sweep``, ``metrics.mentor_metrics``.
"""
