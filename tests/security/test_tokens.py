"""API tokens can be revoked by their owner and by staff, and by nobody else."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.curriculum.factories import StaffFactory, UserFactory
from tracker.security.services import token_revoke

pytestmark = pytest.mark.django_db


def client_with_token(user) -> tuple[APIClient, Token]:
    token = Token.objects.create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api, token


def test_user_revokes_their_own_token_and_it_stops_working():
    user = UserFactory()
    api, _ = client_with_token(user)
    assert api.get("/api/v1/me/").status_code == 200
    response = api.post("/api/v1/auth/token/revoke/")
    assert response.status_code == 200
    assert response.json() == {"revoked": 1}
    assert not Token.objects.filter(user=user).exists()
    assert api.get("/api/v1/me/").status_code == 401


def test_staff_revoke_anyones_tokens_and_it_is_logged():
    staff = StaffFactory()
    learner = UserFactory()
    learner_api, _ = client_with_token(learner)
    staff_api, _ = client_with_token(staff)
    response = staff_api.post(f"/api/v1/users/{learner.pk}/revoke-tokens/")
    assert response.status_code == 200
    assert response.json() == {"revoked": 1}
    assert learner_api.get("/api/v1/me/").status_code == 401
    assert staff_api.get("/api/v1/me/").status_code == 200
    entry = LogEntry.objects.get(object_id=str(learner.pk))
    assert entry.user == staff
    assert "Revoked API tokens" in entry.get_change_message()


def test_non_staff_may_not_revoke_someone_elses_tokens():
    learner = UserFactory()
    other = UserFactory()
    Token.objects.create(user=other)
    api, _ = client_with_token(learner)
    assert api.post(f"/api/v1/users/{other.pk}/revoke-tokens/").status_code == 403
    assert Token.objects.filter(user=other).exists()
    with pytest.raises(PermissionDenied):
        token_revoke(actor=learner, user=other)


def test_unknown_user_is_404_for_staff_and_anonymous_is_401():
    staff_api, _ = client_with_token(StaffFactory())
    assert staff_api.post("/api/v1/users/999999/revoke-tokens/").status_code == 404
    assert APIClient().post("/api/v1/auth/token/revoke/").status_code == 401


def test_revoking_without_a_token_is_harmless():
    user = UserFactory()
    api = APIClient()
    api.force_login(user)
    assert api.post("/api/v1/auth/token/revoke/").json() == {"revoked": 0}


def test_a_new_sign_in_after_revocation_gives_a_new_token():
    user = UserFactory(username="ada")
    api, old = client_with_token(user)
    api.post("/api/v1/auth/token/revoke/")
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "ada", "password": "pw-Stride-2026"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["token"] != old.key
