"""Learners writing while readers compute and store their report rows, on PostgreSQL with real
concurrent transactions: whatever the interleaving, a row left fresh holds what the engine
computes from the facts that were committed last."""

from __future__ import annotations

import json

import pytest

from curriculum.kernel import clock
from learners.services import progress_log_create
from tests.curriculum.factories import ModuleFactory
from tests.helpers import race
from tests.learners.factories import EnrollmentFactory
from tracker.models import ProgressSnapshot
from tracker.progress import snapshots
from tracker.progress.reports import progress_for_enrollments


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_stored_by_readers_racing_writers_are_never_older_than_the_last_write():
    enrollment = EnrollmentFactory()
    module = ModuleFactory(program=enrollment.cohort.program)
    today = clock.today(enrollment.cohort.timezone)

    def work(n: int) -> int:
        for round_ in range(8):
            if n % 2:
                progress_log_create(
                    actor=enrollment.learner,
                    enrollment=enrollment,
                    module=module,
                    logged_on=today,
                    minutes=10 + n + round_,
                )
            else:
                snapshots.report_texts(snapshots.report_rows([enrollment.pk]))
        return n

    outcomes = race(work, range(4))
    assert sorted(outcomes) == [0, 1, 2, 3], outcomes

    row = ProgressSnapshot.objects.get(enrollment_id=enrollment.pk)
    engine = progress_for_enrollments([enrollment.pk])[enrollment.pk].as_dict()
    if row.computed == row.token:
        stored = json.loads(row.data)
        assert {key: stored[key] for key in engine} == engine
    # The 16 logs of 8 rounds by the two writers are all counted, whoever stored last.
    (text,) = snapshots.report_texts(snapshots.report_rows([enrollment.pk])).values()
    assert json.loads(text)["minutes_logged_7d"] == engine["minutes_logged_7d"]
    assert engine["minutes_logged_7d"] >= sum(10 + n + r for n in (1, 3) for r in range(8))
