"""Pages cost the same number of queries for a few learners as for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.learners.factories import EnrollmentFactory, ProgressLogFactory, SubmissionFactory
from tests.mentors.factories import PairingFactory
from tracker.progress import snapshots

pytestmark = pytest.mark.django_db


def add_learners(world, count: int) -> None:
    for _ in range(count):
        enrollment = EnrollmentFactory(cohort=world.cohort)
        PairingFactory(enrollment=enrollment, mentor=world.mentor)
        ProgressLogFactory(enrollment=enrollment, module=world.module)
        SubmissionFactory(enrollment=enrollment, assignment=world.exercise)


def count_queries(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("stored", [True, False], ids=["rows-stored", "rows-outdated"])
@pytest.mark.parametrize("who", ["mentor", "staff"])
def test_dashboard_query_count_does_not_grow_with_learners(client, world, who, stored):
    """Whether the learners' progress is read from fresh stored rows or computed again by the
    engine (every row outdated, as after a seed), the count is the same at any size."""
    if who == "mentor":
        client.force_login(world.mentor.user)
        url = reverse("mentor_home")
    else:
        client.force_login(world.staff)
        url = reverse("cohort_detail", args=[world.cohort.pk])

    def measure() -> tuple[int, list[str]]:
        client.get(url)  # warm per-process caches (content types, sessions); store the rows
        if not stored:
            snapshots.outdate(everything=True)
        return count_queries(client, url)

    add_learners(world, 1)
    small, _ = measure()
    add_learners(world, 6)
    large, sql = measure()
    assert small == large, "\n".join(sql)
