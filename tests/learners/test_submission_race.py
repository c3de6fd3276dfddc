"""A double-clicked submit: two requests for the same assignment at once give one version and
one clear error, never two versions waiting side by side."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from learners.models import Submission
from learners.services import submission_create
from tests.curriculum.factories import AssignmentFactory
from tests.learners.factories import EnrollmentFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_submissions_race():
    enrollment = EnrollmentFactory()
    assignment = AssignmentFactory(program=enrollment.cohort.program)
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[object] = []
    lock = threading.Lock()

    def submit(n):
        try:
            barrier.wait()
            result: object = submission_create(
                actor=enrollment.learner,
                enrollment=enrollment,
                assignment=assignment,
                url=f"https://example.com/{n}",
            )
        except Exception as error:  # collected and asserted on below
            result = error
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    successes = [o for o in outcomes if isinstance(o, Submission)]
    failures = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(successes) == 1, outcomes
    assert len(failures) == 1, outcomes
    assert "assignment" in failures[0].message_dict
    assert list(Submission.objects.values_list("version", flat=True)) == [1]
