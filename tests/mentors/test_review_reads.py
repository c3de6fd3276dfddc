"""A review reads each thing once (the fifth load pass): the rubric (the review page's, handed
to the service) and the payout month (one locked get-or-create, race-safe on PostgreSQL)."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curriculum.kernel import clock
from mentors import payouts
from mentors.models import PayoutEntry, PayoutMonth, Review
from mentors.services import review_create
from tests.curriculum.factories import RubricCriterionFactory
from tests.helpers import race
from tests.learners.factories import SubmissionFactory


def _reading(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if f'"{table}"' in q["sql"]]


@pytest.mark.django_db
def test_the_review_page_post_reads_the_rubric_once(client, world):
    client.force_login(world.mentor.user)
    first, second = world.criteria
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("mentor_review", args=[world.submission.pk]),
            {
                "verdict": "approved",
                "feedback": "Clean and correct.",
                f"score_{first.pk}": 4,
                f"score_{second.pk}": 2,
            },
        )
    assert response.status_code == 302
    review = Review.objects.get(submission=world.submission)
    assert review.scores == {str(first.pk): 4, str(second.pk): 2}
    reads = [sql for sql in _reading(queries, "curriculum_rubriccriterion") if "SELECT" in sql]
    assert len(reads) == 1, reads


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["another assignment's", "empty", "none"])
def test_a_rubric_that_is_not_the_assignments_is_read_again(world, given):
    """The service uses a given rubric only when it is the submission's assignment's; else
    (another's, an empty one, none) it reads the assignment's own."""
    other = RubricCriterionFactory(assignment=world.project, order=1, name="Fit", max_score=9)
    rubric = {"another assignment's": [other], "empty": [], "none": None}[given]
    review = review_create(
        actor=world.mentor.user,
        submission=world.submission,
        verdict="approved",
        feedback="Fine.",
        scores={str(world.criterion.pk): 4},
        rubric=rubric,
    )
    assert review.scores == {str(world.criterion.pk): 4}


@pytest.mark.django_db
def test_a_review_reads_its_payout_month_once_and_creates_it_when_missing(world):
    month = payouts.month_of(clock.now())
    assert not PayoutMonth.objects.filter(month=month).exists()
    review_create(
        actor=world.mentor.user,
        submission=world.submission,
        verdict="changes_requested",
        feedback="Tests missing.",
    )
    assert PayoutMonth.objects.filter(month=month, closed_at__isnull=True).count() == 1
    resubmitted = SubmissionFactory(
        enrollment=world.enrollment, assignment=world.exercise, version=2
    )
    with CaptureQueriesContext(connection) as queries:
        review_create(
            actor=world.mentor.user, submission=resubmitted, verdict="approved", feedback="Good."
        )
    assert len(_reading(queries, "mentors_payoutmonth")) == 1
    assert PayoutEntry.objects.filter(month__month=month, reviews=1).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_writers_create_a_missing_payout_month_at_once_and_share_it(world):
    """Neither fails on the unique month: the second waits for the first's insert, then reads
    the committed row, locked."""
    month = dt.date(2031, 5, 1)

    def record(_):
        with transaction.atomic():
            row = payouts._locked_month(month)
            PayoutEntry.objects.create(
                mentor_id=world.mentor.pk,
                month=row,
                reviews=1,
                note="race",
                created_at=clock.now(),
            )
            return row.pk

    outcomes = race(record, [1, 2])
    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert PayoutMonth.objects.filter(month=month).count() == 1
    assert PayoutEntry.objects.filter(month__month=month).count() == 2
