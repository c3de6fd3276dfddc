"""Time zones by name, built once per name: the engine, the sweep and the pages ask for the
same handful of zones thousands of times per run."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (a valid IANA name: stored zones are validated on write)."""
    return ZoneInfo(name)


@functools.cache
def zone_or_utc(name: str | None) -> ZoneInfo:
    """The zone called ``name``, or UTC when it is empty or unknown (a preference written
    before its zone was validated must not stop a reminder)."""
    try:
        return zone(name or "UTC")
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return zone("UTC")
