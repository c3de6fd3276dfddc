"""Writing the sweep's reminders: bounded batches, one statement each, on a second connection.

``INSERT … SELECT … FROM <batch as JSON> ON CONFLICT (dedupe_key) DO NOTHING RETURNING``: the
unique key decides what is new, and ``RETURNING`` tells this sweep's rows from a concurrent
one's. A dry run reads which keys are free instead. One sweep stamps all its rows alike
(``created_at``, ``email_enqueued_at``), which is how the outbox finds them afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction

from curriculum.kernel import clock
from tracker.models import Notification

from .rules import Reminder

# Reminders per insert transaction (and statement).
WRITE_BATCH = 10000
KEY_LOOKUP_BATCH = 900
_INSERT_COLUMNS = (
    *("recipient_id", "kind", "subject", "body", "link", "dedupe_key"),  # from the batch
    *("created_at", "email_enqueued_at", "email_state", "email_attempts", "email_error"),
)
# The batch travels as one JSON array of rows; what unpacks it into rows is the only thing
# the two databases spell differently.
_JSON_ROWS = {
    "postgresql": (
        "json_array_elements(%s::json) AS batch(v)",
        "(v->>0)::integer, v->>1, v->>2, v->>3, v->>4, v->>5",
    ),
    "sqlite": (
        "json_each(%s)",
        ", ".join(f"json_extract(value, '$[{index}]')" for index in range(6)),
    ),
}


@dataclass
class SweepResult:
    """What a sweep made: counts per kind, the reminders themselves when asked for, the active
    enrollments swept, and the new rows (ids in ``[first_id, last_id]`` stamped ``stamp``)."""

    created: Counter = field(default_factory=Counter)
    reminders: list[Reminder] = field(default_factory=list)
    enrollments: int = 0
    stamp: dt.datetime | None = None
    first_id: int | None = None
    last_id: int | None = None


class Writer:
    """Inserts reminders in bounded batches; outside a caller's transaction a second
    connection inserts one batch while the sweep builds the next (each batch is its own
    transaction either way, so nothing but the overlap changes)."""

    def __init__(self, *, dry_run: bool, keep: bool) -> None:
        self.dry_run = dry_run
        self.keep = keep
        self.result = SweepResult(stamp=clock.now())
        self._pending: list[Reminder] = []
        self._queue: queue.Queue | None = None
        self._error: BaseException | None = None
        if not dry_run and can_write_in_background():
            self._queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(target=self._drain, name="sweep-writer", daemon=True)
            self._thread.start()

    def write(self, reminders: Iterable[Reminder]) -> None:
        pending = self._pending
        for reminder in reminders:
            pending.append(reminder)
            if len(pending) >= WRITE_BATCH:
                self._hand_over()
                pending = self._pending

    def close(self, *, failed: bool = False) -> SweepResult:
        """Write what is left and wait for the second connection; raise what it met."""
        try:
            if self._pending and not failed:
                self._hand_over()
        finally:
            if self._queue is not None:
                self._queue.put(None)
                self._thread.join()
                self._queue = None
        if not failed and self._error is not None:
            raise self._error
        return self.result

    def _hand_over(self) -> None:
        batch, self._pending = self._pending, []
        if self._queue is None:
            self._flush(batch)
            return
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    def _drain(self) -> None:
        try:
            while (batch := self._queue.get()) is not None:
                if self._error is None:
                    try:
                        self._flush(batch)
                    except BaseException as exc:  # re-raised in the sweep's own thread
                        self._error = exc
        finally:
            connection.close()

    def _flush(self, batch: list[Reminder]) -> None:
        unique = {reminder.dedupe_key: reminder for reminder in batch}
        result = self.result
        if self.dry_run:
            new = [unique[key] for key in unused_keys(list(unique))]
        else:
            with transaction.atomic():
                inserted = insert_ignoring_duplicates(list(unique.values()), result.stamp)
            new = [unique[key] for _, key in inserted]
            if inserted:
                ids = [pk for pk, _ in inserted]
                low, high = min(ids), max(ids)
                result.first_id = low if result.first_id is None else min(result.first_id, low)
                result.last_id = high if result.last_id is None else max(result.last_id, high)
        for reminder in new:
            result.created[reminder.kind] += 1
        if self.keep:
            result.reminders.extend(new)


def can_write_in_background() -> bool:
    """A second connection may write while this one reads: not inside a caller's transaction
    (the writer could not see its rows) and not on an in-memory SQLite database (the writer's
    connection would open another one)."""
    if connection.in_atomic_block:
        return False
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and not connection.is_in_memory_db()


def unused_keys(keys: list[str]) -> list[str]:
    existing: set[str] = set()
    for start in range(0, len(keys), KEY_LOOKUP_BATCH):
        existing.update(
            Notification.objects.filter(
                dedupe_key__in=keys[start : start + KEY_LOOKUP_BATCH]
            ).values_list("dedupe_key", flat=True)
        )
    return [key for key in keys if key not in existing]


def insert_ignoring_duplicates(
    reminders: list[Reminder], stamp: dt.datetime
) -> list[tuple[int, str]]:
    """Insert the rows whose dedupe key is free; return ``(id, dedupe_key)`` of those inserted.
    ``bulk_create(ignore_conflicts=True)`` plus ``RETURNING``, minus the per-field model work
    that costs more than the database at sweep volumes; the batch is one JSON parameter."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _INSERT_COLUMNS)
    source, fields = _JSON_ROWS[connection.vendor]
    value = connection.ops.adapt_datetimefield_value(stamp)
    rows = json.dumps(
        [
            (r.recipient_id, r.kind, r.subject[:300], r.body, r.link[:500], r.dedupe_key)
            for r in reminders
        ],
        ensure_ascii=False,
    )
    # ``WHERE true``: without it SQLite would read ``ON CONFLICT`` as a join constraint.
    sql = (
        f"INSERT INTO {table} ({columns}) "
        f"SELECT {fields}, %s, %s, 'pending', 0, '' FROM {source} WHERE true "
        'ON CONFLICT ("dedupe_key") DO NOTHING RETURNING "id", "dedupe_key"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value, value, rows])
        return cursor.fetchall()
