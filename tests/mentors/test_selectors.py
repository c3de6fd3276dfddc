import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curriculum.selectors import assignment_list, cohort_list, program_list
from learners.selectors import (
    enrollment_list,
    help_request_list,
    progress_log_list,
    submission_list,
)
from mentors.selectors import (
    mentor_list,
    pairing_list,
    review_list,
    review_queue,
    session_list,
)
from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    RubricCriterionFactory,
    StaffFactory,
)
from tests.learners.factories import (
    EnrollmentFactory,
    HelpRequestFactory,
    ProgressLogFactory,
    SubmissionFactory,
)
from tests.mentors.factories import (
    MentorFactory,
    MentorSessionFactory,
    PairingFactory,
    ReviewFactory,
)
from tests.world import NOW

pytestmark = pytest.mark.django_db


def test_review_queue_latest_waiting_oldest_first(clock):
    mentor = MentorFactory()
    cohort = CohortFactory()
    assignment = AssignmentFactory(program=cohort.program)
    mine = [EnrollmentFactory(cohort=cohort) for _ in range(3)]
    for enrollment in mine:
        PairingFactory(enrollment=enrollment, mentor=mentor)
    old = SubmissionFactory(
        enrollment=mine[0], assignment=assignment, submitted_at=NOW - dt.timedelta(hours=50)
    )
    new = SubmissionFactory(
        enrollment=mine[1], assignment=assignment, submitted_at=NOW - dt.timedelta(hours=2)
    )
    # Reviewed, or superseded, or not waiting: not in the queue.
    SubmissionFactory(enrollment=mine[2], assignment=assignment, status="approved")
    superseded = SubmissionFactory(
        enrollment=mine[2],
        assignment=AssignmentFactory(program=cohort.program),
        status="submitted",
        version=1,
    )
    SubmissionFactory(
        enrollment=mine[2],
        assignment=superseded.assignment,
        version=2,
        status="changes_requested",
    )
    others = SubmissionFactory()  # another mentor's learner
    PairingFactory(enrollment=others.enrollment)

    queue = list(review_queue(fetched_by=mentor.user))
    assert queue == [old, new]
    assert queue[0].waiting == dt.timedelta(hours=50)
    staff_queue = list(review_queue(fetched_by=StaffFactory()))
    assert staff_queue[:2] == [old, new] and others in staff_queue
    assert superseded not in staff_queue
    assert list(review_queue(fetched_by=mine[0].learner)) == []
    type(mine[1]).objects.filter(pk=mine[1].pk).update(status="withdrawn")
    assert list(review_queue(fetched_by=mentor.user)) == [old]


def _build(mentor, n):
    cohort = CohortFactory()
    assignment = AssignmentFactory(program=cohort.program)
    RubricCriterionFactory(assignment=assignment)
    for _ in range(n):
        enrollment = EnrollmentFactory(cohort=cohort)
        pairing = PairingFactory(enrollment=enrollment, mentor=mentor)
        submission = SubmissionFactory(enrollment=enrollment, assignment=assignment)
        ReviewFactory(submission=submission, reviewer=mentor.user)
        MentorSessionFactory(pairing=pairing)
        ProgressLogFactory(enrollment=enrollment)
        HelpRequestFactory(enrollment=enrollment)


SELECTORS = [
    program_list,
    assignment_list,
    cohort_list,
    enrollment_list,
    progress_log_list,
    submission_list,
    help_request_list,
    mentor_list,
    pairing_list,
    session_list,
    review_list,
    review_queue,
]


def _touch(row):
    """Read what a list page shows, so missing select_related would cost queries."""
    for path in (
        "learner",
        "cohort.program",
        "enrollment.learner",
        "mentor.user",
        "pairing.mentor.user",
        "submission.enrollment.learner",
        "submission.assignment",
        "assignment",
        "module",
        "user",
        "program",
    ):
        value = row
        for attr in path.split("."):
            value = getattr(value, attr, None)
            if value is None:
                break
    for name in ("modules", "assignments", "rubric_criteria"):
        manager = getattr(row, name, None)
        if manager is not None and hasattr(manager, "all"):
            for item in manager.all():
                if hasattr(item, "rubric_criteria"):
                    list(item.rubric_criteria.all())


@pytest.mark.parametrize("selector", SELECTORS, ids=lambda s: s.__name__)
def test_list_query_count_does_not_grow(selector):
    mentor = MentorFactory(capacity=50)
    user = mentor.user if selector not in (program_list, assignment_list) else StaffFactory()
    counts = []
    for n in (1, 6):
        _build(mentor, n)
        with CaptureQueriesContext(connection) as ctx:
            for row in selector(fetched_by=user):
                _touch(row)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], "\n".join(q["sql"] for q in ctx.captured_queries)


def test_pairing_list_active_only():
    pairing = PairingFactory(ended_at=timezone.now())
    PairingFactory(enrollment=pairing.enrollment)
    staff = StaffFactory()
    assert pairing_list(fetched_by=staff).count() == 2
    assert pairing_list(fetched_by=staff, active_only=True).count() == 1


def test_help_request_list_open_only():
    request = HelpRequestFactory()
    HelpRequestFactory(enrollment=request.enrollment, answered_at=timezone.now())
    assert help_request_list(fetched_by=request.enrollment.learner).count() == 2
    assert list(help_request_list(fetched_by=request.enrollment.learner, open_only=True)) == [
        request
    ]


def test_mentor_list_counts_active_learners_only():
    mentor = MentorFactory()
    PairingFactory(mentor=mentor)
    PairingFactory(mentor=mentor, ended_at=timezone.now())
    assert mentor_list(fetched_by=StaffFactory()).get(pk=mentor.pk).active_learners == 1
