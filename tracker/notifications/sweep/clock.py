"""The sweep's notion of time: one instant, each zone's local date, and a replayed past day.
Imports the kernel's clock and zones only."""

from __future__ import annotations

import datetime as dt

from curriculum.kernel import clock
from curriculum.kernel.zones import zone_or_utc


def recipient_zone(*candidates: str | None) -> str:
    """A recipient's zone: the first one given (their preference, then the cohort's or their
    own as a mentor), else UTC."""
    return next((zone for zone in candidates if zone), "UTC")


class SweepClock:
    """One instant for the whole sweep, and each zone's local date at it (or a pinned day)."""

    def __init__(self, now: dt.datetime, day: dt.date | None) -> None:
        self.now = now
        self.day = day
        # A replay never reminds of what has already happened by the real clock.
        self.not_before = max(now, clock.now())
        self._dates: dict[str, dt.date] = {}

    @classmethod
    def for_day(cls, day: dt.date | None = None) -> SweepClock:
        """The clock of a sweep for ``day``: now, or the end of a past day (UTC)."""
        now = clock.now()
        if day is None or day >= now.date():
            return cls(now, None)
        return cls(dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC), day)

    def today(self, zone_name: str) -> dt.date:
        if self.day is not None:
            return self.day
        if zone_name not in self._dates:
            self._dates[zone_name] = self.now.astimezone(zone_or_utc(zone_name)).date()
        return self._dates[zone_name]

    def local_now(self, zone_name: str) -> dt.datetime:
        zone = zone_or_utc(zone_name)
        if self.day is not None:
            # A replayed day is seen as of its last minute, everywhere.
            return dt.datetime.combine(self.day, dt.time(23, 59), tzinfo=zone)
        return self.now.astimezone(zone)

    @staticmethod
    def local_time(moment: dt.datetime, zone_name: str) -> dt.datetime:
        return moment.astimezone(zone_or_utc(zone_name))
