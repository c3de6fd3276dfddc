"""The cohort progress page is cached, and a cached page is never stale: every write that moves
progress (through a service, the admin or a plain ``save()``) changes the version stored in the
database, so the next request computes the page again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curriculum.kernel import clock
from learners.models import Enrollment, ProgressLog
from learners.services import progress_log_create
from mentors.services import review_create
from tests.api.conftest import client_for
from tests.curriculum.factories import CohortFactory
from tests.learners.factories import EnrollmentFactory, LearnerFactory, SubmissionFactory
from tracker.models import ProgressVersion
from tracker.progress.cache import progress_version


def progress_page(user, cohort, query: str = "") -> tuple[dict, int]:
    """The page as ``user`` sees it and the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client_for(user).get(f"/api/v1/cohorts/{cohort.pk}/progress/{query}")
    assert response.status_code == 200, response.content
    return response.json(), len(queries)


def log_today(world, enrollment, minutes: int):
    """The learner of ``enrollment`` logs ``minutes`` for today, through the service."""
    return progress_log_create(
        actor=enrollment.learner,
        enrollment=enrollment,
        module=world.module,
        logged_on=clock.today(enrollment.cohort.timezone),
        minutes=minutes,
    )


def row_of(page: dict, enrollment) -> dict:
    (row,) = [row for row in page["results"] if row["enrollment"] == enrollment.pk]
    return row


@pytest.mark.django_db
def test_a_repeated_request_is_answered_from_the_cache(world):
    first, first_queries = progress_page(world.staff, world.cohort)
    again, again_queries = progress_page(world.staff, world.cohort)
    assert again == first
    # Only the cohort and the version are read: no enrollment, log or submission query.
    assert again_queries < first_queries
    assert again_queries <= 3


@pytest.mark.django_db
def test_a_new_progress_log_changes_the_next_response(world):
    before = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    log_today(world, world.enrollment, 95)
    after = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    assert after["minutes_logged_7d"] == before["minutes_logged_7d"] + 95


@pytest.mark.django_db
def test_a_new_review_changes_the_next_response(world):
    before = row_of(progress_page(world.mentor_user, world.cohort)[0], world.enrollment)
    review_create(
        actor=world.mentor_user,
        submission=world.submission,
        verdict="approved",
        feedback="Well done.",
    )
    after = row_of(progress_page(world.mentor_user, world.cohort)[0], world.enrollment)
    assert after["percent_complete"] > before["percent_complete"]


@pytest.mark.django_db
def test_a_plain_save_as_the_admin_makes_changes_the_next_response(world):
    progress_page(world.staff, world.cohort)
    world.enrollment.status = "withdrawn"
    world.enrollment.save()
    assert row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)["status"] == (
        "withdrawn"
    )
    world.learner.first_name = "Augusta"
    world.learner.save()
    row = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    assert row["learner"]["name"] == "Augusta Learner"


@pytest.mark.django_db
def test_a_deleted_submission_changes_the_next_response(world):
    extra = SubmissionFactory(
        enrollment=world.enrollment, assignment=world.spare_assignment, status="approved"
    )
    before = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    extra.delete()
    after = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    assert after["percent_complete"] < before["percent_complete"]


@pytest.mark.django_db
def test_callers_never_share_a_cached_page(world):
    staff_page, _ = progress_page(world.staff, world.cohort)
    assert {row["enrollment"] for row in staff_page["results"]} == {
        world.enrollment.pk,
        world.other_enrollment.pk,
    }
    learner_page, _ = progress_page(world.other_learner, world.cohort)
    assert [row["enrollment"] for row in learner_page["results"]] == [world.other_enrollment.pk]
    mentor_page, _ = progress_page(world.mentor_user, world.cohort)
    assert [row["enrollment"] for row in mentor_page["results"]] == [world.enrollment.pk]


@pytest.mark.django_db
def test_the_query_string_is_part_of_the_key(world):
    everyone, _ = progress_page(world.staff, world.cohort)
    one, _ = progress_page(world.staff, world.cohort, "?page_size=1")
    assert everyone["count"] == 2
    assert len(everyone["results"]) == 2
    assert len(one["results"]) == 1


@pytest.mark.django_db
def test_a_new_day_computes_the_page_again(world, clock):
    today = clock.now()
    with clock.at(today):
        first = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    with clock.at(today + dt.timedelta(days=8)):
        later = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    # Nothing was written in between: only the day changed, and with it the key.
    assert progress_version() is not None
    # Eight days without a log make the learner inactive.
    assert "inactive" in later["risk_reasons"]
    assert "inactive" not in first["risk_reasons"]


@pytest.mark.django_db
def test_without_the_version_row_nothing_is_cached(world):
    ProgressVersion.objects.all().delete()
    assert progress_version() is None
    first, _ = progress_page(world.staff, world.cohort)
    with CaptureQueriesContext(connection) as queries:
        again, _ = progress_page(world.staff, world.cohort)
    assert again == first
    # Read again (the count and the rows), not answered from the cache.
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "COUNT(" in sql
    assert "tracker_progresssnapshot" in sql


