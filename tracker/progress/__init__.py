"""Progress: pace, risk and forecast for enrollments, the cohort report and matrix.

The room's public face is ``selectors`` (re-exported here): every page, endpoint, export
and admin column reads progress through it. Inside: ``fetch`` reads the facts in a fixed
number of queries, ``engine`` and ``schedule`` are the rules on plain values (each written
once), ``reports`` puts the two together, ``snapshots`` keeps one stored report row per
enrollment, ``freshness`` says when those rows are outdated (the one receiver of
``curriculum.kernel.signals.progress_inputs_changed``), ``rendering`` joins stored rows into
a page. May import ``curriculum``, ``learners``, ``mentors`` and ``tracker.models``.
"""

from .engine import ENGINE_VERSION, NextDue, Progress, Thresholds, pace_for
from .selectors import (
    CohortOverview,
    CohortRows,
    LearnerProgress,
    cohort_matrix,
    cohort_matrix_json,
    cohort_overview,
    cohort_progress,
    enrollment_detail,
    learner_progress,
    progress_of,
)
from .snapshots import refreshed_together

__all__ = [
    "ENGINE_VERSION",
    "CohortOverview",
    "CohortRows",
    "LearnerProgress",
    "NextDue",
    "Progress",
    "Thresholds",
    "cohort_matrix",
    "cohort_matrix_json",
    "cohort_overview",
    "cohort_progress",
    "enrollment_detail",
    "learner_progress",
    "pace_for",
    "progress_of",
    "refreshed_together",
]
