"""The progress engine: pace, risk and forecast for enrollments, and the cohort matrix.

``fetch`` reads the facts in a fixed number of queries, ``engine`` and ``schedule`` compute on
plain values, ``reports`` puts the two together for callers.
"""

from .engine import NextDue, Progress, Thresholds, pace_for
from .reports import (
    cohort_matrix,
    due_dates,
    enrollment_progress_detail,
    progress_for_enrollments,
    progress_for_rows,
)

__all__ = [
    "NextDue",
    "Progress",
    "Thresholds",
    "cohort_matrix",
    "due_dates",
    "enrollment_progress_detail",
    "pace_for",
    "progress_for_enrollments",
    "progress_for_rows",
]
