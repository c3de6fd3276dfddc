"""Stored progress report rows, one per enrollment (``tracker.models.ProgressSnapshot``): the
read model of the cohort progress page and of the web pages that list many learners.

Computing progress takes a handful of queries and the engine's Python for every enrollment; a
page reads the stored rows of the enrollments it shows instead (one query, by id) and computes
only the rows that are not fresh:

* a write that can move an enrollment's progress gives its row a new token in the writer's own
  transaction (``outdate``, called by ``freshness`` when a service announces
  ``progress_inputs_changed``), and once that transaction commits computes the row again
  (``refresh``), so the next reader finds it fresh;
* a row is fresh when it was computed under its current token, for the cohort's local date (due
  dates, pace and "inactive" move with the day) and under the current ``basis`` (the
  thresholds and ``engine.ENGINE_VERSION``, so a release or a setting that changes the answers
  never reads an older one);
* whoever computes a row stores it only if its token is still the one read *before* the facts
  were read: a write that commits meanwhile has replaced the token, so an answer computed from
  older facts is never stored over it;
* an hourly task (``refresh_stale``) computes the rows a new day or a wide write outdated.

A row is stored as the JSON text DRF's renderer writes, so a page can join rows without parsing
them (``page_texts``, ``rendering``); ``progress_of`` gives ``Progress`` values. Callers
outside the room use ``selectors``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import secrets
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from curriculum.kernel import clock
from curriculum.kernel.names import display_name_of
from curriculum.models import Cohort
from learners.models import Enrollment
from mentors.models import Mentor, Pairing
from tracker.models import ProgressSnapshot

from . import csv_lines, fetch
from .engine import ENGINE_VERSION, Progress, Thresholds, db_date, db_datetime
from .fetch import TodayByZone
from .rendering import to_json
from .reports import details_for_rows
from .signals import pace_changed

logger = logging.getLogger(__name__)
# The enrollment ids a ``refreshed_together`` block collects, per thread (None outside one).
_batch = threading.local()

# The stored row's columns among ``REPORT_COLUMNS``.
TOKEN = "progress_snapshot__token"
COMPUTED = "progress_snapshot__computed"
DAY = "progress_snapshot__day"
BASIS = "progress_snapshot__basis"
DATA = "progress_snapshot__data"
DETAIL = "progress_snapshot__detail"
SNAPSHOT_FIELDS = (TOKEN, COMPUTED, DAY, BASIS, DATA)

# The columns of ``report_rows``: the enrollment's fields the engine reads
# (``fetch.ENROLLMENT_FIELDS``), the learner's, the stored progress and the active mentor.
REPORT_COLUMNS = (
    *fetch.ENROLLMENT_FIELDS,
    "learner_id",
    "learner__username",
    "learner__first_name",
    "learner__last_name",
    *SNAPSHOT_FIELDS,
    "mentor_id",
    "mentor__first_name",
    "mentor__last_name",
    "mentor__username",
)

_TABLE = ProgressSnapshot._meta.db_table
_ENROLLMENTS = Enrollment._meta.db_table


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    """``ids`` in lists short enough for one ``IN (...)`` (``fetch.MAX_ID_LIST``)."""
    for start in range(0, len(ids), fetch.MAX_ID_LIST):
        yield ids[start : start + fetch.MAX_ID_LIST]


@functools.cache
def _report_sql() -> str:
    """``report_rows``' query without its id list: one statement of plain joins, written out
    because the ORM's building of it would cost more than running it."""
    users = get_user_model()._meta.db_table
    return (
        "SELECT e.{id}, e.{status}, e.{enrolled_at}, e.{status_changed_at}, e.{cohort_id}, "
        "c.{start_date}, c.{timezone}, c.{program_id}, e.{learner_id}, "
        "u.{username}, u.{first_name}, u.{last_name}, "
        "s.{token}, s.{computed}, s.{day}, s.{basis}, s.{data}, "
        "p.{mentor_id}, mu.{first_name}, mu.{last_name}, mu.{username} "
        "FROM {enrollments} e "
        "INNER JOIN {cohorts} c ON c.{id} = e.{cohort_id} "
        "INNER JOIN {users} u ON u.{id} = e.{learner_id} "
        "LEFT OUTER JOIN {snapshots} s ON s.{enrollment_id} = e.{id} "
        "LEFT OUTER JOIN {pairings} p ON p.{enrollment_id} = e.{id} AND p.{ended_at} IS NULL "
        "LEFT OUTER JOIN {mentors} m ON m.{id} = p.{mentor_id} "
        "LEFT OUTER JOIN {users} mu ON mu.{id} = m.{user_id} "
        "WHERE e.{id} IN ({{marks}})"
    ).format(
        enrollments=_q(_ENROLLMENTS),
        cohorts=_q(Cohort._meta.db_table),
        users=_q(users),
        snapshots=_q(_TABLE),
        pairings=_q(Pairing._meta.db_table),
        mentors=_q(Mentor._meta.db_table),
        **{
            name: _q(name)
            for name in (
                "id",
                "status",
                "enrolled_at",
                "status_changed_at",
                "cohort_id",
                "start_date",
                "timezone",
                "program_id",
                "learner_id",
                "username",
                "first_name",
                "last_name",
                "token",
                "computed",
                "day",
                "basis",
                "data",
                "mentor_id",
                "enrollment_id",
                "ended_at",
                "user_id",
            )
        },
    )


