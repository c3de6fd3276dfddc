"""The stored report rows (``tracker.progress.snapshots``) behind the cohort progress page: after
any write, whether the row was computed again on commit or is left to the reader, the page shows
what the engine computes from the facts now, and an answer computed from older facts is never
stored over a newer write."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection, transaction
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curriculum.kernel import clock
from curriculum.services import cohort_update
from learners.models import Enrollment
from learners.services import (
    enrollment_pause,
    enrollment_set_status,
    progress_log_create,
    progress_log_delete,
    submission_create,
)
from mentors.models import MentorSession, Pairing
from mentors.services import pairing_assign, review_create, session_create
from tests.api.conftest import client_for
from tests.learners.factories import (
    EnrollmentFactory,
    LearnerFactory,
    ProgressLogFactory,
)
from tracker.models import ProgressSnapshot
from tracker.progress import cohort_progress, snapshots
from tracker.progress.reports import progress_for_enrollments


def page(user, cohort, query: str = "?page_size=100", **headers) -> dict:
    """The page as ``user`` sees it."""
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
    progress_log_delete(actor=world.staff, log=world.log)


def submit_spare(world):
    submission_create(
        actor=world.learner,
        enrollment=world.enrollment,
        assignment=world.spare_assignment,
        url="https://example.com/spare",
    )


def approve(world):
    review_create(
        actor=world.mentor_user, submission=world.submission, verdict="approved", feedback="Yes."
    )


def pause_today(world):
    today = clock.today(world.cohort.timezone)
    enrollment_pause(actor=world.staff, enrollment=world.enrollment, start=today, end=today)


def change_mentor(world):
    pairing_assign(actor=world.staff, enrollment=world.enrollment, mentor=world.spare_mentor)


def miss_two_sessions(world):
    for days in (9, 2):
        session_create(
            actor=world.mentor_user,
            enrollment=world.enrollment,
            scheduled_at=timezone.now() - dt.timedelta(days=days),
            status=MentorSession.Status.MISSED,
        )


def withdraw(world):
    enrollment_set_status(actor=world.staff, enrollment=world.enrollment, status="withdrawn")


def move_cohort_start(world):
    cohort_update(
        actor=world.staff,
        cohort=world.cohort,
        start_date=world.cohort.start_date - dt.timedelta(weeks=2),
    )


def admin_save(world, obj, *, change: bool = True):
    """What the admin's add or change form runs once its form is valid, in its transaction:
    ``save_model`` then ``save_related`` (no inline rows here)."""
    model_admin = admin.site._registry[type(obj)]
    request = RequestFactory().post("/admin/")
    request.user = world.staff
    form = model_admin.get_form(request, obj if change else None, change=change)(instance=obj)
    # ``save_form`` (``form.save(commit=False)``) gives a valid form this; no m2m changes here.
    form.save_m2m = lambda: None
    with transaction.atomic():
        model_admin.save_model(request, obj, form, change)
        model_admin.save_related(request, form, [], change)


def reweigh_assignment(world):
    world.assignment.weight = 7
    world.assignment.due_week = 1
    admin_save(world, world.assignment)


def rename_learner(world):
    world.learner.first_name = "Augusta"
    admin_save(world, world.learner)


def rename_mentor(world):
    world.mentor_user.first_name = "Mina"
    world.mentor_user.last_name = "Murray"
    admin_save(world, world.mentor_user)


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
    admin_save(world, world.review)
    assert not fresh(world.enrollment)
    assert fresh(world.other_enrollment)
    page(world.staff, world.cohort)
    admin_save(world, world.other_mentor)
    assert not fresh(world.other_enrollment)
    assert fresh(world.enrollment)


@pytest.mark.django_db
def test_an_answer_from_facts_older_than_a_write_is_not_stored(world):
    page(world.staff, world.cohort)
    # A reader reads the row (and its token) before the facts ...
    rows = snapshots.report_rows([world.enrollment.pk])
    # ... a write commits meanwhile and replaces the token ...
    log_today(world)
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
    call_command("seed_demo", "--learners", "2", "--password", "Seed-test-pass-4821")
    assert not fresh(world.enrollment)
    assert not fresh(world.other_enrollment)


@pytest.mark.django_db
def test_a_page_of_fresh_rows_takes_the_same_queries_whatever_the_cohort_size(world):
    def queries() -> int:
        page(world.staff, world.cohort)  # computes and stores what is not fresh
        with CaptureQueriesContext(connection) as captured:
            response = client_for(world.staff).get(
                f"/api/v1/cohorts/{world.cohort.pk}/progress/?page_size=100"
            )
        assert response.status_code == 200
        last_queries[:] = [q["sql"][:150] for q in captured.captured_queries]
        return len(captured.captured_queries)

    last_queries: list[str] = []
    small = queries()
    for _ in range(25):
        EnrollmentFactory(cohort=world.cohort)
    assert queries() == small
    # Cohort, count, the page's ids and their stored rows.
    assert small <= 4, "\n".join(last_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 2])
def test_the_joined_page_is_what_the_json_renderer_writes(world, size):
    world.learner.first_name = 'Ada\u2028Ünïcode "quoted"'
    world.learner.save()
    url = f"/api/v1/cohorts/{world.cohort.pk}/progress/?page_size={size}"
    fast = client_for(world.staff).get(url)
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
def test_the_progress_page_pages_in_name_order(world):
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
    rows = cohort_progress(fetched_by=world.staff, cohort_id=world.cohort.pk)
    assert rows.count() == len(ordered) == 6
    assert [json.loads(text)["enrollment"] for text in rows[0:6]] == ordered
    assert [json.loads(text)["enrollment"] for text in rows[2:4]] == ordered[2:4]
    assert rows[6:9] == []
    with pytest.raises(TypeError):
        rows[1]
    # Through the page: every page in order, then 404 past the end.
    seen = []
    for number in (1, 2, 3):
        results = page(world.staff, world.cohort, f"?page_size=2&page={number}")["results"]
        seen += [row["enrollment"] for row in results]
    assert seen == ordered
    last = page(world.staff, world.cohort, "?page_size=4&page=last")
    assert [row["enrollment"] for row in last["results"]] == ordered[4:]
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
    # Beat runs it every hour (the periodic schedule, migration tracker.0010).
    scheduled = PeriodicTask.objects.get(task="tracker.tasks.refresh_progress_rows")
    assert scheduled.enabled and scheduled.crontab.minute == "10" and scheduled.crontab.hour == "*"


def _refreshes(callbacks) -> list[list[int]]:
    return [
        list(callback.args[0])
        for callback in callbacks
        if getattr(callback, "func", None) is snapshots.refresh
    ]


@pytest.mark.django_db
def test_rows_outdated_together_are_computed_in_one_refresh_after_commit(
    world, django_capture_on_commit_callbacks
):
    both = sorted([world.enrollment.pk, world.other_enrollment.pk])
    with (
        django_capture_on_commit_callbacks() as callbacks,
        transaction.atomic(),
        snapshots.refreshed_together(),
    ):
        snapshots.outdate([world.enrollment.pk])
        with snapshots.refreshed_together():
            snapshots.outdate([world.other_enrollment.pk])
    assert _refreshes(callbacks) == [both]
    assert not fresh(world.enrollment)
    for callback in callbacks:
        callback()
    assert fresh(world.enrollment) and fresh(world.other_enrollment)

    # Outside a block each write schedules its own refresh; a block that fails schedules none.
    with django_capture_on_commit_callbacks() as callbacks:
        snapshots.outdate([world.enrollment.pk])
        with pytest.raises(RuntimeError), transaction.atomic(), snapshots.refreshed_together():
            snapshots.outdate([world.other_enrollment.pk])
            raise RuntimeError("roster row refused")
    assert _refreshes(callbacks) == [[world.enrollment.pk]]
    assert fresh(world.other_enrollment)


@pytest.mark.django_db
def test_ordered_filtered_and_scoped_pages_read_through_the_queryset(world):
    def shown(user, query: str) -> list[int]:
        return [row["enrollment"] for row in page(user, world.cohort, query)["results"]]

    both = sorted([world.enrollment.pk, world.other_enrollment.pk])
    assert shown(world.staff, "?ordering=-id") == both[::-1]
    assert shown(world.mentor_user, "?page_size=100") == [world.enrollment.pk]
    withdraw(world)
    assert shown(world.staff, "?status=withdrawn") == [world.enrollment.pk]
    bad = client_for(world.staff).get(f"/api/v1/cohorts/{world.cohort.pk}/progress/?status=x")
    assert bad.status_code == 400
    assert client_for(world.staff).get("/api/v1/cohorts/999999/progress/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["staff", "mentor_user"])
def test_a_csv_beyond_the_id_list_limit_reads_through_a_subquery(world, user, monkeypatch):
    expected = expected_rows(world.cohort)
    monkeypatch.setattr("tracker.progress.fetch.MAX_ID_LIST", 1)
    response = client_for(getattr(world, user)).get(
        f"/api/v1/cohorts/{world.cohort.pk}/progress.csv"
    )
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()[1:]
    shown = {int(line.split(",")[0]) for line in lines}
    assert shown == ({world.enrollment.pk} if user == "mentor_user" else set(expected))
