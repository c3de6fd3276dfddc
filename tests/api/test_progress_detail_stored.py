"""The progress detail stored with each progress row (``ProgressSnapshot.detail``): after every
kind of write the detail served is the one computed from the facts, the stored one included,
and reading it takes one query.

The writes are those of ``test_progress_write_paths`` (services, commands, admin) plus the
curriculum's module writes, which only the detail shows (a module's title, order and hours)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from curriculum.models import Module
from curriculum.services import module_create
from learners.models import Enrollment
from tests.api.conftest import client_for
from tests.api.test_progress_snapshots import admin_save
from tests.api.test_progress_write_paths import ADMIN, COMMANDS, SERVICES, served
from tracker.progress import enrollment_detail, snapshots
from tracker.progress.reports import enrollment_progress_detail


def module_add(world):
    module_create(
        actor=world.staff,
        program=world.program,
        order=9,
        title="Deployment",
        expected_hours=6,
        start_week=11,
        end_week=12,
    )


def admin_rename_module(world):
    module = Module.objects.get(pk=world.module.pk)
    module.title = "Python for machine learning"
    module.expected_hours += 5
    admin_save(world, module)


def admin_add_module(world):
    admin_save(
        world,
        Module(
            program=world.program,
            order=8,
            title="Serving",
            expected_hours=4,
            start_week=20,
            end_week=21,
        ),
        change=False,
    )


MODULE_WRITES = [module_add, admin_rename_module, admin_add_module]


def computed() -> dict[int, dict]:
    """Every enrollment's detail computed from its facts (the answer before details were
    stored), as JSON, the way the API and the page read it."""
    return {
        pk: json.loads(json.dumps(enrollment_progress_detail(Enrollment.objects.filter(pk=pk))))
        for pk in Enrollment.objects.order_by("pk").values_list("pk", flat=True)
    }


def served_details(world) -> dict[int, dict]:
    return {
        enrollment.pk: enrollment_detail(fetched_by=world.staff, enrollment=enrollment)
        for enrollment in Enrollment.objects.order_by("pk")
    }


def stored_details() -> dict[int, dict | None]:
    return {
        pk: snapshots.stored_detail(Enrollment.objects.filter(pk=pk))
        for pk in Enrollment.objects.order_by("pk").values_list("pk", flat=True)
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "write", SERVICES + COMMANDS + ADMIN + MODULE_WRITES, ids=lambda write: write.__name__
)
def test_the_stored_detail_is_the_computed_one_after_every_write(
    world, write: Callable, django_capture_on_commit_callbacks
):
    if hasattr(write, "prepare"):
        write.prepare(world)
    served()  # every row computed and stored, its detail with it
    before = computed()
    assert stored_details() == before
    with django_capture_on_commit_callbacks(execute=True):
        write(world)
    after = computed()
    if write in MODULE_WRITES:
        assert after != before
    # Read right after the write (rows outdated by a wider write are computed on read) ...
    assert served_details(world) == after
    # ... and once every row is stored again, each stored detail is the computed one.
    served()
    assert stored_details() == after


@pytest.mark.django_db
def test_a_fresh_stored_detail_is_read_in_one_query(world, django_assert_num_queries):
    served()
    with django_assert_num_queries(1):
        detail = enrollment_detail(fetched_by=world.staff, enrollment=world.enrollment)
    assert detail == computed()[world.enrollment.pk]


@pytest.mark.django_db
def test_an_outdated_or_missing_row_is_computed_from_the_facts(world):
    served()
    expected = computed()[world.enrollment.pk]
    snapshots.outdate([world.enrollment.pk])  # outside a transaction: refreshed at once
    snapshots.ProgressSnapshot.objects.filter(enrollment=world.enrollment).update(token="moved")
    assert snapshots.stored_detail(Enrollment.objects.filter(pk=world.enrollment.pk)) is None
    assert enrollment_detail(fetched_by=world.staff, enrollment=world.enrollment) == expected
    snapshots.ProgressSnapshot.objects.filter(enrollment=world.enrollment).delete()
    assert enrollment_detail(fetched_by=world.staff, enrollment=world.enrollment) == expected
    # A row stored before the detail was (the column empty) is computed too.
    served()
    snapshots.ProgressSnapshot.objects.filter(enrollment=world.enrollment).update(detail="")
    assert snapshots.stored_detail(Enrollment.objects.filter(pk=world.enrollment.pk)) is None
    assert enrollment_detail(fetched_by=world.staff, enrollment=world.enrollment) == expected


@pytest.mark.django_db
def test_out_of_scope_still_answers_404(world):
    served()
    response = client_for(world.learner).get(
        f"/api/v1/enrollments/{world.other_enrollment.pk}/progress/"
    )
    assert response.status_code == 404
    own = client_for(world.learner).get(f"/api/v1/enrollments/{world.enrollment.pk}/progress/")
    assert own.status_code == 200
    assert own.json() == computed()[world.enrollment.pk]
