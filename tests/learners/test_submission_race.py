"""A double-clicked submit: two requests for the same assignment at once give one version and
one clear error, never two versions waiting side by side."""

import pytest
from django.core.exceptions import ValidationError

from learners.models import Submission
from learners.services import submission_create
from tests.curriculum.factories import AssignmentFactory
from tests.helpers import race
from tests.learners.factories import EnrollmentFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_submissions_race():
    enrollment = EnrollmentFactory()
    assignment = AssignmentFactory(program=enrollment.cohort.program)

    def submit(n):
        return submission_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            assignment=assignment,
            url=f"https://example.com/{n}",
        )

    outcomes = race(submit, range(2))

    successes = [o for o in outcomes if isinstance(o, Submission)]
    failures = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(successes) == 1, outcomes
    assert len(failures) == 1, outcomes
    assert "assignment" in failures[0].message_dict
    assert list(Submission.objects.values_list("version", flat=True)) == [1]
