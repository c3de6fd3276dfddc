"""The one clock. Time-dependent code asks here, and tests freeze it with time-machine.

It lives in the bottom layer so every app can use it without importing upwards.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone


def now() -> dt.datetime:
    """The current aware UTC datetime."""
    return timezone.now()


def today(tz: str | dt.tzinfo | None = None) -> dt.date:
    """Today's date in ``tz`` (a zone name or tzinfo); UTC when not given."""
    if tz is None:
        return now().date()
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return now().astimezone(zone).date()
