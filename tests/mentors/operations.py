"""Helpers of the mentor-operations tests: slots for the world's mentors, instants in zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from mentors.models import Availability


def at(zone: str, *args: int) -> dt.datetime:
    """A wall-clock time in ``zone`` as a UTC instant."""
    return dt.datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def weekly(mentor, weekday: int, hour: int, minute: int = 0, minutes: int = 45) -> Availability:
    return Availability.objects.create(
        mentor=mentor, weekday=weekday, start_time=dt.time(hour, minute), duration_minutes=minutes
    )


def max_with_thursdays(world, url: str = "https://meet.example.com/max") -> None:
    """Max (Madrid) meets on Thursdays at 10:00 and 11:00 his time, 45 minutes, with a link."""
    world.mentor.meeting_url = url
    world.mentor.save()
    weekly(world.mentor, 3, 10)
    weekly(world.mentor, 3, 11)
