"""Property tests (hypothesis) on the engine's pure functions: no database, no clock."""

import dataclasses
import datetime as dt
import json
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learners.models import shifted_due_date
from tracker.progress.engine import (
    AssignmentRow,
    EnrollmentFacts,
    LatestSubmission,
    NextDue,
    ProgramPlan,
    Progress,
    Thresholds,
    compute_progress,
    expected_percent_on,
    percent_complete_of,
)
from tracker.progress.schedule import due_dates_for, schedule_day, shift_due_date

START = dt.date(2026, 1, 5)
STATUSES = ["submitted", "approved", "changes_requested"]
UTC_NOON = dt.time(12, 0, tzinfo=dt.UTC)


@st.composite
def pause_lists(draw, anchor=START - dt.timedelta(days=30)):
    """Sorted, non-overlapping, inclusive pauses, some before the cohort start."""
    pauses = []
    cursor = anchor
    for gap, length in draw(
        st.lists(st.tuples(st.integers(0, 60), st.integers(0, 40)), max_size=6)
    ):
        start = cursor + dt.timedelta(days=gap)
        end = start + dt.timedelta(days=length)
        pauses.append((start, end))
        cursor = end + dt.timedelta(days=1)
    return tuple(pauses)


@st.composite
def plans(draw):
    count = draw(st.integers(0, 12))
    rows = [
        AssignmentRow(
            id=n + 1,
            title=f"A{n + 1}",
            kind=draw(st.sampled_from(["exercise", "project", "milestone"])),
            due_week=draw(st.integers(1, 26)),
            weight=draw(st.integers(1, 1000)),
            module_id=None,
            order=n + 1,
        )
        for n in range(count)
    ]
    return ProgramPlan.build(rows)


def submission(assignment_id, status, day):
    at = dt.datetime.combine(day, UTC_NOON)
    return LatestSubmission(assignment_id, 1, status, at, at)


days = st.integers(-30, 400).map(lambda n: START + dt.timedelta(days=n))
# No per-example deadline: the machine is shared and timing is not what these tests check.
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(base=days, pauses=pause_lists())
def test_a_pause_never_moves_a_due_date_earlier(base, pauses):
    shifted = shift_due_date(base, pauses)
    assert shifted >= base
    # Dropping any one pause never moves the date later than keeping it.
    for n in range(len(pauses)):
        assert shift_due_date(base, pauses[:n] + pauses[n + 1 :]) <= shifted
    # The same rule as the model's helper.
    assert shifted == shifted_due_date(base, list(pauses))


@PROPERTY
@given(week=st.integers(1, 26), pauses=pause_lists())
def test_schedule_day_reaches_the_due_week_exactly_on_the_shifted_due_date(week, pauses):
    due = due_dates_for(START, [week], pauses)[0]
    assert schedule_day(START, due, pauses) == 7 * week
    assert schedule_day(START, due - dt.timedelta(days=1), pauses) < 7 * week


@PROPERTY
@given(plan=plans(), pauses=pause_lists(), first=days, later_by=st.integers(0, 200))
def test_expected_percent_is_monotone_in_time_and_bounded(plan, pauses, first, later_by):
    second = first + dt.timedelta(days=later_by)
    earlier = expected_percent_on(plan, START, first, pauses)
    later = expected_percent_on(plan, START, second, pauses)
    assert 0.0 <= earlier <= later <= 100.0


