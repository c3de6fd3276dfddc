"""The read models behind the API: cohort progress, enrollment progress, matrix, insights,
suggestions and the review queue, each scoped to the caller."""

from __future__ import annotations

from tests.api.conftest import client_for
from tests.helpers import PROGRESS_FIELDS


def test_cohort_progress_rows_carry_learner_mentor_and_every_progress_field(world):
    body = client_for(world.staff).get(f"/api/v1/cohorts/{world.cohort.pk}/progress/").data
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["enrollment"] == world.enrollment.pk)
    assert set(row) >= PROGRESS_FIELDS
    assert row["learner"] == {"id": world.learner.pk, "username": "lena", "name": "Lena Learner"}
    assert row["mentor"]["id"] == world.mentor.pk
    assert row["pace"] in {"ahead", "on_track", "at_risk", "behind"}


def test_cohort_progress_is_scoped_to_the_mentor_s_learners(world):
    rows = client_for(world.mentor_user).get(f"/api/v1/cohorts/{world.cohort.pk}/progress/")
    assert [row["enrollment"] for row in rows.data["results"]] == [world.enrollment.pk]


def test_enrollment_progress_has_modules_and_assignments_with_due_dates(world):
    body = client_for(world.learner).get(f"/api/v1/enrollments/{world.enrollment.pk}/progress/")
    assert body.status_code == 200
    assert set(body.data) >= PROGRESS_FIELDS
    assert {m["module"] for m in body.data["modules"]} == {world.module.pk, world.later_module.pk}
    by_id = {a["assignment"]: a for a in body.data["assignments"]}
    assert by_id[world.submission.assignment_id]["status"] == "submitted"
    assert by_id[world.spare_assignment.pk]["status"] == "not_started"
    assert all(a["due_date"] for a in body.data["assignments"])


def test_matrix_has_one_cell_per_enrollment_and_assignment(world):
    body = client_for(world.staff).get(f"/api/v1/cohorts/{world.cohort.pk}/matrix/").data
    assert len(body["enrollments"]) == 2
    assert len(body["assignments"]) == 3
    assert len(body["cells"]) == 6
    cell = next(
        c
        for c in body["cells"]
        if c["enrollment"] == world.enrollment.pk and c["assignment"] == world.assignment.pk
    )
    assert (cell["status"], cell["versions"]) == ("submitted", 1)
    assert {c["status"] for c in body["cells"]} <= {
        "not_started",
        "submitted",
        "changes_requested",
        "approved",
    }


def test_a_learner_s_matrix_shows_only_themselves(world):
    body = client_for(world.learner).get(f"/api/v1/cohorts/{world.cohort.pk}/matrix/").data
    assert [e["id"] for e in body["enrollments"]] == [world.enrollment.pk]


def test_review_queue_is_the_mentor_s_waiting_work_oldest_first(world):
    queue = client_for(world.mentor_user).get("/api/v1/reviews/queue/").data
    assert [row["id"] for row in queue["results"]] == [world.submission.pk]
    assert queue["results"][0]["learner"]["username"] == "lena"
    assert client_for(world.other_mentor_user).get("/api/v1/reviews/queue/").data["count"] == 0
    assert client_for(world.learner).get("/api/v1/reviews/queue/").data["count"] == 0


def test_reviewing_takes_the_submission_out_of_the_queue(world):
    client = client_for(world.mentor_user)
    review = client.post(
        f"/api/v1/submissions/{world.submission.pk}/review/",
        {"verdict": "changes_requested", "feedback": "Add tests."},
        format="json",
    )
    assert review.status_code == 201
    assert client.get("/api/v1/reviews/queue/").data["count"] == 0
    submission = client.get(f"/api/v1/submissions/{world.submission.pk}/").data
    assert submission["status"] == "changes_requested"
    assert submission["review"]["feedback"] == "Add tests."


def test_insights_and_suggestions_answer_staff(world):
    client = client_for(world.staff)
    insights = client.get(f"/api/v1/programs/{world.program.pk}/insights/").data
    assert {m["module"] for m in insights["modules"]} == {world.module.pk, world.later_module.pk}
    assert len(insights["assignments"]) == 3
    suggestions = client.get(
        f"/api/v1/enrollments/{world.other_enrollment.pk}/mentor-suggestions/"
    ).data
    assert all({"mentor", "score", "free_seats", "reasons"} <= set(s) for s in suggestions)
    assert world.other_mentor.pk not in {s["mentor"] for s in suggestions}


def test_mentors_show_capacity_and_active_learners(world):
    body = client_for(world.staff).get(f"/api/v1/mentors/{world.mentor.pk}/").data
    assert (body["capacity"], body["active_learners"]) == (world.mentor.capacity, 1)
