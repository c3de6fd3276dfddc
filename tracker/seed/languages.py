"""Demo people who read Spanish: the mentor Tomás Herrera (``mentor2``) and two of the
learners (``learner3``, ``learner7``), so the demo shows pages, reminders and emails in Spanish
next to English ones. Idempotent; only the language is set (through the preferences service,
which keeps each person's default time zone)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from tracker.notifications import preferences_for, preferences_update

SPANISH_READERS = ("mentor2", "learner3", "learner7")


def seed_languages() -> list[str]:
    """Set the demo's Spanish readers; returns the usernames that exist and read Spanish."""
    readers = []
    for user in get_user_model().objects.filter(username__in=SPANISH_READERS).order_by("username"):
        if preferences_for(user).language != "es":
            preferences_update(actor=user, language="es")
        readers.append(user.username)
    return readers
