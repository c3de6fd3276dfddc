"""Every write path that can move progress announces it (``progress_inputs_changed``), so no
stored report row is ever served stale: after each service, each admin add/change/delete of a
model progress reads, ``seed_demo`` and ``erase_learner``, what a reader is served for every
enrollment equals what the engine computes from the facts now."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from curriculum.kernel import clock
from curriculum.models import Assignment, Cohort, Program
from curriculum.services import assignment_create, cohort_update
from learners.models import Enrollment, Pause, ProgressLog, Submission
from learners.services import (
    enrollment_create,
    enrollment_pause,
    enrollment_set_status,
    enrollment_sync_pause_statuses,
    enrollments_create,
    progress_log_create,
    progress_log_update,
)
from mentors.models import Mentor, MentorSession, Pairing, Review
from mentors.services import (
    pairing_assign,
    pairing_close_for_enrollment,
    pairing_end,
    session_create,
    session_update,
)
from tests.api.conftest import client_for
from tests.api.test_progress_snapshots import admin_save, expected_rows
from tests.api.test_progress_snapshots import approve as review
from tests.api.test_progress_snapshots import delete_log as log_delete
from tests.api.test_progress_snapshots import submit_spare as submit
from tests.learners.factories import LearnerFactory, PauseFactory
from tests.mentors.factories import MentorFactory
from tracker.progress import snapshots


def served() -> dict[int, dict]:
    """What a reader gets for every enrollment: stored rows where fresh, the rest computed."""
    ids = list(Enrollment.objects.order_by("pk").values_list("pk", flat=True))
    return {pk: json.loads(text) for pk, text in snapshots.refresh(ids).items()}


def truth() -> dict[int, dict]:
    rows: dict[int, dict] = {}
    for cohort in Cohort.objects.all():
        rows.update(expected_rows(cohort))
    return rows


def today(world) -> dt.date:
    return clock.today(world.cohort.timezone)


def after(prepare: Callable) -> Callable:
    """Marks a write that needs ``prepare(world)`` (facts written past the services, such as
    a factory row) to run, and be read, before it."""

    def mark(write: Callable) -> Callable:
        write.prepare = prepare
        return write

    return mark


# --- Services -----------------------------------------------------------------------------------
def enroll(world):
    enrollment_create(actor=world.staff, cohort=world.cohort, learner=LearnerFactory())


def enroll_many(world):
    enrollments_create(
        actor=world.staff, cohort=world.cohort, learners=[LearnerFactory(), LearnerFactory()]
    )


def withdraw(world):
    enrollment_set_status(actor=world.staff, enrollment=world.enrollment, status="withdrawn")


def pause(world):
    enrollment_pause(
        actor=world.staff,
        enrollment=world.enrollment,
        start=today(world),
        end=today(world) + dt.timedelta(days=6),
    )


def pause_begins_today(world):
    PauseFactory(enrollment=world.other_enrollment, start=today(world), end=today(world))


@after(pause_begins_today)
def sync_pauses(world):
    # The daily sync flips the status; that write is what must outdate the row.
    enrollment_sync_pause_statuses()


def log_create(world):
    progress_log_create(
        actor=world.learner,
        enrollment=world.enrollment,
        module=world.module,
        logged_on=today(world),
        minutes=50,
    )


def log_update(world):
    progress_log_update(actor=world.staff, log=world.log, minutes=world.log.minutes + 30)


def repair(world):
    spare = MentorFactory(capacity=3)
    pairing_assign(actor=world.staff, enrollment=world.enrollment, mentor=spare)


def end_pairing(world):
    pairing_end(actor=world.staff, pairing=world.pairing)


def graduate_quietly(world):
    Enrollment.objects.filter(pk=world.enrollment.pk).update(status="graduated")


@after(graduate_quietly)
def close_pairing(world):
    pairing_close_for_enrollment(enrollment_id=world.enrollment.pk)


def miss_sessions(world):
    for days in (9, 2):
        session_create(
            actor=world.mentor_user,
            enrollment=world.enrollment,
            scheduled_at=timezone.now() - dt.timedelta(days=days),
            status="missed",
        )


def one_missed_session(world):
    MentorSession.objects.create(
        pairing=world.pairing,
        enrollment=world.enrollment,
        scheduled_at=timezone.now() - dt.timedelta(days=9),
        status="missed",
    )


@after(one_missed_session)
def mark_session(world):
    world.session.refresh_from_db()
    session_update(
        actor=world.mentor_user,
        session=world.session,
        scheduled_at=timezone.now() - dt.timedelta(days=1),
        status="missed",
    )


def move_cohort(world):
    cohort_update(
        actor=world.staff, cohort=world.cohort, start_date=world.cohort.start_date - dt.timedelta(7)
    )


def add_assignment(world):
    assignment_create(
        actor=world.staff,
        program=world.program,
        module=world.module,
        order=9,
        title="Extra",
        kind="exercise",
        due_week=1,
        weight=5,
    )


# --- Commands -----------------------------------------------------------------------------------
def seed(world):
    call_command(
        "seed_demo", "--learners", "2", "--password", "Seed-test-pass-4821", stdout=io.StringIO()
    )


def erase(world):
    call_command(
        "erase_learner",
        "--user",
        world.learner.username,
        "--actor",
        world.staff.username,
        "--yes",
        stdout=io.StringIO(),
    )


# --- Admin (the hooks Django's change form and delete views run, in their transaction) -------
def admin_of(model):
    return admin.site._registry[model]


def staff_request(world):
    request = RequestFactory().post("/admin/")
    request.user = world.staff
    return request


def admin_delete(world, obj) -> None:
    with transaction.atomic():
        admin_of(type(obj)).delete_model(staff_request(world), obj)


def admin_delete_all(world, queryset) -> None:
    with transaction.atomic():
        admin_of(queryset.model).delete_queryset(staff_request(world), queryset)


def admin_rename_learner(world):
    world.learner.first_name = "Augusta"
    admin_save(world, world.learner)


def admin_rename_mentor(world):
    world.mentor_user.last_name = "Murray"
    admin_save(world, world.mentor_user)


def admin_move_enrollment(world):
    other = Cohort.objects.create(
        program=world.program,
        name="Later",
        start_date=world.cohort.start_date + dt.timedelta(weeks=2),
        timezone="UTC",
    )
    world.enrollment.cohort = other
    admin_save(world, world.enrollment)


def unpaired_enrollment(world):
    enrollment_create(actor=world.staff, cohort=world.cohort, learner=LearnerFactory())


@after(unpaired_enrollment)
def admin_delete_enrollment(world):
    # Enrollments with history are protected; a new one without any can go.
    admin_delete(world, Enrollment.objects.filter(cohort=world.cohort).latest("pk"))


def admin_cohort_dates(world):
    world.cohort.start_date -= dt.timedelta(weeks=2)
    admin_save(world, world.cohort)


def admin_reweigh(world):
    world.assignment.weight = 9
    world.assignment.due_week = 1
    admin_save(world, world.assignment)


def admin_add_assignment(world):
    admin_save(
        world,
        Assignment(
            program=world.program, module=world.module, order=7, title="New", due_week=1, weight=4
        ),
        change=False,
    )


def admin_delete_assignment(world):
    # One without submissions (the others are protected by them).
    admin_delete(world, world.spare_assignment)


def admin_program_inlines(world):
    # The program page saves its assignments inline: the parent's hook runs after them.
    Assignment.objects.filter(pk=world.assignment.pk).update(weight=11)
    admin_save(world, Program.objects.get(pk=world.program.pk))


def admin_mentor_user(world):
    mentor = Mentor.objects.get(pk=world.mentor.pk)
    mentor.user = LearnerFactory(first_name="Nia", last_name="Noor")
    admin_save(world, mentor)


def admin_add_pause(world):
    admin_save(
        world,
        Pause(
            enrollment=world.enrollment,
            start=today(world) - dt.timedelta(days=3),
            end=today(world) + dt.timedelta(days=3),
            created_by=world.staff,
        ),
        change=False,
    )


def pause_today(world):
    PauseFactory(enrollment=world.enrollment, start=today(world), end=today(world))


@after(pause_today)
def admin_change_pause(world):
    pause = Pause.objects.get(enrollment=world.enrollment)
    pause.start = today(world) - dt.timedelta(days=20)
    admin_save(world, pause)


def ten_days_paused(world):
    PauseFactory(
        enrollment=world.enrollment, start=today(world) - dt.timedelta(days=10), end=today(world)
    )


@after(ten_days_paused)
def admin_delete_pause(world):
    admin_delete(world, Pause.objects.get(enrollment=world.enrollment))


def admin_add_log(world):
    admin_save(
        world,
        ProgressLog(
            enrollment=world.enrollment,
            module=world.module,
            logged_on=today(world),
            recorded_on=today(world),
            minutes=70,
        ),
        change=False,
    )


def admin_move_log(world):
    log = ProgressLog.objects.get(pk=world.log.pk)
    log.enrollment = world.other_enrollment
    admin_save(world, log)


def admin_delete_logs(world):
    admin_delete_all(world, ProgressLog.objects.filter(enrollment=world.enrollment))


def admin_approve_submission(world):
    submission = Submission.objects.get(pk=world.submission.pk)
    submission.status = "approved"
    submission.status_changed_at = timezone.now()
    admin_save(world, submission)


@after(submit)
def admin_delete_submission(world):
    # One without a review (reviewed versions are protected by their review): the learner's
    # newest work, so deleting it moves what the row shows (last activity, next due).
    newest = Submission.objects.filter(enrollment=world.enrollment).latest("submitted_at", "pk")
    admin_delete(world, newest)


def admin_move_pairing(world):
    pairing = Pairing.objects.get(pk=world.other_pairing.pk)
    pairing.ended_at = timezone.now()
    admin_save(world, pairing)


def admin_delete_pairing(world):
    # One without sessions (the others are protected by them).
    admin_delete(world, Pairing.objects.get(pk=world.other_pairing.pk))


@after(one_missed_session)
def admin_miss_session(world):
    session = MentorSession.objects.get(pk=world.session.pk)
    session.scheduled_at = timezone.now() - dt.timedelta(days=1)
    session.status = "missed"
    admin_save(world, session)


def admin_delete_review(world):
    admin_delete(world, Review.objects.get(pk=world.review.pk))


SERVICES = [
    enroll,
    enroll_many,
    withdraw,
    pause,
    sync_pauses,
    log_create,
    log_update,
    log_delete,
    submit,
    review,
    repair,
    end_pairing,
    close_pairing,
    miss_sessions,
    mark_session,
    move_cohort,
    add_assignment,
]
COMMANDS = [seed, erase]
ADMIN = [
    admin_rename_learner,
    admin_rename_mentor,
    admin_move_enrollment,
    admin_delete_enrollment,
    admin_cohort_dates,
    admin_reweigh,
    admin_add_assignment,
    admin_delete_assignment,
    admin_program_inlines,
    admin_mentor_user,
    admin_add_pause,
    admin_change_pause,
    admin_delete_pause,
    admin_add_log,
    admin_move_log,
    admin_delete_logs,
    admin_approve_submission,
    admin_delete_submission,
    admin_move_pairing,
    admin_delete_pairing,
    admin_miss_session,
    admin_delete_review,
]
# Writes whose effect on progress rows is nil (a review's deletion leaves its submission's
# status): they must not make a row stale either, but need not change anything.
NO_VISIBLE_CHANGE = {admin_delete_review}


@pytest.mark.django_db
@pytest.mark.parametrize("write", SERVICES + COMMANDS + ADMIN, ids=lambda write: write.__name__)
def test_no_row_is_served_stale_after_any_write_path(
    world, write: Callable, django_capture_on_commit_callbacks
):
    if hasattr(write, "prepare"):
        write.prepare(world)
    before = served()
    assert before == truth()
    with django_capture_on_commit_callbacks(execute=True):
        write(world)
    after = truth()
    if write not in NO_VISIBLE_CHANGE:
        # The write moved something a progress row shows, so a stale row would be caught.
        assert after != before
    assert served() == after


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_the_rows_as_they_were(world):
    before = served()
    tokens = dict(snapshots.ProgressSnapshot.objects.values_list("enrollment_id", "token"))
    with pytest.raises(RuntimeError), transaction.atomic():
        log_create(world)
        raise RuntimeError("the write fails after announcing")
    assert dict(snapshots.ProgressSnapshot.objects.values_list("enrollment_id", "token")) == tokens
    assert served() == before == truth()


@pytest.mark.django_db
def test_the_page_after_a_write_through_the_api_shows_it(world):
    client = client_for(world.learner)
    url = f"/api/v1/cohorts/{world.cohort.pk}/progress/"
    first = client.get(url).json()["results"][0]
    response = client.post(
        "/api/v1/progress-logs/",
        {
            "enrollment": world.enrollment.pk,
            "module": world.module.pk,
            "logged_on": today(world).isoformat(),
            "minutes": 120,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    second = client.get(url).json()["results"][0]
    assert second["minutes_logged_7d"] == first["minutes_logged_7d"] + 120
