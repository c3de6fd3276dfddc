"""Program insights: where learners stall, across cohorts, in a fixed number of queries."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learners.models import Enrollment, Submission
from mentors.models import Review
from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ModuleFactory,
    ProgramFactory,
    StaffFactory,
)
from tests.learners.factories import EnrollmentFactory, ProgressLogFactory, SubmissionFactory
from tests.mentors.factories import ReviewFactory
from tracker.insights import program_insights

START = dt.date(2026, 1, 5)
TODAY = START + dt.timedelta(weeks=6)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock(clock):
    clock.move_to(TODAY)  # at noon UTC


def at(day, hour=10):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


@pytest.fixture
def bootcamp():
    program = ProgramFactory()
    basics = ModuleFactory(program=program, order=1, start_week=1, end_week=2, expected_hours=10)
    later = ModuleFactory(program=program, order=2, start_week=3, end_week=12, expected_hours=40)
    first = AssignmentFactory(program=program, module=basics, order=1, due_week=2)
    second = AssignmentFactory(program=program, module=basics, order=2, due_week=2, weight=3)
    third = AssignmentFactory(program=program, module=later, order=3, due_week=10)
    return program, basics, later, first, second, third


def submit(enrollment, assignment, status, submitted, version=1):
    return SubmissionFactory(
        enrollment=enrollment,
        assignment=assignment,
        version=version,
        status=status,
        submitted_at=at(submitted),
        status_changed_at=at(submitted + dt.timedelta(days=1)),
    )


def test_insights_per_module_and_assignment(bootcamp):
    program, basics, later, first, second, third = bootcamp
    old = CohortFactory(program=program, start_date=START)
    new = CohortFactory(program=program, start_date=TODAY - dt.timedelta(days=3))
    due = START + dt.timedelta(weeks=2)
    on_time, late, stalled = (EnrollmentFactory(cohort=old) for _ in range(3))
    gone = EnrollmentFactory(cohort=old, status=Enrollment.Status.WITHDRAWN)
    newcomer = EnrollmentFactory(cohort=new)

    approved = Submission.Status.APPROVED
    for assignment in (first, second):
        submit(on_time, assignment, approved, due - dt.timedelta(days=1))
    submit(late, first, approved, due + dt.timedelta(days=4))
    rejected = submit(late, second, Submission.Status.CHANGES_REQUESTED, due)
    ReviewFactory(submission=rejected, verdict=Review.Verdict.CHANGES_REQUESTED)
    resubmitted = submit(late, second, approved, due + dt.timedelta(days=6), version=2)
    ReviewFactory(submission=resubmitted, verdict=Review.Verdict.APPROVED)
    submit(gone, first, approved, due + dt.timedelta(days=20))  # withdrawn: left out

    for enrollment, minutes in ((on_time, 300), (late, 500), (stalled, 900), (gone, 1000)):
        ProgressLogFactory(enrollment=enrollment, module=basics, logged_on=due, minutes=minutes)
    ProgressLogFactory(enrollment=newcomer, module=later, logged_on=TODAY, minutes=45)

    insights = program_insights(fetched_by=StaffFactory(), program=program)
    assert insights["learners"] == 4
    assert insights["cohorts"] == 2

    modules = {row["module"]: row for row in insights["modules"]}
    assert modules[basics.pk]["learners_logging"] == 3
    assert modules[basics.pk]["median_minutes"] == 500.0
    assert modules[basics.pk]["median_vs_expected"] == round(500 / 600, 2)
    assert modules[basics.pk]["stalls"] is False
    # Three learners of the old cohort are past the module's end; two finished it.
    assert modules[basics.pk]["learners_finished_schedule"] == 3
    assert modules[basics.pk]["completion_rate"] == round(2 / 3, 3)
    assert modules[later.pk]["median_minutes"] == 45.0
    assert modules[later.pk]["completion_rate"] is None

    assignments = {row["assignment"]: row for row in insights["assignments"]}
    assert assignments[first.pk]["learners_due"] == 3
    assert assignments[first.pk]["completion_rate"] == round(2 / 3, 3)
    # Lateness: on time 0, late 4, stalled still open for 28 days -> median 4.
    assert assignments[first.pk]["median_days_late"] == 4.0
    assert assignments[second.pk]["median_days_late"] == 6.0
    assert assignments[second.pk]["reviews"] == 2
    assert assignments[second.pk]["changes_requested_share"] == 0.5
    assert assignments[first.pk]["changes_requested_share"] is None
    assert assignments[third.pk]["learners_due"] == 0
    assert assignments[third.pk]["completion_rate"] is None
    assert assignments[third.pk]["median_days_late"] is None


def test_insights_query_count_does_not_grow(bootcamp):
    program, basics, _later, first, _second, _third = bootcamp
    cohort = CohortFactory(program=program, start_date=START)

    def add_learners(count):
        for _ in range(count):
            enrollment = EnrollmentFactory(cohort=cohort)
            sub = submit(enrollment, first, Submission.Status.APPROVED, START)
            ReviewFactory(submission=sub)
            ProgressLogFactory(enrollment=enrollment, module=basics, logged_on=START)

    staff = StaffFactory()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            program_insights(fetched_by=staff, program=program)
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]

    add_learners(1)
    small, _ = count()
    add_learners(10)
    for n in range(10):
        AssignmentFactory(program=program, module=basics, order=10 + n, due_week=1 + n)
    big, sql = count()
    assert small == big == 7, "\n".join(sql)


def test_a_module_stalls_when_its_median_learner_logs_over_a_quarter_more(bootcamp):
    program, basics, later, *_ = bootcamp
    cohort = CohortFactory(program=program, start_date=START)
    # basics expects 10 h: 750 minutes is exactly 1.25 times, 751 over it.
    for minutes in (700, 751, 900):
        ProgressLogFactory(
            enrollment=EnrollmentFactory(cohort=cohort),
            module=basics,
            logged_on=START,
            minutes=minutes,
        )
    modules = {
        row["module"]: row
        for row in program_insights(fetched_by=StaffFactory(), program=program)["modules"]
    }
    assert modules[basics.pk]["stalls"] is True
    assert modules[later.pk]["stalls"] is False  # nobody logged: no median, no stall


def test_only_staff_see_program_insights(bootcamp):
    program, *_ = bootcamp
    learner = EnrollmentFactory(cohort=CohortFactory(program=program)).learner
    with pytest.raises(PermissionDenied):
        program_insights(fetched_by=learner, program=program)
