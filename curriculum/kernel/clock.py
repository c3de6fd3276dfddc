"""The one clock. Time-dependent code asks here, and tests freeze it with time-machine.

It lives in the kernel so every app can use it without importing upwards.
"""

import datetime as dt

from django.utils import timezone

from .zones import zone


def now() -> dt.datetime:
    """The current aware UTC datetime."""
    return timezone.now()


def today(tz: str | dt.tzinfo | None = None) -> dt.date:
    """Today's date in ``tz`` (a zone name or tzinfo); UTC when not given."""
    if tz is None:
        return now().date()
    return now().astimezone(zone(tz) if isinstance(tz, str) else tz).date()
