"""The progress room's public face: every read of progress, for every page and endpoint.

Each selector takes ``fetched_by`` and applies the caller's scope (``ENROLLMENT_RULE``), so an
enrollment out of scope is simply absent. All answers come from the same two sources:

* the stored report rows (``snapshots``: one row per enrollment, refreshed when stale) for
  anything that lists learners: a cohort's progress page and CSV (``cohort_progress``), the
  web lists and the staff "at risk" list (``learner_progress``, ``cohort_overview``), one
  learner's summary (``progress_of``) and the admin's pace column;
* the engine's rules (``engine``, ``schedule``) over facts read in a fixed number of queries
  (``fetch``) for what the stored row does not hold: one enrollment's per-module and
  per-assignment detail (``enrollment_detail``) and the matrix (``cohort_matrix``), whose cell
  status and ``overdue`` use the very rule the engine counts ``overdue_count`` with.

Imports: ``curriculum`` and ``learners`` (models, rules, the kernel) and the room's own
modules; nothing else of ``tracker``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from curriculum.kernel.access import scope
from curriculum.kernel.names import display_name
from curriculum.models import Cohort
from curriculum.rules import COHORT_RULE
from learners.models import Enrollment
from learners.rules import ENROLLMENT_RULE

from . import csv_lines, fetch, reports, snapshots
from .engine import Progress, needs_attention, urgency
from .rendering import EncodedJSON, StoredRows

# Default order of every list of learners: by name, then id (stable pages).
BY_NAME = ("learner__last_name", "learner__first_name", "id")


def _enrollments(fetched_by: Any, **filters: Any) -> QuerySet[Enrollment]:
    return scope(Enrollment.objects.filter(**filters), ENROLLMENT_RULE, fetched_by)


# --- One enrollment ---------------------------------------------------------------------------
def enrollment_detail(*, fetched_by: Any, enrollment: Enrollment) -> dict[str, Any]:
    """Progress fields plus per-module and per-assignment status and (pause-shifted) due
    dates, JSON-ready (``enrollments/{id}/progress/``, the learner's home). Raises
    ``Enrollment.DoesNotExist`` outside the caller's scope.

    Read from the enrollment's stored progress row (one query) when it is fresh; computed
    from the facts (eight queries) when the row is missing or outdated."""
    enrollments = _enrollments(fetched_by, pk=enrollment.pk)
    stored = snapshots.stored_detail(enrollments)
    if stored is not None:
        return stored
    return reports.enrollment_progress_detail(enrollments)


def progress_of(*, fetched_by: Any, enrollment_ids: Iterable[int]) -> dict[int, Progress]:
    """The progress of these enrollments that the caller may read, keyed by id, from their
    stored rows (the staff enrollment page, the admin's pace column)."""
    ids = list(dict.fromkeys(enrollment_ids))
    visible = set(_enrollments(fetched_by, pk__in=ids).values_list("pk", flat=True))
    return snapshots.progress_of(pk for pk in ids if pk in visible)


# --- Many learners (web pages) ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LearnerProgress:
    enrollment: Enrollment
    name: str
    progress: Progress


def learner_progress(
    *, fetched_by: Any, cohort: Cohort | None = None, include_withdrawn: bool = False
) -> list[LearnerProgress]:
    """Every enrollment the caller may read (of ``cohort`` if given), by name, with its
    progress from the stored rows: the mentor dashboard and the staff cohort page."""
    enrollments = _enrollments(fetched_by).select_related("learner", "cohort")
    if cohort is not None:
        enrollments = enrollments.filter(cohort_id=cohort.pk)
    if not include_withdrawn:
        enrollments = enrollments.exclude(status=Enrollment.Status.WITHDRAWN)
    enrollments = list(enrollments.order_by(*BY_NAME))
    progress = snapshots.progress_of(enrollment.pk for enrollment in enrollments)
    return [
        LearnerProgress(enrollment, display_name(enrollment.learner), progress[enrollment.pk])
        for enrollment in enrollments
        if enrollment.pk in progress
    ]


@dataclass(frozen=True, slots=True)
class CohortOverview:
    """The staff cohort page's progress: every learner still in the cohort, those who need
    attention (most urgent first), and the matrix of those learners."""

    rows: list[LearnerProgress]
    at_risk: list[LearnerProgress]
    matrix: dict[str, list[Any]]  # reports.cohort_grid: the heat map of the staff page


def cohort_overview(*, fetched_by: Any, cohort: Cohort) -> CohortOverview:
    rows = learner_progress(fetched_by=fetched_by, cohort=cohort)
    at_risk = sorted(
        (row for row in rows if needs_attention(row.progress)),
        key=lambda row: (urgency(row.progress.pace), row.name),
    )
    matrix = reports.cohort_grid(
        cohort,
        Enrollment.objects.filter(pk__in=[row.enrollment.pk for row in rows]).order_by(*BY_NAME),
    )
    return CohortOverview(rows=rows, at_risk=at_risk, matrix=matrix)


# --- A cohort's report (API page and CSV) and matrix -------------------------------------------
class CohortRows:
    """A cohort's report rows in the caller's scope, in order, as a sequence Django's paginator
    counts and slices: only the rows of the slice asked for are read, as their stored JSON
    text. With a ``pace`` every row is read, since pace is computed, not a column."""

    ordered = True

    def __init__(
        self,
        enrollments: QuerySet[Enrollment] | None,
        cohort: Cohort,
        pace: str | None,
        *,
        ids: Any = None,
    ) -> None:
        """``enrollments``: the ordered queryset, or None for every enrollment of ``cohort``
        with ``ids`` (anything with ``count()`` and slicing) giving them in order."""
        self.enrollments = enrollments
        self.cohort = cohort
        self.ids = ids if ids is not None else enrollments.values_list("pk", flat=True)
        self.timezone = cohort.timezone
        self.pace = pace
        self._paced: list[str] | None = None

    def _rows_of_pace(self) -> list[str]:
        if self._paced is None:
            rows = StoredRows(self._texts(list(self.ids[0 : self.ids.count()])))
            self._paced = [
                text for text, row in zip(rows.texts, rows, strict=True) if row["pace"] == self.pace
            ]
        return self._paced

    def _scope_for(self, ids: list[int]) -> Any:
        # Beyond MAX_ID_LIST rows (a large cohort's CSV) the engine reads the rows that are not
        # fresh through the queryset as a subquery rather than a long list of ids.
        if len(ids) <= fetch.MAX_ID_LIST:
            return None
        if self.enrollments is None:
            return Enrollment.objects.filter(cohort_id=self.cohort.pk)
        return self.enrollments

    def _texts(self, ids: list[int]) -> list[str]:
        return snapshots.page_texts(ids, self.timezone, scope=self._scope_for(ids))

    def export_lines(self) -> Iterator[str]:
        """The CSV export: its header, then every row's line (stored with the row, so nothing
        is parsed unless a pace is asked for, which needs the rows' JSON)."""
        yield csv_lines.header()
        if self.pace:
            yield from (csv_lines.line(row) for row in StoredRows(self._rows_of_pace()))
            return
        ids = list(self.ids[0 : self.ids.count()])
        yield from snapshots.page_csv_lines(ids, self.timezone, scope=self._scope_for(ids))

    def count(self) -> int:
        return len(self._rows_of_pace()) if self.pace else self.ids.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[str]:
        if not isinstance(index, slice):
            raise TypeError("Report rows are read by slices.")
        if self.pace:
            return self._rows_of_pace()[index]
        return self._texts(list(self.ids[index]))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every row, parsed (the CSV)."""
        if self.pace:
            return iter(StoredRows(self._rows_of_pace()))
        return iter(StoredRows(self._texts(list(self.ids[0 : self.ids.count()]))))


@functools.cache
def _compiled(name: str) -> str:
    """The SQL the ORM compiles for one of the progress page's hot reads, compiled once per
    process (compiling costs more than running them, and the page is read after every write:
    figure 2 of docs/PERFORMANCE.md). Each takes one id parameter; ``roster_page`` two more,
    the page's size and offset."""
    if name == "cohort":
        queryset = Cohort.objects.filter(pk=0).values_list("pk", "timezone")
    elif name == "roster_count":
        queryset = Enrollment.objects.filter(cohort_id=0).order_by().values_list("pk")
    else:
        queryset = Enrollment.objects.filter(cohort_id=0).order_by(*BY_NAME).values_list("pk")
    sql, params = queryset.query.sql_with_params()
    if list(params) != [0]:
        raise ImproperlyConfigured(f"Unexpected {name} query parameters: {params!r}")
    if name == "roster_count":
        return f"SELECT COUNT(*) FROM ({sql}) roster"
    if name == "roster_page":
        return f"{sql} LIMIT %s OFFSET %s"
    return sql


def _run_compiled(name: str, *params: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_compiled(name), list(params))
        return cursor.fetchall()


def _cohort_in_scope(fetched_by: Any, cohort_id: int | str) -> Cohort:
    """The cohort (its id and time zone) if the caller may read it; 404 otherwise."""
    try:
        pk = int(cohort_id)
    except (TypeError, ValueError):
        raise Http404("No cohort matches the given query.") from None
    condition = COHORT_RULE.readable_by(fetched_by)
    if condition == Q():
        found = _run_compiled("cohort", pk)
    else:
        visible = scope(Cohort.objects.all(), COHORT_RULE, fetched_by, condition=condition)
        found = list(visible.filter(pk=pk).values_list("pk", "timezone")[:1])
    if not found:
        raise Http404("No cohort matches the given query.")
    return Cohort(pk=found[0][0], timezone=found[0][1])


class _Roster:
    """A cohort's every enrollment id in name order, counted and paged with the ORM's own SQL
    compiled once: what ``cohort_progress`` lists when the caller's scope is everything and
    nothing narrows the listing."""

    def __init__(self, cohort_id: int) -> None:
        self.cohort_id = cohort_id

    def count(self) -> int:
        return _run_compiled("roster_count", self.cohort_id)[0][0]

    def __getitem__(self, index: slice) -> list[int]:
        start, stop, _ = index.indices(self.count() if index.stop is None else index.stop)
        rows = _run_compiled("roster_page", self.cohort_id, max(0, stop - start), start)
        return [row[0] for row in rows]


def cohort_progress(
    *,
    fetched_by: Any,
    cohort_id: int | str,
    narrow: Callable[[QuerySet[Enrollment]], QuerySet[Enrollment]] | None = None,
    pace: str | None = None,
) -> CohortRows:
    """The report rows of every enrollment of the cohort in the caller's scope
    (``cohorts/{id}/progress/`` and ``progress.csv``): ``narrow`` applies the interface's
    filters and ordering (``?status=``, ``?ordering=``) to the enrollments, ``pace`` keeps the
    rows of one pace; by name when no order is asked for. Raises ``Http404`` when the caller
    may not read the cohort (reads need no other object check)."""
    cohort = _cohort_in_scope(fetched_by, cohort_id)
    everything = Enrollment.objects.all()
    enrollments = scope(everything, ENROLLMENT_RULE, fetched_by)
    if narrow is not None:
        enrollments = narrow(enrollments)
    if enrollments is everything:
        # The default listing of a caller who sees every enrollment (staff): the same ids the
        # ordered queryset below gives, without building and compiling it.
        return CohortRows(None, cohort, pace or None, ids=_Roster(cohort.pk))
    enrollments = enrollments.filter(cohort_id=cohort.pk)
    if not enrollments.query.order_by:
        enrollments = enrollments.order_by(*BY_NAME)
    return CohortRows(enrollments, cohort, pace or None)


def cohort_matrix(
    *, fetched_by: Any, cohort: Cohort, today: dt.date | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The whole cohort at a glance (``cohorts/{id}/matrix/``): one cell per enrollment the
    caller may read x assignment, JSON-ready."""
    return reports.cohort_matrix(cohort, _enrollments(fetched_by), today=today)


def cohort_matrix_json(
    *, fetched_by: Any, cohort: Cohort, today: dt.date | None = None
) -> EncodedJSON:
    """``cohort_matrix`` as the API's JSON text, written without a dict per cell."""
    return reports.cohort_matrix_json(cohort, _enrollments(fetched_by), today=today)
