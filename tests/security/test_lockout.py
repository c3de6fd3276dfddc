"""Repeated wrong passwords lock the account for a while, on every way in, with a clear message."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from tests.curriculum.factories import UserFactory

PASSWORD = "pw-Stride-2026"
LIMIT = settings.AXES_FAILURE_LIMIT

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return UserFactory(username="ada")


def login_page(client, password):
    return client.post("/login/", {"username": "ada", "password": password})


def token(client, password, path="/api/v1/auth/token/"):
    return client.post(path, {"username": "ada", "password": password}, format="json")


def test_settings_come_from_stride_variables():
    assert LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == 0.25  # 15 minutes, in hours
    assert settings.AXES_RESET_ON_SUCCESS is True
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_login_page_locks_after_limit_with_a_clear_message(client, ada):
    for _ in range(LIMIT - 1):
        response = login_page(client, "wrong")
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    response = login_page(client, "wrong")
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    page = response.content.decode()
    assert "Sign-in locked" in page
    assert "locked for 15 minutes" in page
    # The right password does not get in while locked, and the wait does not restart.
    response = login_page(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="ada").failures_since_start == LIMIT
    # Wrong passwords are often near misses of the right one: never stored.
    assert "wrong" not in AccessAttempt.objects.get(username="ada").post_data


def test_lockout_ends_after_the_cool_off(client, ada, clock):
    clock.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    for _ in range(LIMIT):
        login_page(client, "wrong")
    clock.move_to(dt.datetime(2026, 3, 2, 9, 14, tzinfo=dt.UTC))
    assert login_page(client, PASSWORD).status_code == 429
    clock.move_to(dt.datetime(2026, 3, 2, 9, 16, tzinfo=dt.UTC))
    response = login_page(client, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ada.pk)


def test_login_page_success_resets_the_count(client, ada):
    for _ in range(LIMIT - 1):
        login_page(client, "wrong")
    assert login_page(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert login_page(client, "wrong").status_code == 200
    assert login_page(client, PASSWORD).status_code == 302


def test_lockout_is_per_username(client, ada):
    UserFactory(username="grace")
    for _ in range(LIMIT):
        login_page(client, "wrong")
    response = client.post("/login/", {"username": "grace", "password": PASSWORD})
    assert response.status_code == 302


def test_admin_login_is_protected_too(client):
    UserFactory(username="ada", is_staff=True)
    for _ in range(LIMIT):
        response = client.post("/admin/login/", {"username": "ada", "password": "wrong"})
    assert response.status_code == 429


def test_token_endpoint_answers_json_429(ada):
    api = APIClient()
    for _ in range(LIMIT - 1):
        assert token(api, "wrong").status_code == 400
    response = token(api, "wrong")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "locked_out"
    assert "locked for 15 minutes" in body["detail"]
    assert body["retry_after_seconds"] == 900
    assert token(api, PASSWORD).status_code == 429


def test_login_page_and_token_share_one_count(client, ada):
    api = APIClient()
    for _ in range(LIMIT - 1):
        token(api, "wrong")
    assert login_page(client, "wrong").status_code == 429


class TestObtainTokenView:
    def test_success_gives_a_token_and_records_the_sign_in(self, ada):
        response = token(APIClient(), PASSWORD)
        assert response.status_code == 200
        assert response.json()["token"].startswith("stride_")
        ada.refresh_from_db()
        assert ada.last_login is not None

    def test_lockout_then_refused_with_json(self, ada):
        api = APIClient()
        for _ in range(LIMIT - 1):
            response = token(api, "wrong")
            assert response.status_code == 400
            assert response.json() == {
                "non_field_errors": ["Unable to sign in with these credentials."]
            }
        response = token(api, "wrong")
        assert response.status_code == 429
        assert response.json()["code"] == "locked_out"
        assert response["Retry-After"] == "900"
        response = token(api, PASSWORD)
        assert response.status_code == 429
        assert "token" not in response.json()

    def test_success_resets_the_count(self, ada):
        api = APIClient()
        for _ in range(LIMIT - 1):
            token(api, "wrong")
        assert token(api, PASSWORD).status_code == 200
        assert not AccessAttempt.objects.filter(username="ada").exists()
        for _ in range(LIMIT - 1):
            assert token(api, "wrong").status_code == 400
        assert token(api, PASSWORD).status_code == 200

    def test_inactive_user_gets_no_token(self, ada):
        ada.is_active = False
        ada.save()
        assert token(APIClient(), PASSWORD).status_code == 400

    @override_settings(AXES_FAILURE_LIMIT=2, AXES_COOLOFF_TIME=1 / 60)
    def test_limit_and_cool_off_are_settings(self, ada):
        api = APIClient()
        assert token(api, "wrong").status_code == 400
        response = token(api, "wrong")
        assert response.status_code == 429
        assert "locked for 1 minute." in response.json()["detail"]

    def test_login_scope_throttles_many_usernames_from_one_address(self, monkeypatch, ada):
        from tracker.security.throttles import LoginRateThrottle

        monkeypatch.setattr(LoginRateThrottle, "THROTTLE_RATES", {"login": "3/minute"})
        api = APIClient()
        for name in ("a1", "a2", "a3"):
            response = api.post(
                "/api/v1/auth/token/", {"username": name, "password": "x"}, format="json"
            )
            assert response.status_code == 400
        response = api.post(
            "/api/v1/auth/token/", {"username": "a4", "password": "x"}, format="json"
        )
        assert response.status_code == 429
        assert "Retry-After" in response


def test_a_drf_view_that_passes_its_own_request_still_gets_the_clear_lockout(ada):
    """Any DRF view calling ``authenticate(request=request)`` hands axes the wrapper; the
    receiver copies the lockout flag to the HttpRequest that AxesMiddleware inspects."""
    from django.contrib.auth import authenticate
    from django.test import RequestFactory
    from rest_framework.parsers import JSONParser
    from rest_framework.request import Request

    def api_request():
        http_request = RequestFactory().post(
            "/api/v1/other/", data="{}", content_type="application/json"
        )
        return http_request, Request(http_request, parsers=[JSONParser()])

    for _ in range(LIMIT):
        authenticate(request=api_request()[1], username="ada", password="x")
    http_request, wrapped = api_request()
    assert authenticate(request=wrapped, username="ada", password=PASSWORD) is None
    assert http_request.axes_locked_out is True
