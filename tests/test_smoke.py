"""The site comes up: the front door, the admin, the API's answer to strangers, the factories,
and models that match their migrations."""

import io

import pytest
from django.core.management import call_command

from tests.mentors.factories import MentorSessionFactory, ReviewFactory


@pytest.mark.django_db
def test_factories_build_a_consistent_graph():
    session = MentorSessionFactory()
    assert session.enrollment_id == session.pairing.enrollment_id
    review = ReviewFactory()
    assert review.submission.version == 1


@pytest.mark.django_db
def test_anonymous_visitor_lands_on_the_login_page(client):
    response = client.get("/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain, "anonymous / must redirect to the login page"
    assert "login" in response.redirect_chain[-1][0]
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_admin_login_renders(client):
    assert client.get("/admin/login/").status_code == 200


@pytest.mark.django_db
def test_api_answers_strangers_with_401(client):
    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}", pytrace=False)
