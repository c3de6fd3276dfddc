import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_home_goes_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("who", "target"),
    [("learner", "learner_home"), ("mentor", "mentor_home")],
)
def test_home_sends_each_role_home(client, world, who, target):
    user = {"learner": world.learner, "mentor": world.mentor.user, "staff": world.staff}[who]
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse(target)


def test_home_is_the_staff_morning_view(client, world):
    client.force_login(world.staff)
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="staff-home"' in response.content.decode()


def test_login_page_shows_error_and_keeps_username(client, world):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in page.content
    response = client.post(reverse("login"), {"username": "lena", "password": "wrong"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="errorlist nonfield"' in body
    assert 'value="lena"' in body


def test_login_then_logout_by_post(client, world):
    response = client.post(reverse("login"), {"username": "lena", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("learner_home")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("learner_home")).status_code == 302


def test_password_reset_flow_sets_a_new_password(client, world):
    response = client.post(reverse("password_reset"), {"email": world.learner.email})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/reset/[^/]+/[^/]+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert b"new_password1" in form_page.content
    set_url = form_page.redirect_chain[-1][0]
    mismatch = client.post(set_url, {"new_password1": "a", "new_password2": "b"})
    assert b"errorlist" in mismatch.content
    done = client.post(
        set_url, {"new_password1": "Brand-new-pass-42", "new_password2": "Brand-new-pass-42"}
    )
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    signed_in = client.post(reverse("login"), {"username": "lena", "password": "Brand-new-pass-42"})
    assert signed_in.status_code == 302 and signed_in.url == reverse("home")


def test_invalid_reset_link_says_so(client, world):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"]))
    assert response.status_code == 200
    assert b"no longer valid" in response.content
