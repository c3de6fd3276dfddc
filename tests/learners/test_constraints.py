"""The database itself refuses what the rules call structural, whoever writes the row."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from tests.learners.factories import (
    EnrollmentFactory,
    PauseFactory,
    ProgressLogFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("minutes", [0, 1441])
def test_log_minutes_out_of_range(minutes):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressLogFactory(minutes=minutes)


@pytest.mark.parametrize("minutes", [1, 1440])
def test_log_minutes_bounds_accepted(minutes):
    assert ProgressLogFactory(minutes=minutes).pk


def test_log_not_after_its_recorded_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressLogFactory(logged_on=dt.date(2026, 3, 11), recorded_on=dt.date(2026, 3, 10))


def test_duplicate_submission_version():
    first = SubmissionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SubmissionFactory(enrollment=first.enrollment, assignment=first.assignment, version=1)


def test_submission_version_starts_at_one():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubmissionFactory(version=0)


def test_duplicate_enrollment():
    enrollment = EnrollmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentFactory(cohort=enrollment.cohort, learner=enrollment.learner)


def test_pause_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        PauseFactory(start=dt.date(2026, 3, 10), end=dt.date(2026, 3, 9))
