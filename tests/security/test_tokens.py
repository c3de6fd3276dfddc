"""API tokens (issue 14): named, stored hashed, expiring, listed and revoked by their owner (and
by staff), through the API and on the tokens page; DRF's old plain tokens moved by migration."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import re
from types import SimpleNamespace

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.curriculum.factories import StaffFactory, UserFactory
from tests.world import LENAS_TOKEN
from tracker.models import ApiToken
from tracker.security.services import token_revoke
from tracker.security.tokens import token_issue

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Stride-2026"


def token_client(value: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {value}")
    return api


def client_with_token(user, name: str = "laptop") -> tuple[APIClient, ApiToken]:
    token, value = token_issue(user=user, name=name)
    return token_client(value), token


def sign_in(username: str, **extra) -> dict:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD, **extra}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def nonce_of(response) -> str:
    return re.search(rb'name="nonce" value="([^"]+)"', response.content).group(1).decode()


def every_stored_text() -> str:
    """Everything the tokens table holds, as one text to search a value in."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        return " ".join(str(cell) for row in cursor.fetchall() for cell in row)


# --- Sign-in, hashing, expiry -------------------------------------------------------------------
def test_sign_in_gives_a_named_expiring_token_and_the_database_holds_no_usable_value(world, clock):
    answer = sign_in("lena", name="grading script")
    value = answer["token"]
    assert value.startswith("stride_") and len(value) >= 40
    assert answer["name"] == "grading script"
    assert dt.datetime.fromisoformat(answer["expires_at"]) == clock.now() + dt.timedelta(days=30)
    row = ApiToken.objects.get(pk=answer["id"])
    assert row.digest == hashlib.sha256(value.encode()).hexdigest()
    # Neither the value nor its secret part is anywhere in the table.
    stored = every_stored_text()
    assert value not in stored and value[len(row.prefix) :] not in stored
    # What is stored does not sign in: not the digest, not the prefix.
    assert token_client(row.digest).get("/api/v1/me/").status_code == 401
    assert token_client(row.prefix).get("/api/v1/me/").status_code == 401
    me = token_client(value).get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == "lena"


def test_each_sign_in_makes_its_own_token_with_a_default_name(world):
    first, second = sign_in("lena"), sign_in("lena")
    assert first["token"] != second["token"]
    names = set(ApiToken.objects.filter(user=world.learner).values_list("name", flat=True))
    assert names == {"laptop", "API sign-in"}
    assert ApiToken.objects.filter(user=world.learner, name="API sign-in").count() == 2


def test_a_token_stops_working_when_it_expires(world, clock):
    value = sign_in("lena")["token"]
    clock.shift(dt.timedelta(days=30) - dt.timedelta(seconds=1))
    assert token_client(value).get("/api/v1/me/").status_code == 200
    clock.shift(dt.timedelta(seconds=1))
    expired = token_client(value).get("/api/v1/me/")
    assert expired.status_code == 401
    assert expired.json()["detail"] == "Token has expired."
    assert expired["WWW-Authenticate"] == "Token"


def test_the_lifetime_is_a_setting(world, settings, clock):
    settings.STRIDE_TOKEN_TTL_DAYS = 2
    answer = sign_in("lena")
    assert dt.datetime.fromisoformat(answer["expires_at"]) == clock.now() + dt.timedelta(days=2)
    clock.shift(dt.timedelta(days=2))
    assert token_client(answer["token"]).get("/api/v1/me/").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(world, clock):
    api, token = client_with_token(world.learner)
    assert token.last_used_at is None
    api.get("/api/v1/me/")
    token.refresh_from_db()
    first_use = clock.now()
    assert token.last_used_at == first_use
    clock.shift(dt.timedelta(seconds=59))
    api.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at == first_use
    clock.shift(dt.timedelta(seconds=1))
    api.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at == clock.now()


def test_an_inactive_users_token_is_refused(world):
    api = token_client(LENAS_TOKEN)
    assert api.get("/api/v1/me/").status_code == 200
    world.learner.is_active = False
    world.learner.save()
    assert api.get("/api/v1/me/").status_code == 401