def report_rows(enrollment_ids: list[int]) -> list[dict[str, Any]]:
    """The ``REPORT_COLUMNS`` of these enrollments (one query per ``fetch.MAX_ID_LIST``), in
    the order given; missing ids are left out. Values are as the driver gives them:
    ``progress_of_rows`` converts the few it uses."""
    found: dict[int, dict[str, Any]] = {}
    template = _report_sql()
    with connection.cursor() as cursor:
        for chunk in _chunks(enrollment_ids):
            cursor.execute(template.format(marks=", ".join(["%s"] * len(chunk))), chunk)
            for values in cursor.fetchall():
                found[values[0]] = dict(zip(REPORT_COLUMNS, values, strict=True))
    return [found[pk] for pk in enrollment_ids if pk in found]


def new_token() -> str:
    """A random token: a rolled-back write can never leave a reused value behind."""
    return secrets.token_hex(8)


def basis() -> str:
    """What every stored row must have been computed under: the engine's version (bumped by
    hand when its answers change, ``engine.ENGINE_VERSION``) and the thresholds."""
    return (
        f"{ENGINE_VERSION}:"
        + hashlib.blake2b(repr(Thresholds.from_settings()).encode(), digest_size=8).hexdigest()
    )


def _upsert_sql(condition: str) -> str:
    """New tokens for the enrollments matching ``condition`` (on the enrollment table ``e``),
    creating the rows that are missing, in one statement; rows in id order, so two writers
    lock shared rows alike. ``WHERE`` is never empty: SQLite needs it before ``ON CONFLICT``."""
    return (
        f"INSERT INTO {_q(_TABLE)} ({_q('enrollment_id')}, {_q('token')}, {_q('computed')}, "
        f"{_q('basis')}, {_q('data')}) "
        f"SELECT e.{_q('id')}, %s, '', '', '' FROM {_q(_ENROLLMENTS)} e "
        f"WHERE {condition} ORDER BY e.{_q('id')} "
        f"ON CONFLICT ({_q('enrollment_id')}) DO UPDATE SET {_q('token')} = excluded.{_q('token')}"
    )


def _in(column: str, values: list[int]) -> str:
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _active_pairings(condition: str) -> str:
    """Enrollments (``e``) whose active pairing matches ``condition`` (on ``p`` and ``m``)."""
    return (
        f"e.{_q('id')} IN (SELECT p.{_q('enrollment_id')} FROM {_q(Pairing._meta.db_table)} p "
        f"INNER JOIN {_q(Mentor._meta.db_table)} m ON m.{_q('id')} = p.{_q('mentor_id')} "
        f"WHERE p.{_q('ended_at')} IS NULL AND {condition})"
    )


