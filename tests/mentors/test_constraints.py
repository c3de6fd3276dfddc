import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.learners.factories import SubmissionFactory
from tests.mentors.factories import MentorFactory, PairingFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def test_second_active_pairing_refused():
    pairing = PairingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PairingFactory(enrollment=pairing.enrollment, mentor=MentorFactory())


def test_ended_pairings_are_history_not_conflicts():
    pairing = PairingFactory(ended_at=timezone.now())
    PairingFactory(enrollment=pairing.enrollment, ended_at=timezone.now())
    assert PairingFactory(enrollment=pairing.enrollment).pk


def test_second_review_of_a_version_refused():
    review = ReviewFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewFactory(submission=review.submission)


def test_each_version_has_its_own_review():
    review = ReviewFactory(verdict="changes_requested")
    second = SubmissionFactory(
        enrollment=review.submission.enrollment,
        assignment=review.submission.assignment,
        version=2,
    )
    assert ReviewFactory(submission=second).pk


def test_session_duration_range():
    from tests.mentors.factories import MentorSessionFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        MentorSessionFactory(duration_minutes=4)