def test_a_bad_or_oversized_token_is_a_401_with_a_challenge(world):
    for value in ("not-a-real-token", "x" * 5000, LENAS_TOKEN + "x"):
        response = token_client(value).get("/api/v1/me/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"


# --- auth/tokens/ ---------------------------------------------------------------------------------
def test_the_list_shows_the_callers_tokens_without_values(world, clock):
    token_issue(user=world.other_learner, name="otto's")
    api = token_client(LENAS_TOKEN)
    created = api.post("/api/v1/auth/tokens/", {"name": "grading script"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert set(body) >= {"id", "name", "created_at", "expires_at", "last_used_at", "token"}
    assert token_client(body["token"]).get("/api/v1/me/").json()["username"] == "lena"

    listed = api.get("/api/v1/auth/tokens/").json()
    assert listed["count"] == 2
    rows = listed["results"]
    assert [row["name"] for row in rows] == ["grading script", "laptop"]
    assert all("token" not in row and "digest" not in row for row in rows)
    laptop = rows[1]
    assert laptop["id"] == world.api_token.pk
    assert laptop["last_used_at"] is not None  # this very request's token
    assert dt.datetime.fromisoformat(laptop["expires_at"]) == world.api_token.expires_at


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 101}, "name"), ({"name": 7}, "name")],
)
def test_a_token_needs_a_proper_name(world, body, field):
    api = token_client(LENAS_TOKEN)
    before = ApiToken.objects.count()
    response = api.post("/api/v1/auth/tokens/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert ApiToken.objects.count() == before


def test_the_owner_revokes_one_token_and_only_that_one_stops_working(world):
    laptop = token_client(LENAS_TOKEN)
    script, script_token = client_with_token(world.learner, "grading script")
    assert laptop.delete(f"/api/v1/auth/tokens/{script_token.pk}/").status_code == 204
    assert script.get("/api/v1/me/").status_code == 401
    assert laptop.get("/api/v1/me/").status_code == 200
    assert laptop.delete(f"/api/v1/auth/tokens/{script_token.pk}/").status_code == 404


def test_nobody_else_but_staff_can_revoke_a_token(world):
    for person in (world.other_learner, world.mentor_user, world.other_mentor_user):
        other, _ = client_with_token(person)
        assert other.delete(f"/api/v1/auth/tokens/{world.api_token.pk}/").status_code == 404
    assert token_client(LENAS_TOKEN).get("/api/v1/me/").status_code == 200

    staff, _ = client_with_token(world.staff)
    assert staff.delete(f"/api/v1/auth/tokens/{world.api_token.pk}/").status_code == 204
    assert token_client(LENAS_TOKEN).get("/api/v1/me/").status_code == 401
    entry = LogEntry.objects.get(object_id=str(world.learner.pk))
    assert entry.user == world.staff and "laptop" in entry.get_change_message()


# --- Revoking all (the endpoints from before issue 14) -------------------------------------------
def test_user_revokes_all_their_tokens_and_they_stop_working():
    user = UserFactory()
    api, _ = client_with_token(user)
    other_api, _ = client_with_token(user, "script")
    assert api.get("/api/v1/me/").status_code == 200
    response = api.post("/api/v1/auth/token/revoke/")
    assert response.status_code == 200
    assert response.json() == {"revoked": 2}
    assert not ApiToken.objects.filter(user=user).exists()
    assert api.get("/api/v1/me/").status_code == 401
    assert other_api.get("/api/v1/me/").status_code == 401


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
    token_issue(user=other, name="laptop")
    api, _ = client_with_token(learner)
    assert api.post(f"/api/v1/users/{other.pk}/revoke-tokens/").status_code == 403
    assert ApiToken.objects.filter(user=other).exists()
    with pytest.raises(PermissionDenied):
        token_revoke(actor=learner, user=other)


def test_unknown_user_is_404_for_staff_and_anonymous_is_401():
    staff_api, _ = client_with_token(StaffFactory())
    assert staff_api.post("/api/v1/users/999999/revoke-tokens/").status_code == 404
    assert APIClient().post("/api/v1/auth/token/revoke/").status_code == 401
    assert APIClient().get("/api/v1/auth/tokens/").status_code == 401


def test_revoking_without_a_token_is_harmless():
    user = UserFactory()
    api = APIClient()
    api.force_login(user)
    assert api.post("/api/v1/auth/token/revoke/").json() == {"revoked": 0}


# --- DRF's plain tokens, migrated --------------------------------------------------------------
def test_the_migration_moves_plain_tokens_and_their_values_keep_working(world, clock, settings):
    """``tracker 0021`` turns each ``authtoken_token`` row into a hashed token that expires
    ``STRIDE_TOKEN_TTL_DAYS`` later, and empties the plain table."""
    from django.apps import apps

    migration = importlib.import_module("tracker.migrations.0021_api_tokens")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id bigint NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created datetime NOT NULL, user_id bigint NOT NULL)"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [old_key, clock.now() - dt.timedelta(days=400), world.mentor_user.pk],
        )
    # The data step only needs the editor's connection (DDL inside the test's transaction).
    migration.move_plain_tokens(apps, SimpleNamespace(connection=connection))

    moved = ApiToken.objects.get(user=world.mentor_user)
    assert moved.digest == hashlib.sha256(old_key.encode()).hexdigest()
    assert moved.expires_at == clock.now() + dt.timedelta(days=settings.STRIDE_TOKEN_TTL_DAYS)
    assert old_key not in every_stored_text()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    api = token_client(old_key)
    assert api.get("/api/v1/me/").json()["username"] == world.mentor_user.username
    clock.shift(dt.timedelta(days=settings.STRIDE_TOKEN_TTL_DAYS))
    assert api.get("/api/v1/me/").status_code == 401


