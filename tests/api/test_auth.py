"""Token and session authentication, and what ``me/`` says about each role."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.api.conftest import client_for
from tracker.security.tokens import token_issue


def test_token_sign_in_then_token_auth(world):
    client = APIClient()
    answer = client.post(
        "/api/v1/auth/token/",
        {"username": "lena", "password": "pw-Stride-2026"},
        format="json",
    )
    assert answer.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.data['token']}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.data["username"] == "lena"


def test_wrong_password_is_a_400_and_no_token(world):
    answer = APIClient().post(
        "/api/v1/auth/token/", {"username": "lena", "password": "nope"}, format="json"
    )
    assert answer.status_code == 400
    assert "token" not in answer.data


def test_a_bad_token_is_a_401_with_a_challenge(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_session_auth_reads_and_needs_csrf_to_write(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.learner)
    assert client.get("/api/v1/me/").status_code == 200
    refused = client.patch("/api/v1/me/preferences/", {"email_reminders": False}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.data["detail"]


def test_me_describes_each_role(world):
    learner = client_for(world.learner).get("/api/v1/me/").data
    assert learner["role"] == "learner"
    assert learner["learner_enrollments"] == [world.enrollment.pk]
    assert learner["mentor_id"] is None
    # No feed until the learner creates one: reading me/ stores no token.
    assert learner["calendar_url"] is None
    mentor = client_for(world.mentor_user).get("/api/v1/me/").data
    assert (mentor["role"], mentor["mentor_id"]) == ("mentor", world.mentor.pk)
    staff = client_for(world.staff).get("/api/v1/me/").data
    assert (staff["role"], staff["learner_enrollments"]) == ("staff", [])


def test_rotating_the_calendar_token_changes_the_feed_url(world):
    # Token auth, so each request loads the user afresh as in production.
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {token_issue(user=world.learner, name='test')[1]}"
    )
    assert client.get("/api/v1/me/").data["calendar_url"] is None
    created = client.post("/api/v1/me/calendar-token/")
    assert created.status_code == 201 and created.data["calendar_url"].endswith(".ics")
    before = client.get("/api/v1/me/").data["calendar_url"]
    assert before == created.data["calendar_url"]
    rotated = client.post("/api/v1/me/calendar-token/")
    assert rotated.status_code == 201
    assert rotated.data["calendar_url"] != before
    assert client.get("/api/v1/me/").data["calendar_url"] == rotated.data["calendar_url"]
    assert APIClient().get(before.split("127.0.0.1:8000", 1)[-1]).status_code == 404


def test_pagination_shape_and_limits(world):
    client = client_for(world.staff)
    body = client.get("/api/v1/progress-logs/?page_size=1").data
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == 1
    assert client.get("/api/v1/progress-logs/?page_size=1000").status_code == 200
    assert client.get("/api/v1/progress-logs/?page=").status_code == 404
    assert client.get("/api/v1/progress-logs/?page=99").status_code == 404
    # ``?page=last`` is the last page (DRF's word for it), as its ``count`` implies.
    count = body["count"]
    last = client.get("/api/v1/progress-logs/?page_size=1&page=last").data
    assert last["count"] == count
    assert last["next"] is None
    assert len(last["results"]) == 1


def test_lists_filter_and_order(world):
    client = client_for(world.staff)
    mine = client.get(f"/api/v1/submissions/?enrollment={world.enrollment.pk}&status=approved")
    assert [row["id"] for row in mine.data["results"]] == [world.reviewed_submission.pk]
    ordered = client.get("/api/v1/enrollments/?ordering=-id").data["results"]
    assert [row["id"] for row in ordered] == sorted((row["id"] for row in ordered), reverse=True)
    assert client.get("/api/v1/enrollments/?status=").status_code == 400
