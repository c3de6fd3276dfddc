"""The stored report rows (``tracker.progress.snapshots``) behind the cohort progress page: after
any write, whether the row was computed again on commit or is left to the reader, the page shows
what the engine computes from the facts now, and an answer computed from older facts is never
stored over a newer write."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curriculum.kernel import clock
from learners.models import Enrollment
from learners.services import progress_log_create
from mentors.models import MentorSession, Pairing
from tests.api.conftest import client_for
from tests.learners.factories import (
    EnrollmentFactory,
    LearnerFactory,
    PauseFactory,
    ProgressLogFactory,
    SubmissionFactory,
)
from tests.mentors.factories import MentorSessionFactory, PairingFactory
from tracker.api.views.cohorts import CohortRoster
from tracker.models import ProgressSnapshot
from tracker.progress import progress_for_enrollments, snapshots


def page(user, cohort, query: str = "?page_size=100", **headers) -> dict:
    """The page as ``user`` sees it, never from the page cache."""
    cache.clear()
    response = client_for(user).get(f"/api/v1/cohorts/{cohort.pk}/progress/{query}", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def rows_by_enrollment(page_json: dict) -> dict[int, dict]:
    return {row["enrollment"]: row for row in page_json["results"]}


def name_of(user) -> str:
    return user.get_full_name() or user.get_username()


def expected_rows(cohort) -> dict[int, dict]:
    """Every report row of the cohort computed by the engine and read from the models now."""
    enrollments = Enrollment.objects.filter(cohort=cohort).select_related("learner")
    progress = progress_for_enrollments(enrollments)
    rows = {}
    for enrollment in enrollments:
        pairing = (
            Pairing.objects.filter(enrollment=enrollment, ended_at__isnull=True)
            .select_related("mentor__user")
            .first()
        )
        learner = enrollment.learner
        rows[enrollment.pk] = {
            **progress[enrollment.pk].as_dict(),
            "learner": {"id": learner.pk, "username": learner.username, "name": name_of(learner)},
            "mentor": (
                None
                if pairing is None
                else {"id": pairing.mentor_id, "name": name_of(pairing.mentor.user)}
            ),
            "status": enrollment.status,
        }
    return rows


def fresh(enrollment) -> bool:
    row = ProgressSnapshot.objects.filter(enrollment_id=enrollment.pk).first()
    return row is not None and row.computed == row.token and row.basis == snapshots.basis()


def log_today(world):
    progress_log_create(
        actor=world.learner,
        enrollment=world.enrollment,
        module=world.module,
        logged_on=clock.today(world.cohort.timezone),
        minutes=95,
    )


def delete_log(world):
    world.log.delete()


def submit_spare(world):
    SubmissionFactory(enrollment=world.enrollment, assignment=world.spare_assignment)


def approve(world):
    world.submission.status = "approved"
    world.submission.status_changed_at = timezone.now()
    world.submission.save()


def pause_today(world):
    PauseFactory(enrollment=world.enrollment)


def change_mentor(world):
    world.pairing.ended_at = timezone.now()
    world.pairing.save()
    PairingFactory(enrollment=world.enrollment, mentor=world.other_mentor)


def miss_two_sessions(world):
    for days in (9, 2):
        MentorSessionFactory(
            pairing=world.pairing,
            scheduled_at=timezone.now() - dt.timedelta(days=days),
            status=MentorSession.Status.MISSED,
        )


def withdraw(world):
    world.enrollment.status = "withdrawn"
    world.enrollment.status_changed_at = timezone.now()
    world.enrollment.save()


def move_cohort_start(world):
    world.cohort.start_date -= dt.timedelta(weeks=2)
    world.cohort.save()


def reweigh_assignment(world):
    world.assignment.weight = 7
    world.assignment.due_week = 1
    world.assignment.save()


def rename_learner(world):
    world.learner.first_name = "Augusta"
    world.learner.save()


def rename_mentor(world):
    world.mentor_user.first_name = "Mina"
    world.mentor_user.last_name = "Murray"
    world.mentor_user.save()


WRITES = [
    log_today,
    delete_log,
    submit_spare,
    approve,
    pause_today,
    change_mentor,
    miss_two_sessions,
    withdraw,
    move_cohort_start,
    reweigh_assignment,
    rename_learner,
    rename_mentor,
]


@pytest.mark.django_db
@pytest.mark.parametrize("committed", [True, False], ids=["refreshed-on-commit", "left-to-reader"])
@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_after_any_write_the_page_shows_what_the_engine_computes(
    world, write, committed, django_capture_on_commit_callbacks
):
    before = page(world.staff, world.cohort)
    assert rows_by_enrollment(before) == expected_rows(world.cohort)
    assert fresh(world.enrollment)
    # The test's transaction never commits; the callbacks run here when asked to.
    with django_capture_on_commit_callbacks(execute=committed):
        write(world)
    assert fresh(world.enrollment) is (committed and write not in WIDE_WRITES)
    after = rows_by_enrollment(page(world.staff, world.cohort))
    assert after == expected_rows(world.cohort)
    assert after != rows_by_enrollment(before)
    # The reader stored what it computed: the next page reads it as it is.
    assert fresh(world.enrollment)
    assert rows_by_enrollment(page(world.staff, world.cohort)) == after


# Writes that reach many enrollments at once are left to the readers.
WIDE_WRITES = {move_cohort_start, reweigh_assignment, rename_learner, rename_mentor}


@pytest.mark.django_db
def test_a_review_or_mentor_save_outdates_the_rows_it_shows_in(world):
    page(world.staff, world.cohort)
    world.review.save()
    assert not fresh(world.enrollment)
    assert fresh(world.other_enrollment)
    page(world.staff, world.cohort)
    world.other_mentor.save()
    assert not fresh(world.other_enrollment)
    assert fresh(world.enrollment)


@pytest.mark.django_db
def test_an_answer_from_facts_older_than_a_write_is_not_stored(world):
    page(world.staff, world.cohort)
    # A reader reads the row (and its token) before the facts ...
    rows = snapshots.report_rows([world.enrollment.pk])
    # ... a write commits meanwhile and replaces the token ...
    ProgressLogFactory(enrollment=world.enrollment, module=world.module, minutes=45)
    # ... so what the reader computes is served to it but not stored.
    snapshots.report_texts(rows)
    assert not fresh(world.enrollment)
    row = rows_by_enrollment(page(world.staff, world.cohort))[world.enrollment.pk]
    assert row == expected_rows(world.cohort)[world.enrollment.pk]
    assert fresh(world.enrollment)


@pytest.mark.django_db
def test_rows_are_computed_again_on_a_new_day_and_under_new_thresholds(world, clock):
    first = rows_by_enrollment(page(world.staff, world.cohort))
    with clock.at(timezone.now() + dt.timedelta(days=8)):
        later = rows_by_enrollment(page(world.staff, world.cohort))
        assert later == expected_rows(world.cohort)
        # Nothing was written: only the day changed.
        assert "inactive" in later[world.enrollment.pk]["risk_reasons"]
    assert "inactive" not in first[world.enrollment.pk]["risk_reasons"]
    with override_settings(STRIDE_INACTIVE_DAYS=0, STRIDE_PACE_AT_RISK_MARGIN=-200.0):
        assert not fresh(world.enrollment)
        relaxed = rows_by_enrollment(page(world.staff, world.cohort))
        assert relaxed == expected_rows(world.cohort)
        assert fresh(world.enrollment)
    assert not fresh(world.enrollment)


@pytest.mark.django_db
def test_a_deleted_enrollment_leaves_no_row_behind(world):
    learner = LearnerFactory()
    enrollment = EnrollmentFactory(cohort=world.cohort, learner=learner)
    ProgressLogFactory(enrollment=enrollment, module=world.module)
    page(world.staff, world.cohort)
    assert ProgressSnapshot.objects.filter(enrollment_id=enrollment.pk).exists()
    enrollment.delete()
    assert not ProgressSnapshot.objects.filter(enrollment_id=enrollment.pk).exists()


@pytest.mark.django_db
def test_seed_demo_outdates_every_stored_row(world):
    page(world.staff, world.cohort)
    assert fresh(world.enrollment)
    call_command("seed_demo", "--learners", "2")
    assert not fresh(world.enrollment)
    assert not fresh(world.other_enrollment)


@pytest.mark.django_db
def test_a_page_of_fresh_rows_takes_the_same_queries_whatever_the_cohort_size(world):
    def queries() -> int:
        page(world.staff, world.cohort)  # computes and stores what is not fresh
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client_for(world.staff).get(
                f"/api/v1/cohorts/{world.cohort.pk}/progress/?page_size=100"
            )
        assert response.status_code == 200
        return len(captured.captured_queries)

    small = queries()
    for _ in range(25):
        EnrollmentFactory(cohort=world.cohort)
    assert queries() == small
    # Token, cohort, progress version, count and the page's stored rows.
    assert small <= 5


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 2])
def test_the_joined_page_is_what_the_json_renderer_writes(world, size):
    world.learner.first_name = 'Ada\u2028Ünïcode "quoted"'
    world.learner.save()
    url = f"/api/v1/cohorts/{world.cohort.pk}/progress/?page_size={size}"
    fast = client_for(world.staff).get(url)
    cache.clear()
    rendered = client_for(world.staff).get(url, HTTP_ACCEPT="application/json; indent=2")
    assert fast.status_code == rendered.status_code == 200
    assert fast["Content-Type"] == "application/json"
    assert json.loads(fast.content) == json.loads(rendered.content)
    assert json.loads(fast.content)["count"] == 2
    if size == 1:
        assert json.loads(fast.content)["next"].endswith("?page=2&page_size=1")
    else:
        assert json.loads(fast.content)["next"] is None
        # Escaped as DRF's renderer escapes it; the name itself comes back whole.
        assert b"\\u2028" in fast.content
        names = {row["learner"]["name"] for row in json.loads(fast.content)["results"]}
        assert 'Ada\u2028Ünïcode "quoted" Learner' in names


@pytest.mark.django_db
def test_the_staff_roster_pages_like_the_ordered_queryset(world):
    # Ties on the last name, and on both names, fall back to the first name, then the id.
    for first, last in [("Zoe", "Adams"), ("Al", "Adams"), ("Al", "Adams"), ("Bea", "Zed")]:
        EnrollmentFactory(
            cohort=world.cohort, learner=LearnerFactory(first_name=first, last_name=last)
        )
    ordered = list(
        Enrollment.objects.filter(cohort=world.cohort)
        .order_by("learner__last_name", "learner__first_name", "id")
        .values_list("pk", flat=True)
    )
    roster = CohortRoster(world.cohort.pk)
    assert roster.count() == len(ordered) == 6
    assert roster[0:6] == ordered
    assert roster[2:4] == ordered[2:4]
    assert roster[6:9] == []
    with pytest.raises(TypeError):
        roster[1]
    # Through the page: every page in order, then 404 past the end.
    seen = []
    for number in (1, 2, 3):
        results = page(world.staff, world.cohort, f"?page_size=2&page={number}")["results"]
        seen += [row["enrollment"] for row in results]
    assert seen == ordered
    last = page(world.staff, world.cohort, "?page_size=4&page=last")
    assert [row["enrollment"] for row in last["results"]] == ordered[4:]
    cache.clear()
    past = client_for(world.staff).get(
        f"/api/v1/cohorts/{world.cohort.pk}/progress/?page_size=2&page=4"
    )
    assert past.status_code == 404


@pytest.mark.django_db
def test_the_hourly_refresh_computes_only_rows_that_are_not_fresh(world, clock):
    from django_celery_beat.models import PeriodicTask

    from tracker import tasks

    # Never read yet: the writes of the fixture left outdated tokens only.
    assert not fresh(world.enrollment) and not fresh(world.other_enrollment)
    assert tasks.refresh_progress_rows.apply().get() == 3  # Una's row in the Evening cohort too
    assert fresh(world.enrollment) and fresh(world.other_enrollment)
    tokens = dict(ProgressSnapshot.objects.values_list("enrollment_id", "token"))
    # Fresh rows are left alone.
    with CaptureQueriesContext(connection) as captured:
        assert snapshots.refresh_stale() == 0
    assert not any("UPDATE" in query["sql"] for query in captured.captured_queries)
    # A wide write (the cohort's dates) outdates every row of the cohort; the refresh computes
    # them again, as the engine does.
    move_cohort_start(world)
    assert not fresh(world.enrollment)
    assert snapshots.refresh_stale() == 2
    assert fresh(world.enrollment) and fresh(world.other_enrollment)
    stored = {
        row.enrollment_id: json.loads(row.data)
        for row in ProgressSnapshot.objects.filter(enrollment__cohort=world.cohort)
    }
    assert stored == expected_rows(world.cohort)
    assert dict(ProgressSnapshot.objects.values_list("enrollment_id", "token")).keys() == (
        tokens.keys()
    )
    # A new day in the cohort's zone: every row is due again.
    with clock.at(timezone.now() + dt.timedelta(days=1)):
        assert snapshots.refresh_stale() == 3
        assert fresh(world.enrollment)
    # Rows never written (a bulk load, such as the seed's): created.
    ProgressSnapshot.objects.all().delete()
    assert snapshots.refresh_stale() == 3
    assert fresh(world.enrollment) and fresh(world.other_enrollment)
    # Beat runs it every hour (migration tracker.0009).
    scheduled = PeriodicTask.objects.get(task="tracker.tasks.refresh_progress_rows")
    assert scheduled.enabled and scheduled.crontab.minute == "10" and scheduled.crontab.hour == "*"
    assert tasks.refresh_progress_rows.acks_late and tasks.refresh_progress_rows.time_limit