@PROPERTY
@given(plan=plans(), data=st.data())
def test_approving_more_work_never_lowers_percent_complete(plan, data):
    ids = [a.id for a in plan.assignments]
    statuses = {
        aid: data.draw(st.sampled_from([None, *STATUSES]), label=f"status {aid}") for aid in ids
    }
    latest = {aid: submission(aid, status, START) for aid, status in statuses.items() if status}
    before = percent_complete_of(plan, latest)
    extra = data.draw(st.sets(st.sampled_from(ids)) if ids else st.just(set()))
    more = dict(latest)
    for aid in extra:
        more[aid] = submission(aid, "approved", START)
    after = percent_complete_of(plan, more)
    assert 0.0 <= before <= after <= 100.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=plans(),
    pauses=pause_lists(),
    today=days,
    status=st.sampled_from(["active", "paused", "withdrawn", "graduated"]),
    data=st.data(),
)
def test_every_field_stays_in_range(plan, pauses, today, status, data):
    latest = {}
    for assignment in plan.assignments:
        choice = data.draw(st.sampled_from([None, *STATUSES]))
        if choice:
            day = data.draw(days)
            latest[assignment.id] = submission(assignment.id, choice, day)
    facts = EnrollmentFacts(
        enrollment_id=1,
        status=status,
        start_date=START,
        timezone="UTC",
        enrolled_on=START,
        closed_on=data.draw(st.none() | days),
        pauses=pauses,
        latest=latest,
        recent_session_statuses=tuple(
            data.draw(st.lists(st.sampled_from(["missed", "completed"]), max_size=3))
        ),
    )
    progress = compute_progress(facts, plan, today, Thresholds())
    assert 0.0 <= progress.percent_complete <= 100.0
    assert 0.0 <= progress.expected_percent <= 100.0
    assert progress.pace in {"ahead", "on_track", "at_risk", "behind"}
    assert 0 <= progress.overdue_count <= len(plan.assignments)
    if progress.next_due is not None:
        assert progress.next_due.due_date >= today
    if progress.projected_completion is not None and progress.percent_complete < 100.0:
        assert progress.projected_completion > today
    assert set(progress.risk_reasons) <= {
        "behind_schedule",
        "overdue_milestone",
        "inactive",
        "missed_sessions",
        "stale_changes_requested",
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), pauses=pause_lists(), today=days, data=st.data())
def test_overdue_and_next_due_match_a_plain_scan(plan, pauses, today, data):
    latest = {}
    for assignment in plan.assignments:
        choice = data.draw(st.sampled_from([None, *STATUSES]))
        if choice:
            latest[assignment.id] = submission(assignment.id, choice, START)
    facts = EnrollmentFacts(
        enrollment_id=1,
        status="active",
        start_date=START,
        timezone="UTC",
        enrolled_on=START,
        pauses=pauses,
        latest=latest,
    )
    progress = compute_progress(facts, plan, today, Thresholds())
    dues = due_dates_for(START, plan.due_weeks, pauses)
    open_items = [
        (due, assignment)
        for assignment, due in zip(plan.assignments, dues, strict=True)
        if assignment.id not in latest or latest[assignment.id].status != "approved"
    ]
    assert progress.overdue_count == sum(1 for due, _ in open_items if due < today)
    upcoming = [(due, a.id) for due, a in open_items if due >= today]
    expected_next = min(upcoming, key=lambda item: item[0], default=None)
    if expected_next is None:
        assert progress.next_due is None
    else:
        assert progress.next_due.due_date == expected_next[0]
    milestone_late = any(due < today and a.kind == "milestone" for due, a in open_items)
    assert ("overdue_milestone" in progress.risk_reasons) is milestone_late


@given(
    st.builds(
        Progress,
        enrollment_id=st.integers(1, 10**9),
        percent_complete=st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1)),
        expected_percent=st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1)),
        pace=st.sampled_from(["ahead", "on_track", "at_risk", "behind"]),
        risk_reasons=st.lists(st.sampled_from(["behind_schedule", "inactive"]), unique=True),
        last_activity_at=st.none()
        | st.datetimes(timezones=st.sampled_from([dt.UTC, ZoneInfo("Asia/Kolkata")])),
        overdue_count=st.integers(0, 50),
        next_due=st.none()
        | st.builds(NextDue, st.integers(1, 10**6), st.text(max_size=40), st.dates()),
        minutes_logged_7d=st.integers(0, 10_000),
        projected_completion=st.none() | st.dates(),
    )
)
def test_progress_comes_back_whole_from_its_json_shape(progress):
    # The stored report rows hold this JSON; the web pages read Progress values back from it.
    back = Progress.from_dict(json.loads(json.dumps(progress.as_dict())))
    assert back.as_dict() == progress.as_dict()
    # The same instant. Compared in UTC: Python never calls an instant in a zone's repeated hour
    # (fold=1, e.g. Asia/Kolkata on 1945-10-14) equal to one with another tzinfo, although both
    # name the same moment.
    assert in_utc(back) == in_utc(progress)


def in_utc(progress: Progress) -> Progress:
    when = progress.last_activity_at
    return dataclasses.replace(progress, last_activity_at=when and when.astimezone(dt.UTC))


def test_an_instant_in_a_repeated_hour_comes_back_as_the_same_instant():
    repeated = dt.datetime(1945, 10, 14, 23, 30, fold=1, tzinfo=ZoneInfo("Asia/Kolkata"))
    progress = Progress(
        enrollment_id=1,
        percent_complete=0.0,
        expected_percent=0.0,
        pace="on_track",
        risk_reasons=[],
        last_activity_at=repeated,
        overdue_count=0,
        next_due=None,
        minutes_logged_7d=0,
        projected_completion=None,
    )
    back = Progress.from_dict(json.loads(json.dumps(progress.as_dict())))
    assert back.last_activity_at.astimezone(dt.UTC) == repeated.astimezone(dt.UTC)
    assert back.last_activity_at.utcoffset() == repeated.utcoffset()