@pytest.mark.django_db
def test_a_zero_lifetime_turns_the_page_cache_off(world, settings):
    settings.STRIDE_PROGRESS_CACHE_SECONDS = 0
    first, _ = progress_page(world.staff, world.cohort)
    with CaptureQueriesContext(connection) as queries:
        again, _ = progress_page(world.staff, world.cohort)
    assert again == first
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    # Neither the version is read nor the page cached: the rows are read again.
    assert "tracker_progressversion" not in sql
    assert "tracker_progresssnapshot" in sql


@pytest.mark.django_db
def test_seed_demo_bumps_the_version_once_for_its_bulk_writes(world, capsys):
    before = progress_version()
    call_command("seed_demo", "--learners", "2")
    assert progress_version() not in (None, before)


# --- one version per cohort ---------------------------------------------------------------------
def second_cohort(world):
    """Another cohort of the same program, with one enrolled learner."""
    cohort = CohortFactory(program=world.program, start_date=world.cohort.start_date)
    enrollment = EnrollmentFactory(cohort=cohort, learner=LearnerFactory(username="cy"))
    return cohort, enrollment


@pytest.mark.django_db
def test_a_write_in_another_cohort_leaves_this_cohorts_page_cached(world):
    other_cohort, other_enrollment = second_cohort(world)
    first, first_queries = progress_page(world.staff, world.cohort)
    progress_page(world.staff, other_cohort)
    mine = progress_version(world.cohort.pk)
    theirs = progress_version(other_cohort.pk)

    log_today(world, other_enrollment, 30)

    assert progress_version(world.cohort.pk) == mine
    assert progress_version(other_cohort.pk) != theirs
    again, again_queries = progress_page(world.staff, world.cohort)
    assert again == first
    assert again_queries <= 3 < first_queries
    # The other cohort's page is computed again and shows the new minutes.
    (row,) = progress_page(world.staff, other_cohort)[0]["results"]
    assert row["minutes_logged_7d"] == 30


@pytest.mark.django_db
def test_a_mentors_new_name_outdates_every_cohort(world):
    other_cohort, _ = second_cohort(world)
    versions = {c.pk: progress_version(c.pk) for c in (world.cohort, other_cohort)}
    world.mentor_user.last_name = "Renamed"
    world.mentor_user.save()
    for cohort_pk, version in versions.items():
        assert progress_version(cohort_pk) != version
    row = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    assert row["mentor"]["name"].endswith("Renamed")


@pytest.mark.django_db
def test_a_row_moved_to_another_cohort_outdates_both(world):
    other_cohort, other_enrollment = second_cohort(world)
    before = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    log = log_today(world, world.enrollment, 45)
    log = type(log).objects.get(pk=log.pk)  # as loaded, e.g. by the admin
    versions = {c.pk: progress_version(c.pk) for c in (world.cohort, other_cohort)}
    log.enrollment = other_enrollment
    log.save()
    for cohort_pk, version in versions.items():
        assert progress_version(cohort_pk) != version
    after = row_of(progress_page(world.staff, world.cohort)[0], world.enrollment)
    assert after["minutes_logged_7d"] == before["minutes_logged_7d"]
    (row,) = progress_page(world.staff, other_cohort)[0]["results"]
    assert row["minutes_logged_7d"] == 45


@pytest.mark.django_db
def test_a_review_outdates_its_cohort_only(world):
    other_cohort, _ = second_cohort(world)
    mine, theirs = progress_version(world.cohort.pk), progress_version(other_cohort.pk)
    review_create(
        actor=world.mentor_user, submission=world.submission, verdict="approved", feedback="Ok."
    )
    assert progress_version(world.cohort.pk) != mine
    assert progress_version(other_cohort.pk) == theirs


@pytest.mark.django_db
def test_deleting_a_cohort_takes_its_version_row_along(world):
    other_cohort, other_enrollment = second_cohort(world)
    pk = other_cohort.pk
    # A cohort with enrollments is protected; removing the enrollment bumps the cohort's row.
    other_enrollment.delete()
    assert ProgressVersion.objects.filter(cohort_id=pk).exists()
    other_cohort.delete()
    assert not ProgressVersion.objects.filter(cohort_id=pk).exists()
    assert progress_version(world.cohort.pk) is not None


@pytest.mark.django_db
def test_rows_loaded_without_their_cohort_field_cost_no_extra_query(world):
    log_today(world, world.enrollment, 20)
    with CaptureQueriesContext(connection) as queries:
        enrollments = list(Enrollment.objects.only("id", "status"))
        logs = list(ProgressLog.objects.only("id", "minutes"))
    assert len(queries) == 2
    assert enrollments
    assert logs
    # Saving one still outdates its cohort: the cohort is read then.
    version = progress_version(world.cohort.pk)
    enrollment = Enrollment.objects.only("id", "status").get(pk=world.enrollment.pk)
    enrollment.status = "withdrawn"
    enrollment.save(update_fields=["status"])
    assert progress_version(world.cohort.pk) != version