def outdate(
    enrollment_ids: Iterable[int] | None = None,
    *,
    cohort_ids: Iterable[int] = (),
    program_ids: Iterable[int] = (),
    learner_ids: Iterable[int] = (),
    mentor_ids: Iterable[int] = (),
    mentor_user_ids: Iterable[int] = (),
    everything: bool = False,
) -> None:
    """New tokens, in the caller's transaction, for the snapshots of the enrollments given; of
    every enrollment of ``cohort_ids``, of ``program_ids``' cohorts, of ``learner_ids``
    (users), or mentored now by ``mentor_ids`` or by the mentors of ``mentor_user_ids``
    (users); or of ``everything``.

    Enrollments given by id are computed again once the transaction commits (``refresh``);
    the wider kinds (rare: a name, a cohort's dates, an assignment, a seed) are left to their
    readers.
    """
    ids = sorted({pk for pk in enrollment_ids or () if pk})
    token = new_token()
    conditions: list[tuple[str, list[int]]] = []
    if everything:
        conditions.append(("1 = 1", []))
    else:
        for chunk in _chunks(ids):
            conditions.append((_in(f"e.{_q('id')}", chunk), chunk))
        cohort_table = _q(Cohort._meta.db_table)
        for values, condition in (
            (cohort_ids, lambda v: _in(f"e.{_q('cohort_id')}", v)),
            (
                program_ids,
                lambda v: (
                    f"e.{_q('cohort_id')} IN (SELECT {_q('id')} FROM {cohort_table} "
                    f"WHERE {_in(_q('program_id'), v)})"
                ),
            ),
            (learner_ids, lambda v: _in(f"e.{_q('learner_id')}", v)),
            (mentor_ids, lambda v: _active_pairings(_in(f"m.{_q('id')}", v))),
            (mentor_user_ids, lambda v: _active_pairings(_in(f"m.{_q('user_id')}", v))),
        ):
            wanted = sorted({pk for pk in values if pk})
            if wanted:
                conditions.append((condition(wanted), wanted))
    if not conditions:
        return
    with connection.cursor() as cursor:
        for condition, params in conditions:
            cursor.execute(_upsert_sql(condition), [token, *params])
    if ids and not everything:
        batch = getattr(_batch, "ids", None)
        if batch is not None:
            batch.update(ids)
        else:
            transaction.on_commit(functools.partial(refresh, ids), robust=True)


@contextlib.contextmanager
def refreshed_together() -> Iterator[None]:
    """Rows outdated by id inside the block are computed again in ONE refresh after the
    commit, instead of one per write: a roster import creates thousands of enrollments, and a
    refresh computes many rows for little more than the cost of one. Nested blocks join the
    outermost; a block that raises schedules nothing (its transaction rolls back)."""
    if getattr(_batch, "ids", None) is not None:
        yield
        return
    _batch.ids = ids = set()
    try:
        yield
    finally:
        _batch.ids = None
    if ids:
        transaction.on_commit(functools.partial(refresh, sorted(ids)), robust=True)


def forget(enrollment_ids: Iterable[int]) -> None:
    """Remove deleted enrollments' rows."""
    ids = [pk for pk in enrollment_ids if pk]
    if ids:
        ProgressSnapshot.objects.filter(enrollment_id__in=ids).delete()


def refresh(enrollment_ids: list[int]) -> dict[int, str]:
    """The report rows, as JSON text, of these enrollments (any cohorts): the rows not fresh
    computed and stored (what a write's commit and the hourly task run), the others read."""
    texts: dict[int, str] = {}
    for chunk in _chunks(enrollment_ids):
        texts.update(report_texts(report_rows(chunk)))
    return texts


def progress_of(enrollment_ids: Iterable[int]) -> dict[int, Progress]:
    """The progress of these enrollments (any cohorts), keyed by id, from their stored rows
    (computed where not fresh): for the pages that show many learners at once."""
    texts = refresh(list(dict.fromkeys(enrollment_ids)))
    return {pk: Progress.from_dict(json.loads(text)) for pk, text in texts.items()}


def refresh_stale() -> int:
    """Compute and store every report row that is not fresh: the day has turned in its
    cohort's time zone, a wide write (a name, a cohort's dates, an assignment, a seed) or a
    release outdated it, or it was never computed. What the hourly task runs, so the day's
    first readers find their rows ready. Returns how many rows were looked at again."""
    current = basis()
    looked_at = 0
    for cohort_id, timezone in Cohort.objects.order_by("pk").values_list("pk", "timezone"):
        today = clock.today(timezone)
        rows = (
            Enrollment.objects.filter(cohort_id=cohort_id)
            .order_by("pk")
            .values_list("pk", TOKEN, COMPUTED, DAY, BASIS)
        )
        stale = [pk for pk, *row in rows if not is_fresh(*row, today=today, current=current)]
        # Rows refreshed meanwhile (by a reader or a writer) are not computed twice.
        refresh(stale)
        looked_at += len(stale)
    return looked_at


def stored_detail(enrollments: Any) -> dict[str, Any] | None:
    """The progress detail stored with the one enrollment of ``enrollments`` (a queryset
    scoped to the caller), read in one query; None when the row is missing, not fresh or
    stored before the detail was (the caller computes it then). Raises
    ``Enrollment.DoesNotExist`` when the queryset holds no enrollment."""
    found = enrollments.values_list(TOKEN, COMPUTED, DAY, BASIS, DETAIL, "cohort__timezone")[:2]
    if len(found) != 1:
        raise Enrollment.DoesNotExist("No enrollment in scope.")
    ((token, computed, day, row_basis, detail, timezone),) = found
    if not detail or not is_fresh(
        token, computed, day, row_basis, today=clock.today(timezone), current=basis()
    ):
        return None
    return json.loads(detail)


