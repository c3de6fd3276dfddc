"""Two sweeps at once on PostgreSQL: the unique dedupe key lets exactly one row through."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.learners.factories import EnrollmentFactory
from tests.tracker.test_reminders_fixtures import at, bootcamp_fixture, frozen_fixture  # noqa: F401
from tracker.models import Notification
from tracker.notifications import sweep as sweep_module

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_sweeps_at_once_create_no_duplicates(bootcamp, frozen, monkeypatch):
    frozen(at(2026, 2, 2, 9))
    for _ in range(60):
        EnrollmentFactory(cohort=bootcamp.cohort)
    frozen(at(2026, 3, 10, 9))
    # Small batches make the two sweeps interleave many times.
    monkeypatch.setattr(sweep_module, "CHUNK_SIZE", 7)
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
