"""Every list, both progress reports and the matrix cost the same number of queries for a
small cohort and a ten-times larger one (the SQL is printed when they differ)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import client_for
from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ModuleFactory,
    ProgramFactory,
    StaffFactory,
)
from tests.learners.factories import (
    EnrollmentFactory,
    HelpRequestFactory,
    ProgressLogFactory,
    SubmissionFactory,
)
from tests.mentors.factories import (
    MentorFactory,
    MentorSessionFactory,
    PairingFactory,
    ReviewFactory,
)
from tracker.models import Notification

ENDPOINTS = [
    "/api/v1/programs/",
    "/api/v1/programs/{program}/",
    "/api/v1/modules/",
    "/api/v1/assignments/",
    "/api/v1/cohorts/",
    "/api/v1/cohorts/{cohort}/progress/",
    "/api/v1/cohorts/{cohort}/progress/?pace=behind",
    "/api/v1/cohorts/{cohort}/progress.csv",
    "/api/v1/cohorts/{cohort}/matrix/",
    "/api/v1/enrollments/",
    "/api/v1/enrollments/{enrollment}/progress/",
    "/api/v1/progress-logs/",
    "/api/v1/submissions/",
    "/api/v1/reviews/",
    "/api/v1/reviews/queue/",
    "/api/v1/sessions/",
    "/api/v1/mentors/",
    "/api/v1/pairings/",
    "/api/v1/help-requests/",
    "/api/v1/notifications/",
    "/api/v1/programs/{program}/insights/",
    "/api/v1/enrollments/{enrollment}/mentor-suggestions/",
]


def build(learners: int) -> dict:
    """A cohort of ``learners``, each with a mentor, logs, submissions, a review, a session,
    a help request and a notification for staff; page size 100 so every row is listed."""
    program = ProgramFactory(length_weeks=26)
    modules = [
        ModuleFactory(program=program, order=i, start_week=i, end_week=i + 1) for i in range(1, 4)
    ]
    assignments = [
        AssignmentFactory(program=program, module=modules[i % 3], order=i, due_week=i + 1)
        for i in range(1, 4)
    ]
    cohort = CohortFactory(program=program, start_date=timezone.now().date() - dt.timedelta(30))
    staff = StaffFactory()
    mentors = [MentorFactory(capacity=200) for _ in range(max(1, learners // 5))]
    first = None
    for index in range(learners):
        enrollment = EnrollmentFactory(cohort=cohort)
        first = first or enrollment
        pairing = PairingFactory(enrollment=enrollment, mentor=mentors[index % len(mentors)])
        ProgressLogFactory(enrollment=enrollment, module=modules[0])
        approved = SubmissionFactory(
            enrollment=enrollment, assignment=assignments[0], status="approved"
        )
        ReviewFactory(submission=approved, reviewer=pairing.mentor.user)
        SubmissionFactory(enrollment=enrollment, assignment=assignments[1])
        MentorSessionFactory(pairing=pairing)
        HelpRequestFactory(enrollment=enrollment)
        Notification.objects.create(
            recipient=staff,
            kind="review_waiting",
            subject="Waiting",
            body="A review waits.",
            dedupe_key=f"q:{enrollment.pk}",
            created_at=timezone.now(),
        )
    return {"staff": staff, "program": program.pk, "cohort": cohort.pk, "enrollment": first.pk}


def count(world: dict, template: str) -> tuple[int, list[str]]:
    client = client_for(world["staff"])
    path = template.format(**world)
    separator = "&" if "?" in path else "?"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{path}{separator}page_size=100")
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries), [query["sql"] for query in queries]


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_the_cohort():
    small = build(5)
    large = build(50)
    mismatches = []
    for template in ENDPOINTS:
        small_count, small_sql = count(small, template)
        large_count, large_sql = count(large, template)
        if small_count != large_count:
            mismatches.append(
                f"{template}: {small_count} queries for 5 learners, {large_count} for 50\n"
                + "\n".join(f"  5: {sql}" for sql in small_sql)
                + "\n"
                + "\n".join(f"  50: {sql}" for sql in large_sql)
            )
    assert not mismatches, "\n\n".join(mismatches)
