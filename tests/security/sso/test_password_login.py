"""``STRIDE_PASSWORD_LOGIN``: ``all`` (the default) lets everyone sign in with a password;
``staff`` only staff, on the login page, the admin and the API's token sign-in alike."""

from __future__ import annotations

import pytest

from tests.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_only(settings):
    settings.STRIDE_PASSWORD_LOGIN = "staff"


def test_everyone_signs_in_with_a_password_by_default(client, world):
    response = client.post("/login/", {"username": "lena", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(world.person("lena").pk)


@pytest.mark.parametrize("username", ["lena", "max"])
def test_staff_only_refuses_other_people_on_the_login_page(client, world, staff_only, username):
    page = client.get("/login/").content.decode()
    assert "Password sign-in is for staff only" in page

    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert client.session.get("_auth_user_id") is None


def test_staff_only_lets_staff_in(client, world, staff_only):
    response = client.post("/login/", {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(world.person("sam").pk)
    assert client.get("/admin/").status_code == 200


def test_staff_only_refuses_the_admin_and_api_token_sign_in_too(client, world, staff_only):
    response = client.post(
        "/admin/login/", {"username": "max", "password": PASSWORD, "next": "/admin/"}
    )
    assert client.session.get("_auth_user_id") is None
    assert response.status_code == 200

    refused = client.post(
        "/api/v1/auth/token/",
        {"username": "lena", "password": PASSWORD},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "token" not in refused.json()
    allowed = client.post(
        "/api/v1/auth/token/",
        {"username": "sam", "password": PASSWORD},
        content_type="application/json",
    )
    assert allowed.status_code == 200
    assert allowed.json()["token"]
