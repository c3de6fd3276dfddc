"""Schedule arithmetic: pause-shifted due dates and how far the schedule has run on a given day.

Pure functions on dates and ``(start, end)`` pause tuples (inclusive, sorted by start, not
overlapping, as the pause service keeps them), so the property tests can hit them directly.

Two views of the same rule, kept consistent with each other:

* ``shift_due_date``: a due date moves later by the length of every pause that starts on or
  before the (already shifted) due date. The rule belongs to the learners app
  (``learners.models.shifted_due_date``); it is imported here under the engine's name.
* ``schedule_day``: the number of *schedule days* that have run by the end of ``day``, i.e. the
  calendar days since the cohort start minus every paused day up to and including ``day``. A
  paused day does not advance it. An assignment due in week ``w`` is due on the first day whose
  schedule day reaches ``7 * w``, which is exactly ``shift_due_date(start + w weeks, pauses)``.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence

from learners.models import shifted_due_date as shift_due_date

Pause = tuple[dt.date, dt.date]
ONE_DAY = dt.timedelta(days=1)

__all__ = [
    "Pause",
    "active_days_between",
    "due_dates_for",
    "expected_weight",
    "paused_days_through",
    "schedule_day",
    "shift_due_date",
    "weight_curve",
]


def due_dates_for(
    start: dt.date, due_weeks: Iterable[int], pauses: Sequence[Pause]
) -> list[dt.date]:
    """The shifted due dates of assignments due in ``due_weeks`` for a cohort starting ``start``."""
    if not pauses:
        return [start + dt.timedelta(weeks=week) for week in due_weeks]
    return [shift_due_date(start + dt.timedelta(weeks=week), pauses) for week in due_weeks]


def paused_days_through(day: dt.date, pauses: Sequence[Pause]) -> int:
    """How many paused days fall on or before ``day``."""
    total = 0
    for start, end in pauses:
        if start > day:
            break
        total += (min(end, day) - start).days + 1
    return total


def schedule_day(start: dt.date, day: dt.date, pauses: Sequence[Pause]) -> int:
    """Schedule days run by the end of ``day`` (negative before the cohort starts)."""
    return (day - start).days - paused_days_through(day, pauses)


def active_days_between(earlier: dt.date, later: dt.date, pauses: Sequence[Pause]) -> int:
    """Days after ``earlier`` up to and including ``later`` that are not paused."""
    if later <= earlier:
        return 0
    return (later - earlier).days - (
        paused_days_through(later, pauses) - paused_days_through(earlier, pauses)
    )


def weight_curve(weighted_due_weeks: Iterable[tuple[int, int]]) -> tuple[tuple[int, ...], ...]:
    """The cumulative weight due by each distinct due day, from ``(due_week, weight)`` pairs.

    Returns ``(days, cumulative)``: two aligned tuples starting with ``(0, 0)`` at the cohort start.
    """
    by_day: dict[int, int] = {}
    for week, weight in weighted_due_weeks:
        by_day[week * 7] = by_day.get(week * 7, 0) + weight
    days = [0]
    cumulative = [0]
    for day in sorted(by_day):
        if day == 0:
            cumulative[0] += by_day[day]
            continue
        days.append(day)
        cumulative.append(cumulative[-1] + by_day[day])
    return tuple(days), tuple(cumulative)


def expected_weight(curve: tuple[tuple[int, ...], ...], position: float) -> float:
    """The weight the schedule expects done after ``position`` schedule days.

    Exactly the weight due by then on each due day, and linear between consecutive due days (from
    the cohort start to the first), so it grows with every schedule day instead of jumping.
    """
    days, cumulative = curve
    if position <= 0:
        return float(cumulative[0])
    if position >= days[-1]:
        return float(cumulative[-1])
    right = bisect.bisect_right(days, position)
    left = right - 1
    span = days[right] - days[left]
    share = (position - days[left]) / span
    return cumulative[left] + (cumulative[right] - cumulative[left]) * share