def report_row(row: dict[str, Any], progress: dict[str, Any]) -> dict[str, Any]:
    """One row of a cohort's progress report: the progress fields (``Progress.as_dict()``),
    the learner, the active mentor and the enrollment's status. Stored whole, as JSON."""
    if row["mentor_id"] is None:
        mentor = None
    else:
        mentor = {
            "id": row["mentor_id"],
            "name": display_name_of(
                row["mentor__first_name"], row["mentor__last_name"], row["mentor__username"]
            ),
        }
    return {
        **progress,
        "learner": {
            "id": row["learner_id"],
            "username": row["learner__username"],
            "name": display_name_of(
                row["learner__first_name"], row["learner__last_name"], row["learner__username"]
            ),
        },
        "mentor": mentor,
        "status": row["status"],
    }


def is_fresh(
    token: Any, computed: Any, day: Any, row_basis: Any, *, today: Any, current: str
) -> bool:
    return (
        token is not None and computed == token and db_date(day) == today and row_basis == current
    )


@functools.cache
def _stored_sql() -> str:
    return (
        f"SELECT {_q('enrollment_id')}, {_q('token')}, {_q('computed')}, {_q('day')}, "
        f"{_q('basis')}, {_q('data')}, {_q('csv')} FROM {_q(_TABLE)} "
        f"WHERE {_q('enrollment_id')} IN ({{marks}})"
    )


def page_texts(enrollment_ids: list[int], timezone: str, *, scope: Any = None) -> list[str]:
    """The report rows, as JSON text, of these enrollments of one cohort (``timezone`` is
    its), in the order given: as stored where fresh (one query per ``fetch.MAX_ID_LIST``), the
    rest computed and stored.

    ``scope`` is the queryset the ids came from (see ``progress_for_rows``)."""
    return _page(enrollment_ids, timezone, scope=scope, csv=False)


def page_csv_lines(enrollment_ids: list[int], timezone: str, *, scope: Any = None) -> list[str]:
    """The same rows as ``page_texts``, each as its line of the CSV export
    (``csv_lines.line``): the stored line where the row is fresh, so the export parses nothing."""
    return _page(enrollment_ids, timezone, scope=scope, csv=True)


def _page(enrollment_ids: list[int], timezone: str, *, scope: Any, csv: bool) -> list[str]:
    current = basis()
    today = clock.today(timezone)
    stored: dict[int, tuple] = {}
    template = _stored_sql()
    with connection.cursor() as cursor:
        for chunk in _chunks(enrollment_ids):
            if connection.vendor == "postgresql":
                # One array parameter: psycopg parses a query of hundreds of placeholders
                # again on every call (about a tenth of the CSV's CPU at 500 rows).
                sql = template.replace("IN ({marks})", "= ANY(%s)")
                cursor.execute(sql, [list(chunk)])
            else:
                cursor.execute(template.format(marks=", ".join(["%s"] * len(chunk))), chunk)
            for pk, *values in cursor.fetchall():
                stored[pk] = values
    texts: dict[int, str] = {}
    stale: list[int] = []
    for pk in enrollment_ids:
        found = stored.get(pk)
        if found is not None and is_fresh(*found[:4], today=today, current=current):
            if not csv:
                texts[pk] = found[4]
            else:
                # A row stored before the CSV column existed has no line yet: written from
                # its JSON (it gets one the next time it is computed).
                texts[pk] = found[5] or csv_lines.line(json.loads(found[4]))
        else:
            stale.append(pk)
    if stale:
        computed = report_texts(report_rows(stale), scope=scope)
        if csv:
            computed = {pk: csv_lines.line(json.loads(text)) for pk, text in computed.items()}
        texts.update(computed)
    return [texts[pk] for pk in enrollment_ids if pk in texts]


