"""``tracker.seed.rows.RowTable``: the seed's tuple writer stores what the ORM would store."""

import datetime as dt
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from learners.models import HelpRequest, ProgressLog, Submission
from mentors.models import Review
from tests.curriculum.factories import ModuleFactory
from tests.learners.factories import EnrollmentFactory, SubmissionFactory
from tests.mentors.factories import MentorUserFactory
from tracker.seed.histories import HelpRequestRow, LogRow, ReviewRow, SubmissionRow
from tracker.seed.rows import RowTable

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def test_rows_read_back_through_the_orm_as_written():
    enrollment = EnrollmentFactory()
    module = ModuleFactory(program=enrollment.cohort.program)
    # Aware datetimes in another zone than UTC, one with microseconds, across midnight UTC.
    created = dt.datetime(2026, 3, 1, 0, 30, 15, 123456, tzinfo=BERLIN)
    rows = [
        LogRow(enrollment.pk, module.pk, dt.date(2026, 2, 28), 90, "Notebook", dt.date(2026, 2, 28),
               created, created + dt.timedelta(hours=1)),
        LogRow(enrollment.pk, module.pk, dt.date(2026, 3, 1), 1440, "Ünïcode — and 'quotes'\n",
               dt.date(2026, 3, 1), created + dt.timedelta(days=1),
               created + dt.timedelta(days=1)),
    ]  # fmt: skip

    assert RowTable(ProgressLog, LogRow).insert(rows) == 2

    saved = list(ProgressLog.objects.filter(enrollment=enrollment).order_by("logged_on"))
    assert [
        (s.module_id, s.logged_on, s.minutes, s.note, s.recorded_on, s.created_at, s.updated_at)
        for s in saved
    ] == [row[1:] for row in rows]
    assert saved[0].created_at == dt.datetime(2026, 2, 28, 23, 30, 15, 123456, tzinfo=dt.UTC)
    # Date lookups work on what was written (the stored format is the ORM's own).
    assert ProgressLog.objects.filter(created_at__date=dt.date(2026, 2, 28)).count() == 1
    assert ProgressLog.objects.filter(created_at__gte=created).count() == 2


def test_json_nulls_and_defaults():
    submission = SubmissionFactory()
    mentor = MentorUserFactory()
    at = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    RowTable(Review, ReviewRow).insert(
        [ReviewRow(submission.pk, mentor.pk, "approved", "Good", {"7": 4, "8": 3}, at)]
    )
    review = Review.objects.get(submission=submission)
    assert (review.reviewer_id, review.verdict, review.scores, review.created_at) == (
        mentor.pk,
        "approved",
        {"7": 4, "8": 3},
        at,
    )
    assert Review.objects.filter(scores__has_key="7").count() == 1

    # answered_at / answered_by_id None are written as NULL; HelpRequestRow leaves answer "".
    enrollment = submission.enrollment
    RowTable(HelpRequest, HelpRequestRow).insert([HelpRequestRow(enrollment.pk, "Stuck", at)])
    asked = HelpRequest.objects.get(enrollment=enrollment)
    assert (asked.answered_at, asked.answered_by_id, asked.answer) == (None, None, "")

    # A column the row type does not name gets the model field's default.
    class Minimal(NamedTuple):
        enrollment_id: int
        assignment_id: int
        version: int
        url: str
        submitted_at: dt.datetime
        status_changed_at: dt.datetime

    RowTable(Submission, Minimal).insert(
        [Minimal(enrollment.pk, submission.assignment_id, 9, "https://example.com/x", at, at)]
    )
    written = Submission.objects.get(enrollment=enrollment, version=9)
    assert (written.status, written.note, written.deployment_url) == (
        Submission.Status.SUBMITTED,
        "",
        "",
    )


def test_nothing_to_insert_writes_nothing():
    assert RowTable(ProgressLog, LogRow).insert([]) == 0
    assert RowTable(Submission, SubmissionRow).insert(iter(())) == 0
    assert not ProgressLog.objects.exists()


class WithId(NamedTuple):
    id: int
    submission_id: int


class Unknown(NamedTuple):
    submission_id: int
    colour: str


class MissingRequired(NamedTuple):
    submission_id: int
    verdict: str


@pytest.mark.parametrize(
    ("row_type", "message"),
    [
        (WithId, "Review.id is the database's to set"),
        (Unknown, r"Review has no column\(s\) colour"),
        # created_at has no default: refused when the table is described, before any write.
        (MissingRequired, "Review.reviewer_id needs a value"),
    ],
)
def test_row_types_that_cannot_be_written_are_refused(row_type, message):
    with pytest.raises(ValueError, match=message):
        RowTable(Review, row_type)


def test_a_failing_row_fails_the_whole_insert_in_its_transaction():
    enrollment = EnrollmentFactory()
    module = ModuleFactory(program=enrollment.cohort.program)
    at = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    good = LogRow(enrollment.pk, module.pk, at.date(), 30, "", at.date(), at, at)
    # minutes must be 1-1440 (a database constraint).
    bad = good._replace(minutes=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        RowTable(ProgressLog, LogRow).insert([good, bad])
    assert not ProgressLog.objects.exists()
