"""The progress engine against the database, with the clock frozen."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curriculum.models import Assignment
from learners.models import Enrollment, Submission
from mentors.models import MentorSession
from tests.curriculum.factories import AssignmentFactory, CohortFactory, ProgramFactory
from tests.helpers import PROGRESS_FIELDS
from tests.learners.factories import (
    EnrollmentFactory,
    PauseFactory,
    ProgressLogFactory,
    SubmissionFactory,
)
from tests.mentors.factories import MentorSessionFactory, PairingFactory
from tracker.progress import NextDue
from tracker.progress.rendering import to_json
from tracker.progress.reports import (
    cohort_grid,
    cohort_matrix,
    cohort_matrix_json,
    enrollment_progress_detail,
    progress_for_enrollments,
)

START = dt.date(2026, 1, 5)  # a Monday
TODAY = START + dt.timedelta(weeks=8)  # day 56: four of ten assignments are due
NOW = dt.datetime.combine(TODAY, dt.time(12, 0), tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


def detail_of(enrollment):
    return enrollment_progress_detail(Enrollment.objects.filter(pk=enrollment.pk))


@pytest.fixture(autouse=True)
def frozen_clock(clock):
    clock.move_to(NOW)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=dt.UTC)


@pytest.fixture
def program():
    """Ten assignments of weight 1, due in weeks 2, 4, ..., 20."""
    program = ProgramFactory(length_weeks=26)
    for n in range(10):
        AssignmentFactory(
            program=program, module__program=program, order=n + 1, due_week=2 * (n + 1)
        )
    return program


@pytest.fixture
def cohort(program):
    return CohortFactory(program=program, start_date=START, timezone="UTC")


def assignments_of(program):
    return list(Assignment.objects.filter(program=program).order_by("due_week"))


def make_enrollment(cohort, **kwargs):
    enrollment = EnrollmentFactory(cohort=cohort, **kwargs)
    # A log today keeps the learner clear of the inactive reason unless a test says otherwise.
    ProgressLogFactory(enrollment=enrollment, module=cohort.program.modules.first())
    return enrollment


def approve(enrollment, assignment, when=None, version=1):
    when = when or at(TODAY - dt.timedelta(days=1))
    return SubmissionFactory(
        enrollment=enrollment,
        assignment=assignment,
        version=version,
        status=Submission.Status.APPROVED,
        submitted_at=when - dt.timedelta(hours=5),
        status_changed_at=when,
    )


def progress_of(enrollment, **kwargs):
    return progress_for_enrollments(Enrollment.objects.filter(pk=enrollment.pk), **kwargs)[
        enrollment.pk
    ]


@pytest.mark.parametrize(
    ("approved", "pace", "reasons"),
    [
        (6, "ahead", []),  # 60 vs 40: +20
        (5, "ahead", []),  # +10 is exactly the ahead margin
        (4, "on_track", []),  # 0
        (3, "on_track", []),  # -10 is not below the at-risk margin
        (2, "at_risk", ["behind_schedule"]),  # -20
        (1, "behind", ["behind_schedule"]),  # -30
    ],
)
def test_each_pace_from_the_gap_to_the_schedule(cohort, program, approved, pace, reasons):
    enrollment = make_enrollment(cohort)
    for assignment in assignments_of(program)[:approved]:
        approve(enrollment, assignment)
    progress = progress_of(enrollment)
    assert progress.expected_percent == 40.0
    assert progress.percent_complete == approved * 10.0
    assert progress.pace == pace
    assert progress.risk_reasons == reasons


def test_a_risk_reason_alone_makes_an_on_track_learner_at_risk(cohort, program):
    enrollment = make_enrollment(cohort)
    for assignment in assignments_of(program)[:4]:
        approve(enrollment, assignment)
    pairing = PairingFactory(enrollment=enrollment, started_at=at(START))
    for days_ago in (14, 7):
        MentorSessionFactory(
            pairing=pairing,
            scheduled_at=at(TODAY - dt.timedelta(days=days_ago)),
            status=MentorSession.Status.MISSED,
        )
    progress = progress_of(enrollment)
    assert progress.risk_reasons == ["missed_sessions"]
    assert progress.pace == "at_risk"


def test_expected_percent_grows_smoothly_between_due_dates(cohort):
    enrollment = make_enrollment(cohort)
    mid_week = TODAY + dt.timedelta(days=7)  # halfway between the 4th (day 56) and 5th (day 70)
    assert progress_of(enrollment, today=mid_week).expected_percent == 45.0
    assert progress_of(enrollment, today=START).expected_percent == 0.0
    assert progress_of(enrollment, today=START - dt.timedelta(days=3)).expected_percent == 0.0
    late = START + dt.timedelta(weeks=30)
    assert progress_of(enrollment, today=late).expected_percent == 100.0


def test_a_pause_shifts_due_dates_and_stops_the_schedule(cohort, program):
    enrollment = make_enrollment(cohort)
    pause_start = START + dt.timedelta(days=20)
    PauseFactory(enrollment=enrollment, start=pause_start, end=pause_start + dt.timedelta(days=6))
    first, second, third, *_ = assignments_of(program)
    dues = {
        row["assignment"]: dt.date.fromisoformat(row["due_date"])
        for row in detail_of(enrollment)["assignments"]
    }
    assert dues[first.pk] == START + dt.timedelta(weeks=2)  # due before the pause: unmoved
    assert dues[second.pk] == START + dt.timedelta(weeks=4, days=7)
    assert dues[third.pk] == START + dt.timedelta(weeks=6, days=7)
    # 56 days minus 7 paused: 49 schedule days, halfway between the 3rd and 4th due dates.
    assert progress_of(enrollment).expected_percent == 35.0
    # While the pause runs, the expectation stands still.
    inside = [pause_start + dt.timedelta(days=n) for n in range(7)]
    values = {progress_of(enrollment, today=day).expected_percent for day in inside}
    assert len(values) == 1


def test_pause_shifted_due_dates_appear_in_the_detail(cohort, program):
    enrollment = make_enrollment(cohort)
    PauseFactory(enrollment=enrollment, start=START, end=START + dt.timedelta(days=13))
    detail = detail_of(enrollment)
    first = detail["assignments"][0]
    assert first["due_date"] == (START + dt.timedelta(weeks=4)).isoformat()


def test_overdue_count_and_next_due(cohort, program):
    enrollment = make_enrollment(cohort)
    items = assignments_of(program)
    approve(enrollment, items[0])
    SubmissionFactory(enrollment=enrollment, assignment=items[1], submitted_at=at(TODAY))
    progress = progress_of(enrollment)
    # Due dates passed: weeks 2, 4, 6 (week 8 is due today, not yet passed).
    assert progress.overdue_count == 2
    assert progress.next_due == NextDue(items[3].pk, items[3].title, TODAY)
    assert progress.as_dict()["next_due"] == {
        "assignment": items[3].pk,
        "title": items[3].title,
        "date": TODAY.isoformat(),
    }


def test_overdue_milestone_fires_only_for_a_past_unapproved_milestone(cohort, program):
    items = assignments_of(program)
    Assignment.objects.filter(pk__in=[items[1].pk, items[6].pk]).update(kind="milestone")
    late = make_enrollment(cohort)
    for assignment in items[:4]:
        if assignment != items[1]:
            approve(late, assignment)
    SubmissionFactory(enrollment=late, assignment=items[4], submitted_at=at(TODAY))
    done = make_enrollment(cohort)
    for assignment in items[:5]:
        approve(done, assignment)
    result = progress_for_enrollments(Enrollment.objects.filter(pk__in=[late.pk, done.pk]))
    assert "overdue_milestone" in result[late.pk].risk_reasons
    assert result[late.pk].pace == "at_risk"
    # The milestone due in week 14 is in the future for both: it never counts.
    assert "overdue_milestone" not in result[done.pk].risk_reasons


@pytest.mark.parametrize(("days_ago", "inactive"), [(6, False), (7, True), (20, True)])
def test_inactive_counts_days_since_the_last_log(cohort, days_ago, inactive, clock):
    enrollment = EnrollmentFactory(cohort=cohort)
    Enrollment.objects.filter(pk=enrollment.pk).update(enrolled_at=at(START - dt.timedelta(days=3)))
    logged_on = TODAY - dt.timedelta(days=days_ago)
    with clock.at(at(logged_on)):
        ProgressLogFactory(
            enrollment=enrollment, module=cohort.program.modules.first(), logged_on=logged_on
        )
    assert ("inactive" in progress_of(enrollment).risk_reasons) is inactive


def test_inactive_without_any_log_counts_from_the_enrollment(cohort):
    recent = EnrollmentFactory(cohort=cohort)
    Enrollment.objects.filter(pk=recent.pk).update(enrolled_at=at(TODAY - dt.timedelta(days=3)))
    old = EnrollmentFactory(cohort=cohort)
    Enrollment.objects.filter(pk=old.pk).update(enrolled_at=at(TODAY - dt.timedelta(days=30)))
    result = progress_for_enrollments(Enrollment.objects.filter(pk__in=[recent.pk, old.pk]))
    assert "inactive" not in result[recent.pk].risk_reasons
    assert "inactive" in result[old.pk].risk_reasons
    assert result[old.pk].last_activity_at is None


def test_paused_days_do_not_count_towards_inactivity(cohort, clock):
    enrollment = EnrollmentFactory(cohort=cohort)
    Enrollment.objects.filter(pk=enrollment.pk).update(enrolled_at=at(START))
    logged_on = TODAY - dt.timedelta(days=10)
    with clock.at(at(logged_on)):
        ProgressLogFactory(
            enrollment=enrollment, module=cohort.program.modules.first(), logged_on=logged_on
        )
    PauseFactory(
        enrollment=enrollment,
        start=TODAY - dt.timedelta(days=8),
        end=TODAY - dt.timedelta(days=4),
    )
    assert "inactive" not in progress_of(enrollment).risk_reasons
    # A paused learner is never "inactive".
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.PAUSED)
    Enrollment.objects.filter(pk=enrollment.pk).update(enrolled_at=at(START - dt.timedelta(9)))
    with clock.at(at(TODAY + dt.timedelta(days=30))):
        assert "inactive" not in progress_of(enrollment).risk_reasons


def test_missed_sessions_needs_a_streak_of_the_active_pairing(cohort):
    enrollment = make_enrollment(cohort)
    old_pairing = PairingFactory(
        enrollment=enrollment, started_at=at(START), ended_at=at(START + dt.timedelta(days=20))
    )
    for day in (5, 12):
        MentorSessionFactory(
            pairing=old_pairing,
            scheduled_at=at(START + dt.timedelta(days=day)),
            status=MentorSession.Status.MISSED,
        )
    pairing = PairingFactory(enrollment=enrollment, started_at=at(START + dt.timedelta(days=20)))

    def session(days_ago, status):
        return MentorSessionFactory(
            pairing=pairing, scheduled_at=at(TODAY - dt.timedelta(days=days_ago)), status=status
        )

    session(21, MentorSession.Status.MISSED)
    session(14, MentorSession.Status.COMPLETED)
    session(7, MentorSession.Status.MISSED)
    # Old pairing's misses and a single recent miss: no streak.
    assert "missed_sessions" not in progress_of(enrollment).risk_reasons
    session(3, MentorSession.Status.CANCELLED)  # neither attended nor missed: ignored
    session(-2, MentorSession.Status.SCHEDULED)  # the future: ignored
    session(1, MentorSession.Status.MISSED)
    assert "missed_sessions" in progress_of(enrollment).risk_reasons


@pytest.mark.parametrize(("days_ago", "stale"), [(7, False), (8, True)])
def test_stale_changes_requested(cohort, program, days_ago, stale):
    enrollment = make_enrollment(cohort)
    changed = at(TODAY - dt.timedelta(days=days_ago))
    SubmissionFactory(
        enrollment=enrollment,
        assignment=assignments_of(program)[5],
        status=Submission.Status.CHANGES_REQUESTED,
        submitted_at=changed - dt.timedelta(days=1),
        status_changed_at=changed,
    )
    assert ("stale_changes_requested" in progress_of(enrollment).risk_reasons) is stale


def test_a_resubmission_clears_stale_changes_requested(cohort, program):
    enrollment = EnrollmentFactory(cohort=cohort)
    assignment = assignments_of(program)[5]
    changed = at(TODAY - dt.timedelta(days=20))
    SubmissionFactory(
        enrollment=enrollment,
        assignment=assignment,
        status=Submission.Status.CHANGES_REQUESTED,
        submitted_at=changed - dt.timedelta(days=1),
        status_changed_at=changed,
    )
    SubmissionFactory(
        enrollment=enrollment, assignment=assignment, version=2, submitted_at=at(TODAY)
    )
    progress = progress_of(enrollment)
    assert "stale_changes_requested" not in progress.risk_reasons
    assert progress.last_activity_at == at(TODAY)


def test_projected_completion_from_recent_velocity(cohort, program):
    enrollment = make_enrollment(cohort)
    items = assignments_of(program)
    # One approval long ago (outside the 28-day window), four inside it: 4 weight / 28 days.
    approve(enrollment, items[0], when=at(TODAY - dt.timedelta(days=40)))
    for n, assignment in enumerate(items[1:5]):
        approve(enrollment, assignment, when=at(TODAY - dt.timedelta(days=2 + n)))
    # 5 weight remaining at 1/7 a day: 35 days.
    assert progress_of(enrollment).projected_completion == TODAY + dt.timedelta(days=35)


def test_projected_completion_is_null_without_velocity_and_the_last_approval_when_done(
    cohort, program
):
    idle = make_enrollment(cohort)
    approve(idle, assignments_of(program)[0], when=at(TODAY - dt.timedelta(days=40)))
    done = make_enrollment(cohort)
    for n, assignment in enumerate(assignments_of(program)):
        approve(done, assignment, when=at(TODAY - dt.timedelta(days=60 - n)))
    result = progress_for_enrollments(Enrollment.objects.filter(pk__in=[idle.pk, done.pk]))
    assert result[idle.pk].projected_completion is None
    assert result[done.pk].percent_complete == 100.0
    assert result[done.pk].projected_completion == TODAY - dt.timedelta(days=51)
    assert result[done.pk].next_due is None


def test_minutes_of_the_last_seven_days_and_last_activity(cohort):
    enrollment = EnrollmentFactory(cohort=cohort)
    module = cohort.program.modules.first()
    for days_ago, minutes in ((0, 30), (6, 45), (7, 100)):
        ProgressLogFactory(
            enrollment=enrollment,
            module=module,
            logged_on=TODAY - dt.timedelta(days=days_ago),
            minutes=minutes,
        )
    progress = progress_of(enrollment)
    assert progress.minutes_logged_7d == 75
    assert progress.last_activity_at == timezone.now()


def test_graduated_and_withdrawn_learners(cohort, program):
    graduated = make_enrollment(cohort, status=Enrollment.Status.GRADUATED)
    for assignment in assignments_of(program):
        approve(graduated, assignment)
    withdrawn = make_enrollment(cohort, status=Enrollment.Status.WITHDRAWN)
    # Left on day 28, when two of ten were due: the schedule stops there.
    Enrollment.objects.filter(pk=withdrawn.pk).update(
        status_changed_at=at(START + dt.timedelta(days=28))
    )
    result = progress_for_enrollments(
        Enrollment.objects.filter(pk__in=[graduated.pk, withdrawn.pk])
    )
    assert result[graduated.pk].expected_percent == 100.0
    assert result[graduated.pk].pace == "on_track"
    assert result[withdrawn.pk].expected_percent == 20.0
    assert result[withdrawn.pk].risk_reasons == []
    assert result[withdrawn.pk].next_due is None
    assert result[withdrawn.pk].overdue_count == 1


def test_today_is_the_cohort_local_date(program):
    # 12:00 UTC on TODAY is already the next day in Auckland (UTC+13 in summer).
    cohort = CohortFactory(program=program, start_date=START, timezone="Pacific/Auckland")
    enrollment = make_enrollment(cohort)
    assert progress_of(enrollment).expected_percent == round(100 * (4 + 1 / 14) / 10, 1)


def test_as_dict_is_the_contract_shape(cohort):
    enrollment = make_enrollment(cohort)
    data = progress_of(enrollment).as_dict()
    assert set(data) == PROGRESS_FIELDS
    assert data["last_activity_at"] == "2026-03-02T12:00:00Z"


def test_detail_lists_modules_and_assignments(cohort, program):
    enrollment = make_enrollment(cohort)
    items = assignments_of(program)
    approve(enrollment, items[0])
    SubmissionFactory(
        enrollment=enrollment,
        assignment=items[1],
        status=Submission.Status.CHANGES_REQUESTED,
        submitted_at=at(TODAY),
        status_changed_at=at(TODAY),
    )
    detail = detail_of(enrollment)
    assert detail["percent_complete"] == 10.0
    by_id = {row["assignment"]: row for row in detail["assignments"]}
    assert by_id[items[0].pk]["status"] == "approved"
    assert by_id[items[0].pk]["overdue"] is False
    assert by_id[items[1].pk]["status"] == "changes_requested"
    assert by_id[items[1].pk]["overdue"] is True
    assert by_id[items[2].pk]["status"] == "not_started"
    assert by_id[items[2].pk]["version"] is None
    modules = {row["module"]: row for row in detail["modules"]}
    first_module = modules[items[0].module_id]
    assert first_module["status"] == "complete"
    assert first_module["percent_complete"] == 100.0
    assert modules[items[1].module_id]["status"] == "in_progress"
    assert modules[items[5].module_id]["status"] == "not_started"
    assert sum(row["minutes_logged"] for row in detail["modules"]) == 60


def _populate(cohort, program, learners):
    items = assignments_of(program)
    enrollments = []
    for n in range(learners):
        enrollment = make_enrollment(cohort)
        enrollments.append(enrollment)
        approve(enrollment, items[n % 3])
        day = START + dt.timedelta(days=3 * n)
        PauseFactory(enrollment=enrollment, start=day, end=day + dt.timedelta(days=1))
        pairing = PairingFactory(enrollment=enrollment, started_at=at(START))
        MentorSessionFactory(pairing=pairing, scheduled_at=at(START), status="missed")
    return enrollments


def _count_queries(call):
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def test_progress_query_count_does_not_grow(program):
    small_cohort = CohortFactory(program=program, start_date=START)
    _populate(small_cohort, program, 2)
    big_program = ProgramFactory()
    for n in range(25):
        AssignmentFactory(program=big_program, module__program=big_program, due_week=1 + n % 20)
    big_cohort = CohortFactory(program=big_program, start_date=START)
    _populate(big_cohort, big_program, 15)
    small, small_sql = _count_queries(
        lambda: progress_for_enrollments(Enrollment.objects.filter(cohort=small_cohort))
    )
    big, big_sql = _count_queries(
        lambda: progress_for_enrollments(Enrollment.objects.all().select_related("cohort"))
    )
    assert small == big, "\n".join(["small:", *small_sql, "big:", *big_sql])
    assert big == 6, "\n".join(big_sql)
    # A sliced page (as the API paginates) costs the same.
    page, page_sql = _count_queries(
        lambda: progress_for_enrollments(Enrollment.objects.order_by("pk")[3:9])
    )
    assert page == big, "\n".join(page_sql)


def test_empty_input_answers_empty():
    assert progress_for_enrollments(Enrollment.objects.none()) == {}
    assert progress_for_enrollments([]) == {}


def test_matrix_cells_and_constant_queries(cohort, program):
    items = assignments_of(program)
    first = make_enrollment(cohort)
    second = make_enrollment(cohort)
    approve(first, items[0])
    SubmissionFactory(
        enrollment=first,
        assignment=items[1],
        status=Submission.Status.CHANGES_REQUESTED,
        submitted_at=at(TODAY - dt.timedelta(days=3)),
        status_changed_at=at(TODAY - dt.timedelta(days=2)),
    )
    SubmissionFactory(
        enrollment=first, assignment=items[1], version=2, submitted_at=at(TODAY - dt.timedelta(1))
    )
    PauseFactory(enrollment=second, start=START, end=START + dt.timedelta(days=13))

    matrix = cohort_matrix(cohort, Enrollment.objects.all())
    assert [row["id"] for row in matrix["enrollments"]] == [first.pk, second.pk]
    assert [row["id"] for row in matrix["assignments"]] == [a.pk for a in items]
    assert len(matrix["cells"]) == 2 * len(items)
    cells = {(c["enrollment"], c["assignment"]): c for c in matrix["cells"]}
    assert cells[first.pk, items[0].pk]["status"] == "approved"
    assert cells[first.pk, items[0].pk]["overdue"] is False
    assert cells[first.pk, items[1].pk] == {
        "enrollment": first.pk,
        "assignment": items[1].pk,
        "status": "submitted",
        "versions": 2,
        "last_submitted_at": "2026-03-01T10:00:00Z",
        "overdue": True,
    }
    # Without a pause the week-6 assignment is overdue; the two-week pause moves it to day 56.
    assert cells[first.pk, items[2].pk]["overdue"] is True
    assert cells[second.pk, items[2].pk]["overdue"] is False
    assert cells[second.pk, items[2].pk]["versions"] == 0

    small, _ = _count_queries(lambda: cohort_matrix(cohort, Enrollment.objects.all()))
    _populate(cohort, program, 12)
    big, big_sql = _count_queries(lambda: cohort_matrix(cohort, Enrollment.objects.all()))
    assert small == big == 4, "\n".join(big_sql)


def test_the_matrix_as_json_text_is_the_matrix_encoded(cohort, program):
    """The API's matrix is written as text cell by cell: the same JSON as the dicts, byte for
    byte as DRF writes them, with submissions, a pause, a withdrawn learner and odd names."""
    items = assignments_of(program)
    first, second, third = (make_enrollment(cohort) for _ in range(3))
    first.learner.first_name = 'Zoë \u2028 "quoted" <b>'
    first.learner.save()
    approve(first, items[0])
    SubmissionFactory(
        enrollment=first, assignment=items[1], version=2, submitted_at=at(TODAY - dt.timedelta(1))
    )
    PauseFactory(enrollment=second, start=START, end=START + dt.timedelta(days=13))
    Enrollment.objects.filter(pk=third.pk).update(
        status=Enrollment.Status.WITHDRAWN, status_changed_at=at(START + dt.timedelta(days=20))
    )
    for queryset in (Enrollment.objects.all(), Enrollment.objects.none()):
        encoded = cohort_matrix_json(cohort, queryset)
        assert encoded.text == to_json(cohort_matrix(cohort, queryset))
        assert json.loads(encoded.text) == cohort_matrix(cohort, queryset)
        # The page's grid holds the same cells, row by row, without a dict per cell.
        matrix, grid = cohort_matrix(cohort, queryset), cohort_grid(cohort, queryset)
        assert grid["enrollments"] == matrix["enrollments"]
        assert grid["assignments"] == matrix["assignments"]
        assert [cell for row in grid["grid"] for cell in row] == [
            (cell["status"], cell["overdue"], cell["versions"]) for cell in matrix["cells"]
        ]


def test_large_inputs_use_a_subquery_with_the_same_answer(cohort, program, monkeypatch):
    first = make_enrollment(cohort)
    second = make_enrollment(cohort)
    approve(first, assignments_of(program)[0])
    PauseFactory(enrollment=second, start=START, end=START + dt.timedelta(days=6))
    queryset = Enrollment.objects.filter(cohort=cohort)
    by_ids = progress_for_enrollments(queryset)
    monkeypatch.setattr("tracker.progress.fetch.MAX_ID_LIST", 1)
    with CaptureQueriesContext(connection) as ctx:
        by_subquery = progress_for_enrollments(queryset)
    assert by_subquery == by_ids
    assert any("IN (SELECT" in q["sql"] for q in ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        matrix = cohort_matrix(cohort, queryset)
    assert any("IN (SELECT" in q["sql"] for q in ctx.captured_queries)
    monkeypatch.setattr("tracker.progress.fetch.MAX_ID_LIST", 900)
    assert matrix == cohort_matrix(cohort, queryset)
