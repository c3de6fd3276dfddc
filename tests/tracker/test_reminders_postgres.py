"""Two sweeps at once on PostgreSQL: the unique dedupe key lets exactly one row through."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.learners.factories import EnrollmentFactory
from tests.tracker.test_reminders_fixtures import (  # noqa: F401
    at,
    bootcamp_fixture,
    broker_fixture,
    frozen_fixture,
)
from tracker import jobs
from tracker.models import Notification
from tracker.notifications import sweep as sweep_module
from tracker.notifications.sweep import reads, writer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_sweeps_at_once_create_no_duplicates(bootcamp, frozen, monkeypatch):
    frozen(at(2026, 2, 2, 9))
    for _ in range(60):
        EnrollmentFactory(cohort=bootcamp.cohort)
    frozen(at(2026, 3, 10, 9))
    # Small batches make the two sweeps interleave many times.
    monkeypatch.setattr(reads, "CHUNK_SIZE", 7)
    monkeypatch.setattr(writer, "WRITE_BATCH", 5)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(timeout=10)
            results.append(sweep_module.run_sweep())
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # 61 learners overdue and inactive; the paired one's mentor for both; one staff member.
    expected = (61 + 1) * 2
    keys = list(Notification.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys)) == expected
    # Each sweep counts only the rows it inserted itself: together, every row exactly once.
    assert sum(sum(r.created.values()) for r in results) == expected
    assert sum(sweep_module.run_sweep().created.values()) == 0


def test_the_background_writer_inserts_everything_and_reports_its_failures(
    bootcamp, frozen, monkeypatch, broker
):
    frozen(at(2026, 2, 2, 9))
    for _ in range(20):
        EnrollmentFactory(cohort=bootcamp.cohort)
    frozen(at(2026, 3, 10, 9))
    # Outside any transaction on PostgreSQL a second connection does the inserts.
    assert writer.can_write_in_background()
    monkeypatch.setattr(writer, "WRITE_BATCH", 3)
    real_insert = writer.insert_ignoring_duplicates
    calls = []

    def failing_third_batch(reminders, stamp):
        calls.append(threading.current_thread().name)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_insert(reminders, stamp)

    monkeypatch.setattr(writer, "insert_ignoring_duplicates", failing_third_batch)
    with pytest.raises(RuntimeError, match="disk full"):
        sweep_module.run_sweep()
    # The failure reaches the caller, nothing is published, and the writer thread is gone.
    assert broker.sent == []
    assert set(calls) == {"sweep-writer"}
    assert not any(t.name == "sweep-writer" for t in threading.enumerate())
    # Committed batches stay (each is its own transaction); the next sweep does the rest.
    kept = Notification.objects.count()
    assert kept == 6
    monkeypatch.setattr(writer, "insert_ignoring_duplicates", real_insert)
    result = sweep_module.run_sweep()
    expected = (21 + 1) * 2
    assert sum(result.created.values()) == expected - kept
    assert Notification.objects.count() == expected
    assert len(broker.of(jobs.DELIVER_SWEEP_NOTIFICATIONS)) == 1