# --- The tokens page ---------------------------------------------------------------------------
def test_the_page_lists_makes_shows_once_and_revokes(world):
    browser = Client()
    browser.force_login(world.learner)
    listing = browser.get(reverse("api_tokens"))
    assert listing.status_code == 200
    assert b"laptop" in listing.content and LENAS_TOKEN.encode() not in listing.content

    form = {"name": "grading script", "nonce": nonce_of(listing)}
    made = browser.post(reverse("api_tokens"), form)
    assert made.status_code == 200
    value = re.search(rb'id="new-token-value">([^<]+)<', made.content).group(1).decode()
    assert token_client(value).get("/api/v1/me/").json()["username"] == "lena"
    # Shown once: the page again lists it without the value; the same form sent again (a
    # reload of the answer) makes no second token.
    again = browser.get(reverse("api_tokens"))
    assert b"grading script" in again.content and value.encode() not in again.content
    resent = browser.post(reverse("api_tokens"), form, follow=True)
    assert value.encode() not in resent.content and b"already sent" in resent.content
    assert ApiToken.objects.filter(user=world.learner, name="grading script").count() == 1
    # Nowhere in the sessions either.
    from django.contrib.sessions.models import Session

    assert all(value not in str(s.get_decoded()) for s in Session.objects.all())

    token = ApiToken.objects.get(user=world.learner, name="grading script")
    revoked = browser.post(reverse("api_token_revoke", args=[token.pk]), follow=True)
    assert revoked.status_code == 200
    assert "revoked" in revoked.content.decode()
    assert token_client(value).get("/api/v1/me/").status_code == 401


def test_the_page_shows_a_missing_name_in_place_and_makes_nothing(world):
    browser = Client()
    browser.force_login(world.learner)
    before = ApiToken.objects.count()
    listing = browser.get(reverse("api_tokens"))
    answer = browser.post(reverse("api_tokens"), {"name": "", "nonce": nonce_of(listing)})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert 'id="id_name_error"' in html
    assert re.search(r'<input[^>]*aria-describedby="[^"]*id_name_error', html)
    assert ApiToken.objects.count() == before


def test_nobody_revokes_someone_elses_token_on_the_page(world):
    browser = Client()
    browser.force_login(world.other_learner)
    assert browser.post(reverse("api_token_revoke", args=[world.api_token.pk])).status_code == 404
    assert browser.get(reverse("api_token_revoke", args=[world.api_token.pk])).status_code == 405
    assert ApiToken.objects.filter(pk=world.api_token.pk).exists()


def test_staff_see_and_revoke_anyones_tokens_in_the_admin_without_any_value(world):
    admin = Client()
    admin.force_login(world.staff)
    changelist = admin.get("/admin/tracker/apitoken/")
    assert changelist.status_code == 200
    assert b"laptop" in changelist.content
    assert world.api_token.digest.encode() not in changelist.content
    assert admin.get("/admin/tracker/apitoken/add/").status_code == 403
    deleted = admin.post(
        f"/admin/tracker/apitoken/{world.api_token.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert deleted.status_code == 200
    assert not ApiToken.objects.filter(pk=world.api_token.pk).exists()
    assert token_client(LENAS_TOKEN).get("/api/v1/me/").status_code == 401


def test_the_demo_seeds_named_tokens_once(settings, clock):
    from tracker.seed.builder import seed_demo

    settings.DEBUG = True
    result = seed_demo(learners=2)
    names = set(
        ApiToken.objects.filter(user__username=result.staff_username).values_list("name", flat=True)
    )
    assert names == {"grading script"}
    count = ApiToken.objects.count()
    assert count == 1 + len(result.mentor_usernames)
    seed_demo(learners=2)
    assert ApiToken.objects.count() == count


def test_the_list_costs_the_same_queries_for_one_token_or_many(world):
    from django.test.utils import CaptureQueriesContext

    api = APIClient()
    api.force_authenticate(world.learner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/auth/tokens/").status_code == 200
        return len(queries)

    count()  # once unmeasured: the caller's language is then read from the cache
    small = count()
    for index in range(6):
        token_issue(user=world.learner, name=f"script {index}")
    assert count() == small