def report_texts(rows: list[dict[str, Any]], *, scope: Any = None) -> dict[int, str]:
    """The report rows, as JSON text, of enrollments loaded by ``report_rows``: as stored where
    fresh; the rest computed by the engine and stored.

    ``scope`` is the queryset the rows came from (see ``progress_for_rows``)."""
    current = basis()
    today_for = TodayByZone()
    texts: dict[int, str] = {}
    stale: list[dict[str, Any]] = []
    for row in rows:
        today = today_for(row["cohort__timezone"])
        if is_fresh(row[TOKEN], row[COMPUTED], row[DAY], row[BASIS], today=today, current=current):
            texts[row["pk"]] = row[DATA]
        else:
            stale.append(
                {
                    **row,
                    "enrolled_at": db_datetime(row["enrolled_at"]),
                    "status_changed_at": db_datetime(row["status_changed_at"]),
                    "cohort__start_date": db_date(row["cohort__start_date"]),
                }
            )
    if not stale:
        return texts
    progress, details = details_for_rows(stale, scope=scope)
    computed: dict[int, tuple[str, str, str]] = {}
    for row in stale:
        found = progress.get(row["pk"])
        if found is not None:
            report = report_row(row, found.as_dict())
            data = to_json(report)
            computed[row["pk"]] = (data, csv_lines.line(report), to_json(details[row["pk"]]))
            texts[row["pk"]] = data
    _store(stale, computed, today_for, current)
    return texts


class PaceChangeNotRecorded(Exception):
    """A receiver of ``pace_changed`` failed; the rows of that store are not stored."""


def _pace_change(row: dict[str, Any], data: str, token: str, day: Any) -> dict[str, Any] | None:
    """What ``pace_changed`` says when the newly computed ``data`` has another pace than the
    row held (None when it had none yet or the pace is the same)."""
    if not row[DATA]:
        return None
    try:
        before = json.loads(row[DATA])
    except ValueError:
        return None
    after = json.loads(data)
    if not before.get("pace") or before.get("pace") == after.get("pace"):
        return None
    return {
        "enrollment_id": row["pk"],
        "old_pace": before["pace"],
        "new_pace": after["pace"],
        "risk_reasons": after.get("risk_reasons", []),
        "previous_risk_reasons": before.get("risk_reasons", []),
        "percent_complete": after.get("percent_complete"),
        "expected_percent": after.get("expected_percent"),
        "token": token,
        "day": str(day),
    }


def _store(
    rows: list[dict[str, Any]],
    computed: dict[int, tuple[str, str, str]],
    today_for: TodayByZone,
    current_basis: str,
) -> None:
    """Store computed rows whose token is still the one read with them (a missing row is
    created, unless a writer created it meanwhile). Storing is an optimisation: a failure
    (e.g. a locked SQLite file) is logged and the answers are served all the same."""
    updates: list[tuple[Any, ...]] = []
    pace_updates: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    inserts: list[ProgressSnapshot] = []
    adapt_day = connection.ops.adapt_datefield_value
    for row in rows:
        found = computed.get(row["pk"])
        if found is None:
            continue
        data, line, detail = found
        day = today_for(row["cohort__timezone"])
        token = row[TOKEN]
        if token is None:
            fresh_token = new_token()
            inserts.append(
                ProgressSnapshot(
                    enrollment_id=row["pk"],
                    token=fresh_token,
                    computed=fresh_token,
                    day=day,
                    basis=current_basis,
                    data=data,
                    csv=line,
                    detail=detail,
                )
            )
        else:
            update = (token, adapt_day(day), current_basis, data, line, detail, row["pk"], token)
            change = _pace_change(row, data, token, day)
            if change is None:
                updates.append(update)
            else:
                pace_updates.append((update, change))
    sql = (
        f"UPDATE {_q(_TABLE)} SET {_q('computed')} = %s, {_q('day')} = %s, {_q('basis')} = %s, "
        f"{_q('data')} = %s, {_q('csv')} = %s, {_q('detail')} = %s "
        f"WHERE {_q('enrollment_id')} = %s AND {_q('token')} = %s"
    )
    try:
        with transaction.atomic():
            if updates:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, updates)
            if inserts:
                ProgressSnapshot.objects.bulk_create(inserts, ignore_conflicts=True)
            # A row whose pace moved is stored alone: the change is announced only if this
            # store is the one that counts (its token still current), in the same transaction.
            for update, change in pace_updates:
                with connection.cursor() as cursor:
                    cursor.execute(sql, update)
                    stored = cursor.rowcount == 1
                if stored:
                    for receiver, result in pace_changed.send_robust(
                        sender=ProgressSnapshot, **change
                    ):
                        if isinstance(result, Exception):
                            # The change must be told with the row that shows it, or not at
                            # all: the row stays stale and the next reader tells it again.
                            raise PaceChangeNotRecorded(f"{receiver!r}: {result!r}") from result
    except (DatabaseError, PaceChangeNotRecorded):
        logger.warning("Progress snapshots not stored; they are computed again", exc_info=True)
