"""The span of dates Stride accepts from people, for every form and API field alike.

Dates and instants outside it are typing mistakes, and far-off values would overflow the date
arithmetic of due dates and pauses. Imports nothing of Stride.
"""

from __future__ import annotations

import datetime as dt

EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


def in_accepted_span(value: dt.date) -> bool:
    """Whether ``value`` lies between ``EARLIEST_DATE`` and ``LATEST_DATE`` (both included)."""
    return EARLIEST_DATE <= value <= LATEST_DATE
