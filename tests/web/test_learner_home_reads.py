"""The learner's home reads once what its panels share (the fifth load pass): the current and
the last pairing, the milestones (from the progress detail), the log panel's two lists."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curriculum.models import Assignment
from learners.models import ProgressLog
from learners.rules import log_edit_window
from learners.selectors import log_panel, progress_log_list
from mentors.selectors import current_pairing, current_pairing_among, enrollment_pairings
from tests.curriculum.factories import AssignmentFactory
from tests.learners.factories import ProgressLogFactory
from tests.mentors.factories import PairingFactory
from tracker.graduation import graduation_panel
from tracker.graduation.checklist import GraduationReads, milestones_of_detail
from tracker.progress import enrollment_detail, snapshots

pytestmark = pytest.mark.django_db

# What the learner's home reads for Lena in the world, her progress row stored (19 before this
# pass: the pairings, the milestones and the log panel's second list are no longer read apart).
LEARNER_HOME_QUERIES = 16


def test_the_milestones_of_the_detail_are_the_programs_in_due_order(world):
    # Two more milestones, the later-ordered one due earlier: due week decides, then order.
    AssignmentFactory(
        program=world.program, order=4, title="Proposal", due_week=8, kind=Assignment.Kind.MILESTONE
    )
    AssignmentFactory(
        program=world.program, order=5, title="Data audit", due_week=4, kind="milestone"
    )
    detail = enrollment_detail(fetched_by=world.learner, enrollment=world.enrollment)
    from_database = GraduationReads(world.enrollment).milestones
    assert [(m.pk, m.title) for m in milestones_of_detail(detail)] == [
        (m.pk, m.title) for m in from_database
    ]
    assert [m.title for m in from_database] == ["Data audit", "Proposal", "Capstone demo"]


@pytest.mark.parametrize("who", ["learner", "mentor", "other_mentor", "staff"])
def test_one_read_of_the_pairings_gives_the_current_and_the_last_mentor(world, who):
    """After a re-pairing (Max's pairing ended, Leo's started), in each caller's scope."""
    world.pairing.ended_at = timezone.now() - dt.timedelta(hours=1)
    world.pairing.save(update_fields=["ended_at"])
    PairingFactory(enrollment=world.enrollment, mentor=world.spare_mentor)
    user = world.user(who)
    pairings = enrollment_pairings(fetched_by=user, enrollment=world.enrollment)
    assert current_pairing_among(pairings) == current_pairing(
        fetched_by=user, enrollment=world.enrollment
    )
    detail = enrollment_detail(fetched_by=world.staff, enrollment=world.enrollment)
    shared = graduation_panel(
        fetched_by=user, enrollment=world.enrollment, pairings=pairings, detail=detail
    )
    assert shared == graduation_panel(fetched_by=user, enrollment=world.enrollment)


def _panel_before_this_pass(user, enrollment) -> list[int]:
    """The log panel's two reads as they were: the five newest, then the newest 20 others
    still inside the edit window."""
    logs = progress_log_list(fetched_by=user).filter(enrollment=enrollment)
    newest = list(logs.order_by("-logged_on", "-id")[:5])
    editable = logs.filter(created_at__gte=timezone.now() - log_edit_window()).exclude(
        pk__in=[log.pk for log in newest]
    )
    shown = [*newest, *editable.order_by("-logged_on", "-id")[:20]]
    shown.sort(key=lambda log: (log.logged_on, log.pk), reverse=True)
    return [log.pk for log in shown]


@pytest.mark.parametrize("recent", [0, 3, 30])
def test_the_log_panel_lists_in_one_read_what_its_two_reads_listed(world, recent):
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - dt.timedelta(days=3), tick=False):
        # Older than the edit window, some logged for days after the recent ones.
        for days in (20, 1, 15, 0, 9, 2, 12):
            ProgressLogFactory(
                enrollment=world.enrollment,
                module=world.module,
                logged_on=today - dt.timedelta(days=days),
            )
    for index in range(recent):
        ProgressLogFactory(
            enrollment=world.enrollment,
            module=world.module,
            logged_on=today - dt.timedelta(days=index % 11),
        )
    assert ProgressLog.objects.filter(enrollment=world.enrollment).count() > 5 + recent
    with CaptureQueriesContext(connection) as queries:
        panel = log_panel(fetched_by=world.learner, enrollment=world.enrollment)
    assert len(queries) == 1
    assert [item["log"].pk for item in panel["recent_logs"]] == _panel_before_this_pass(
        world.learner, world.enrollment
    )


def test_the_learner_home_query_count_is_pinned(client, world):
    client.force_login(world.learner)
    url = reverse("learner_home")
    client.get(url)  # warm per-process caches
    snapshots.refresh_stale()  # the stored row and detail are fresh, as after any write
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) == LEARNER_HOME_QUERIES, "\n".join(
        q["sql"] for q in queries.captured_queries
    )
