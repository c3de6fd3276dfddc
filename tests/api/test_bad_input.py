"""Bad input to every write: 400 with the field named, and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.api.conftest import client_for
from tests.api.test_permissions import snapshot

HUGE = "x" * 20001


def future() -> str:
    return (timezone.now().date() + dt.timedelta(days=3)).isoformat()


def log_body(w, **changes):
    body = {
        "enrollment": w.enrollment.pk,
        "module": w.module.pk,
        "logged_on": timezone.now().date().isoformat(),
        "minutes": 30,
    }
    body.update(changes)
    return body


def submission_body(w, **changes):
    body = {
        "enrollment": w.enrollment.pk,
        "assignment": w.spare_assignment.pk,
        "url": "https://github.com/ada/spare",
    }
    body.update(changes)
    return body


def program_body(**changes):
    body = {"name": "P", "slug": "p", "length_weeks": 10}
    body.update(changes)
    return body


def assignment_body(w, **changes):
    body = {"program": w.program.pk, "order": 7, "title": "A", "kind": "project", "due_week": 2}
    body.update(changes)
    return body


def session_body(w, **changes):
    body = {
        "enrollment": w.enrollment.pk,
        "scheduled_at": (timezone.now() + dt.timedelta(days=2)).isoformat(),
    }
    body.update(changes)
    return body


L, M, S = "learner", "mentor", "staff"

CASES = [
    # progress logs
    (L, "post", "/api/v1/progress-logs/", lambda w: log_body(w, minutes="30"), "minutes"),
    (L, "post", "/api/v1/progress-logs/", lambda w: log_body(w, minutes=0), "minutes"),
    (L, "post", "/api/v1/progress-logs/", lambda w: log_body(w, minutes=1441), "minutes"),
    (L, "post", "/api/v1/progress-logs/", lambda w: log_body(w, minutes=True), "minutes"),
    (L, "post", "/api/v1/progress-logs/", lambda w: log_body(w, logged_on=future()), "logged_on"),
    (
        L,
        "post",
        "/api/v1/progress-logs/",
        lambda w: log_body(w, logged_on="yesterday"),
        "logged_on",
    ),
    (
        L,
        "post",
        "/api/v1/progress-logs/",
        lambda w: log_body(w, logged_on="0001-01-01"),
        "logged_on",
    ),
    (L, "post", "/api/v1/progress-logs/", lambda w: log_body(w, note=HUGE), "note"),
    (L, "post", "/api/v1/progress-logs/", lambda w: log_body(w, note=12), "note"),
    (L, "post", "/api/v1/progress-logs/", lambda w: log_body(w, enrollment="1"), "enrollment"),
    (L, "post", "/api/v1/progress-logs/", lambda w: {"minutes": 5}, "enrollment"),
    (L, "patch", "/api/v1/progress-logs/{log}/", lambda w: {"minutes": -5}, "minutes"),
    (L, "patch", "/api/v1/progress-logs/{log}/", lambda w: {"logged_on": future()}, "logged_on"),
    # submissions
    (L, "post", "/api/v1/submissions/", lambda w: submission_body(w, url="ftp://x.org/a"), "url"),
    (
        L,
        "post",
        "/api/v1/submissions/",
        lambda w: submission_body(w, url="javascript:alert(1)"),
        "url",
    ),
    (L, "post", "/api/v1/submissions/", lambda w: submission_body(w, url=["https://a.b"]), "url"),
    (
        L,
        "post",
        "/api/v1/submissions/",
        lambda w: submission_body(w, url="https://a.org/" + "x" * 600),
        "url",
    ),
    (L, "post", "/api/v1/submissions/", lambda w: submission_body(w, url=None), "url"),
    (
        L,
        "post",
        "/api/v1/submissions/",
        lambda w: submission_body(w, assignment=None),
        "assignment",
    ),
    (
        L,
        "post",
        "/api/v1/submissions/",
        # Only the final milestone takes a deployment address.
        lambda w: submission_body(
            w, assignment=w.exercise.pk, deployment_url="https://app.example.com"
        ),
        "deployment_url",
    ),
    (
        L,
        "post",
        "/api/v1/submissions/",
        lambda w: submission_body(w, assignment=w.assignment.pk),
        "assignment",
    ),
    # reviews
    (
        M,
        "post",
        "/api/v1/submissions/{submission}/review/",
        lambda w: {"verdict": "great", "feedback": "ok"},
        "verdict",
    ),
    (
        M,
        "post",
        "/api/v1/submissions/{submission}/review/",
        lambda w: {"verdict": "approved"},
        "feedback",
    ),
    (
        M,
        "post",
        "/api/v1/submissions/{submission}/review/",
        lambda w: {"verdict": "approved", "feedback": HUGE},
        "feedback",
    ),
    (
        M,
        "post",
        "/api/v1/submissions/{submission}/review/",
        lambda w: {"verdict": "approved", "feedback": "ok", "scores": {str(w.criterion.pk): 9}},
        "scores",
    ),
    (
        M,
        "post",
        "/api/v1/submissions/{submission}/review/",
        lambda w: {"verdict": "approved", "feedback": "ok", "scores": {"abc": 1}},
        "scores",
    ),
    (
        M,
        "post",
        "/api/v1/submissions/{submission}/review/",
        lambda w: {"verdict": "approved", "feedback": "ok", "scores": [1, 2]},
        "scores",
    ),
    # sessions
    (
        M,
        "post",
        "/api/v1/sessions/",
        lambda w: session_body(w, duration_minutes=4),
        "duration_minutes",
    ),
    (
        M,
        "post",
        "/api/v1/sessions/",
        lambda w: session_body(w, duration_minutes=481),
        "duration_minutes",
    ),
    (
        M,
        "post",
        "/api/v1/sessions/",
        lambda w: session_body(w, scheduled_at="tomorrow"),
        "scheduled_at",
    ),
    (M, "post", "/api/v1/sessions/", lambda w: session_body(w, status="postponed"), "status"),
    (M, "post", "/api/v1/sessions/", lambda w: session_body(w, notes="x" * 10001), "notes"),
    (M, "patch", "/api/v1/sessions/{session}/", lambda w: {"status": 3}, "status"),
    # enrollments
    (S, "post", "/api/v1/enrollments/", lambda w: {"cohort": w.cohort.pk}, "learner"),
    (
        S,
        "post",
        "/api/v1/enrollments/",
        lambda w: {"cohort": w.cohort.pk, "learner": w.learner.pk},
        "learner",
    ),
    (S, "patch", "/api/v1/enrollments/{enrollment}/", lambda w: {"status": "expelled"}, "status"),
    (
        S,
        "post",
        "/api/v1/enrollments/{enrollment}/pause/",
        lambda w: {"start": "2030-01-10", "end": "2030-01-01"},
        "end",
    ),
    (
        S,
        "post",
        "/api/v1/enrollments/{enrollment}/pause/",
        lambda w: {"start": "2030-01-10"},
        "end",
    ),
    (
        S,
        "post",
        "/api/v1/enrollments/{enrollment}/pause/",
        lambda w: {"start": "2030-01-01", "end": "2030-01-02", "reason": "x" * 501},
        "reason",
    ),
    (L, "post", "/api/v1/enrollments/{enrollment}/help/", lambda w: {"message": ""}, "message"),
    (L, "post", "/api/v1/enrollments/{enrollment}/help/", lambda w: {"message": 5}, "message"),
    (
        L,
        "post",
        "/api/v1/enrollments/{enrollment}/help/",
        lambda w: {"message": "x" * 5001},
        "message",
    ),
    (
        M,
        "post",
        "/api/v1/help-requests/{help_request}/answer/",
        lambda w: {"answer": HUGE},
        "answer",
    ),
    # curriculum
    (S, "post", "/api/v1/programs/", lambda w: program_body(length_weeks=0), "length_weeks"),
    (S, "post", "/api/v1/programs/", lambda w: program_body(length_weeks="10"), "length_weeks"),
    (S, "post", "/api/v1/programs/", lambda w: program_body(slug="not a slug"), "slug"),
    (S, "post", "/api/v1/programs/", lambda w: program_body(name="x" * 201), "name"),
    (S, "post", "/api/v1/programs/", lambda w: program_body(name=w.program.name), "name"),
    (S, "patch", "/api/v1/programs/{program}/", lambda w: {"length_weeks": 10**9}, "length_weeks"),
    (
        S,
        "post",
        "/api/v1/modules/",
        lambda w: {
            "program": w.program.pk,
            "order": 5,
            "title": "M",
            "expected_hours": 5,
            "start_week": 4,
            "end_week": 2,
        },
        "end_week",
    ),
    (S, "post", "/api/v1/assignments/", lambda w: assignment_body(w, kind="quiz"), "kind"),
    (
        S,
        "post",
        "/api/v1/assignments/",
        lambda w: assignment_body(w, rubric=[{"name": "C", "max_score": 0}]),
        "rubric",
    ),
    (S, "post", "/api/v1/assignments/", lambda w: assignment_body(w, due_week=99), "due_week"),
    (
        S,
        "post",
        "/api/v1/cohorts/",
        lambda w: {
            "program": w.program.pk,
            "name": "C",
            "start_date": "2026-01-05",
            "timezone": "Mars/Olympus",
        },
        "timezone",
    ),
    (
        S,
        "post",
        "/api/v1/cohorts/",
        lambda w: {"program": w.program.pk, "name": "C", "start_date": 20260105},
        "start_date",
    ),
    (S, "patch", "/api/v1/cohorts/{cohort}/", lambda w: {"name": ""}, "name"),
    # mentors and pairings
    (S, "post", "/api/v1/mentors/", lambda w: {"user": w.outsider.pk, "capacity": 201}, "capacity"),
    (
        S,
        "post",
        "/api/v1/mentors/",
        lambda w: {"user": w.outsider.pk, "capacity": 2, "expertise": "nlp"},
        "expertise",
    ),
    (S, "post", "/api/v1/mentors/", lambda w: {"user": w.mentor_user.pk, "capacity": 2}, "user"),
    (S, "patch", "/api/v1/mentors/{mentor}/", lambda w: {"capacity": 0}, "capacity"),
    (S, "patch", "/api/v1/mentors/{mentor}/", lambda w: {"is_active": "yes"}, "is_active"),
    (
        S,
        "post",
        "/api/v1/pairings/",
        lambda w: {"enrollment": w.enrollment.pk, "mentor": w.mentor.pk},
        "mentor",
    ),
    (S, "post", "/api/v1/pairings/", lambda w: {"enrollment": w.enrollment.pk}, "mentor"),
    (S, "post", "/api/v1/pairings/{other_pairing}/end/", lambda w: {"reason": "x" * 201}, "reason"),
    # preferences and token
    (L, "patch", "/api/v1/me/preferences/", lambda w: {"timezone": "Nowhere/City"}, "timezone"),
    (L, "patch", "/api/v1/me/preferences/", lambda w: {"email_reminders": "no"}, "email_reminders"),
    (
        L,
        "patch",
        "/api/v1/me/preferences/",
        lambda w: {"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"},
        "quiet_hours_start",
    ),
    (
        L,
        "patch",
        "/api/v1/me/preferences/",
        lambda w: {"quiet_hours_start": "22:00"},
        "quiet_hours_end",
    ),
    (
        None,
        "post",
        "/api/v1/auth/token/",
        lambda w: {"username": "ada", "password": "wrong"},
        "non_field_errors",
    ),
    (None, "post", "/api/v1/auth/token/", lambda w: {"username": "ada"}, "password"),
]


def _path(template: str, w) -> str:
    ids = {
        "log": w.log.pk,
        "submission": w.submission.pk,
        "session": w.session.pk,
        "enrollment": w.enrollment.pk,
        "help_request": w.help_request.pk,
        "program": w.program.pk,
        "cohort": w.cohort.pk,
        "mentor": w.mentor.pk,
        "other_pairing": w.other_pairing.pk,
    }
    return template.format(**ids)


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "field"),
    [
        pytest.param(*case, id=f"{case[1]}-{case[2]}-{case[4]}-{index}")
        for index, case in enumerate(CASES)
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    world, role, method, path, body, field
):
    user = {"learner": world.learner, "mentor": world.mentor_user, "staff": world.staff}.get(role)
    before = snapshot()
    response = getattr(client_for(user), method)(_path(path, world), body(world), format="json")
    assert response.status_code == 400, (response.status_code, response.data)
    assert field in response.data, response.data
    assert snapshot() == before


def test_malformed_json_is_a_400(world):
    response = client_for(world.learner).generic(
        "POST", "/api/v1/progress-logs/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    ["status=bogus", "cohort=abc", "page_size=0", "page_size=ten", "enrollment=1.5"],
)
def test_malformed_list_filters_are_a_400(world, query):
    response = client_for(world.staff).get(f"/api/v1/submissions/?{query}")
    assert response.status_code == 400, response.data
