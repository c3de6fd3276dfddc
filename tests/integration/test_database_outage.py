"""A database outage seen from outside: gunicorn in the production shape on a private
PostgreSQL cluster, which the test stops and starts under it. While it is away the API answers
503 JSON and pages a plain 503 page, both with ``Retry-After`` (never a 500); once it is back,
the same requests answer 200 again without restarting anything."""

from __future__ import annotations

import pytest

from tests.integration.harness import Gunicorn, manage, production_env

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

SETUP = """
from django.contrib.auth import get_user_model
from tracker.models import UserPreferences
from tracker.security.tokens import token_issue
user = get_user_model().objects.create_user("olga", "olga@example.org", "Outage-pass-4821")
preferences, _ = UserPreferences.objects.get_or_create(user=user)
print(token_issue(user=user, name="outage")[1], preferences.calendar_token)
"""


def test_a_stopped_database_answers_503_with_retry_after_then_200_when_back(cluster, tmp_path):
    env = production_env(DATABASE_URL=cluster.url, STRIDE_VAR_DIR=str(tmp_path / "var"))
    manage("migrate", "--noinput", env=env)
    # As the image does: the pages (the outage page included) link the hashed stylesheet.
    manage("collectstatic", "--noinput", env=env)
    token, calendar_token = manage("shell", "-c", SETUP, env=env).splitlines()[-1].split()
    server = Gunicorn(env, tmp_path).start()
    api = {"Authorization": f"Token {token}"}
    feed = f"/calendar/{calendar_token}.ics"
    try:
        assert server.request("GET", "/api/v1/me/", headers=api).status == 200
        assert server.request("GET", feed).status == 200

        cluster.stop()
        for method, path, body in (
            ("GET", "/api/v1/me/", None),
            ("PATCH", "/api/v1/me/preferences/", {"email_reminders": False}),
        ):
            answer = server.request(method, path, body=body, headers=api)
            assert answer.status == 503, answer
            assert int(answer.headers["Retry-After"]) > 0
            assert "database" in answer.json()["detail"].lower()
            assert answer.elapsed < 5, answer
        page = server.request("GET", feed)
        assert page.status == 503, page
        assert int(page.headers["Retry-After"]) > 0
        assert page.headers["Content-Type"].startswith("text/html")
        assert b"try again" in page.body
        health = server.request("GET", "/healthz")
        assert health.status == 503 and health.json()["database"]["ok"] is False

        cluster.start()
        assert server.request("GET", "/api/v1/me/", headers=api).status == 200
        assert server.request("GET", feed).status == 200
        answer = server.request(
            "PATCH", "/api/v1/me/preferences/", body={"email_reminders": False}, headers=api
        )
        assert answer.status == 200, answer
    finally:
        server.stop()
