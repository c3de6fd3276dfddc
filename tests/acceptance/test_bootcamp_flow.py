"""Whole flows through the public API only, as the world's people would live them.

Sam (staff) opens a new program and cohort, enrolls Nia (the world's newcomer) and pairs her
with Leo (the world's mentor with free seats). Nia logs progress; the reminder sweep tells her
once that her project is due soon, however often it runs; she submits; Leo finds it in his
review queue and approves it; Nia is told her feedback is ready; the cohort's progress and
matrix show the approved work. Everything goes through HTTP with token auth, and the only
clock is the world's (``clock``).

May import: the world (``tests.world``) and product entry points a user or operator has
(HTTP, ``manage.py`` commands); no product internals.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.world import PASSWORD

API = "/api/v1"


@pytest.fixture(autouse=True)
def fresh_throttles():
    # Throttle counts live in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run each write's on-commit work (signals, notifications) as a real commit would."""

    def call(method, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return method(*args, **kwargs)

    return call


def signed_in(username: str) -> APIClient:
    client = APIClient()
    answer = client.post(
        f"{API}/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert answer.status_code == 200, answer.data
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.data['token']}")
    return client


def send_reminders() -> str:
    out = io.StringIO()
    call_command("send_reminders", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def notifications_of(client: APIClient, kind: str) -> list[dict]:
    rows = client.get(f"{API}/notifications/?page_size=100").data["results"]
    return [row for row in rows if row["kind"] == kind]


def test_a_learner_goes_from_enrollment_to_approved_work(world, clock, committed):
    staff = signed_in(world.staff.username)
    today = clock.today("Europe/Madrid")

    # Sam opens the program, its module and a project with a rubric, and a cohort that started
    # twelve days ago, so the project (due at the end of week 2) is due in two days.
    program = staff.post(
        f"{API}/programs/",
        {"name": "Applied MLOps", "slug": "applied-mlops", "length_weeks": 12},
        format="json",
    )
    assert program.status_code == 201, program.data
    module = staff.post(
        f"{API}/modules/",
        {
            "program": program.data["id"],
            "order": 1,
            "title": "Serving models",
            "expected_hours": 10,
            "start_week": 1,
            "end_week": 2,
        },
        format="json",
    )
    assert module.status_code == 201, module.data
    project = staff.post(
        f"{API}/assignments/",
        {
            "program": program.data["id"],
            "module": module.data["id"],
            "order": 1,
            "title": "Deploy a model",
            "kind": "project",
            "due_week": 2,
            "rubric": [{"name": "It answers", "max_score": 4}],
        },
        format="json",
    )
    assert project.status_code == 201, project.data
    cohort = staff.post(
        f"{API}/cohorts/",
        {
            "program": program.data["id"],
            "name": "March",
            "start_date": (today - dt.timedelta(days=12)).isoformat(),
            "timezone": "Europe/Madrid",
        },
        format="json",
    )
    assert cohort.status_code == 201, cohort.data
    enrollment = committed(
        staff.post,
        f"{API}/enrollments/",
        {"cohort": cohort.data["id"], "learner": world.outsider.pk},
        format="json",
    )
    assert enrollment.status_code == 201, enrollment.data
    pairing = committed(
        staff.post,
        f"{API}/pairings/",
        {"enrollment": enrollment.data["id"], "mentor": world.spare_mentor.pk},
        format="json",
    )
    assert pairing.status_code == 201, pairing.data

    # Nia finds her enrollment and logs an evening's work.
    learner = signed_in(world.outsider.username)
    me = learner.get(f"{API}/me/").data
    assert (me["role"], me["learner_enrollments"]) == ("learner", [enrollment.data["id"]])
    log = committed(
        learner.post,
        f"{API}/progress-logs/",
        {
            "enrollment": enrollment.data["id"],
            "module": module.data["id"],
            "logged_on": today.isoformat(),
            "minutes": 90,
            "note": "Wrapped the model in FastAPI.",
        },
        format="json",
    )
    assert log.status_code == 201, log.data

    # The sweep runs twice (a retry, a second beat): Nia hears about the project once.
    first = committed(send_reminders)
    assert "Created 0 notification(s)" not in first
    assert "Created 0 notification(s)" in committed(send_reminders)
    due_soon = notifications_of(learner, "due_soon")
    assert len(due_soon) == 1
    assert "Deploy a model" in due_soon[0]["subject"] + due_soon[0]["body"]

    # She submits; the next morning Leo finds it waiting and approves it against the rubric.
    submission = committed(
        learner.post,
        f"{API}/submissions/",
        {
            "enrollment": enrollment.data["id"],
            "assignment": project.data["id"],
            "url": "https://github.com/nia-newcomer/deploy-a-model",
        },
        format="json",
    )
    assert submission.status_code == 201, submission.data
    assert (submission.data["version"], submission.data["status"]) == (1, "submitted")
    clock.shift(dt.timedelta(hours=18))
    mentor = signed_in(world.spare_mentor.user.username)
    queue = mentor.get(f"{API}/reviews/queue/").data["results"]
    assert [row["id"] for row in queue] == [submission.data["id"]]
    criterion = project.data["rubric"][0]["id"]
    review = committed(
        mentor.post,
        f"{API}/submissions/{submission.data['id']}/review/",
        {"verdict": "approved", "feedback": "It serves.", "scores": {str(criterion): 4}},
        format="json",
    )
    assert review.status_code == 201, review.data
    assert mentor.get(f"{API}/reviews/queue/").data["count"] == 0

    # Nia is told, once; a later sweep has nothing more to say about the approved project.
    assert len(notifications_of(learner, "feedback_ready")) == 1
    assert learner.get(f"{API}/submissions/{submission.data['id']}/").data["status"] == "approved"
    committed(send_reminders)
    assert len(notifications_of(learner, "due_soon")) == 1
    assert len(notifications_of(learner, "feedback_ready")) == 1

    # Sam sees it in the cohort's progress and matrix; Leo sees the same row for his learner.
    progress = staff.get(f"{API}/cohorts/{cohort.data['id']}/progress/").data
    assert progress["count"] == 1
    row = progress["results"][0]
    assert row["enrollment"] == enrollment.data["id"]
    assert row["percent_complete"] == 100.0
    assert row["mentor"]["id"] == world.spare_mentor.pk
    assert mentor.get(f"{API}/cohorts/{cohort.data['id']}/progress/").data["results"] == [row]
    matrix = staff.get(f"{API}/cohorts/{cohort.data['id']}/matrix/").data
    assert [cell["status"] for cell in matrix["cells"]] == ["approved"]
    assert matrix["cells"][0]["versions"] == 1
    assert matrix["cells"][0]["overdue"] is False


def test_someone_else_s_mentor_and_learner_see_none_of_it(world, committed):
    """The same API, from the seats that must not see Lena's work: 404s, never 403s."""
    submission = f"{API}/submissions/{world.submission.pk}/"
    for username in (world.other_learner.username, world.other_mentor.user.username):
        client = signed_in(username)
        assert client.get(submission).status_code == 404
        assert client.get(f"{API}/enrollments/{world.enrollment.pk}/progress/").status_code == 404
    review = committed(
        signed_in(world.other_mentor.user.username).post,
        f"{submission}review/",
        {"verdict": "approved", "feedback": "Not mine to judge."},
        format="json",
    )
    assert review.status_code == 404
    # Lena's own mentor still finds it waiting.
    queue = signed_in(world.mentor.user.username).get(f"{API}/reviews/queue/").data["results"]
    assert world.submission.pk in [row["id"] for row in queue]
