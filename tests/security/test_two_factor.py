"""Two-factor sign-in (issue 14): TOTP enrolment with recovery codes, the code after the
password, recovery codes that work once, and with ``STRIDE_STAFF_REQUIRE_2FA`` the admin, the
staff pages and staff token creation closed to staff without it; all of it off when false."""

from __future__ import annotations

import datetime as dt
import re
import time
from html import unescape

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tracker.models import ApiToken
from tracker.security.tokens import token_issue

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Stride-2026"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STAFF_PAGE = "/staff/cohorts/"


def code_now(secret: str = SECRET) -> str:
    """What an authenticator app shows now (time is frozen by the ``clock`` fixture)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def enrol(user, secret: str = SECRET) -> list[str]:
    TOTP.activate(user, secret)
    return RecoveryCodes.activate(user).get_unused_codes()


def next_period(clock) -> None:
    """A TOTP code is accepted once: the next use waits for the app's next code."""
    clock.shift(dt.timedelta(seconds=30))


def password_sign_in(client: Client, username: str) -> None:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def required(settings):
    settings.STRIDE_STAFF_REQUIRE_2FA = True


# --- Enrolment ---------------------------------------------------------------------------------
def test_staff_are_sent_to_enrol_and_enrolment_needs_a_right_code(world, required, clock):
    browser = Client()
    password_sign_in(browser, "sam")
    sent = browser.get(STAFF_PAGE)
    assert sent.status_code == 302
    assert sent["Location"] == f"{reverse('two_factor_setup')}?next=%2Fstaff%2Fcohorts%2F"

    setup = browser.get(sent["Location"])
    html = setup.content.decode()
    assert setup.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)

    wrong = browser.post(sent["Location"], {"code": "000000", "next": STAFF_PAGE})
    assert wrong.status_code == 200
    assert 'id="id_code_error"' in wrong.content.decode()
    assert re.search(r'<input[^>]*aria-describedby="[^"]*id_code_error', wrong.content.decode())
    assert not Authenticator.objects.filter(user=world.staff).exists()

    done = browser.post(sent["Location"], {"code": code_now(secret), "next": STAFF_PAGE})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>(\d+)</code></li>", done.content.decode())
    assert len(codes) == settings.MFA_RECOVERY_CODE_COUNT
    assert set(codes) == set(
        RecoveryCodes(
            Authenticator.objects.get(user=world.staff, type="recovery_codes")
        ).get_unused_codes()
    )
    # The secret is now the staff member's, and this session gave its code.
    assert Authenticator.objects.filter(user=world.staff, type="totp").count() == 1
    assert browser.get(STAFF_PAGE).status_code == 200
    assert browser.get("/admin/").status_code == 200


def test_a_learner_may_turn_two_factor_on_too(world, clock):
    browser = Client()
    browser.force_login(world.learner)
    html = browser.get(reverse("two_factor_setup")).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    browser.post(reverse("two_factor_setup"), {"code": code_now(secret)})
    assert Authenticator.objects.filter(user=world.learner, type="totp").exists()
    status = browser.get(reverse("two_factor_setup")).content.decode()
    assert "You have 10 unused recovery codes." in unescape(status)


# --- Signing in with the code ------------------------------------------------------------------
def test_after_the_password_the_code_is_asked_and_nothing_else_answers(world, required, clock):
    enrol(world.staff)
    browser = Client()
    password_sign_in(browser, "sam")
    for path in (STAFF_PAGE, "/admin/", reverse("api_tokens"), "/"):
        answer = browser.get(path)
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("two_factor_verify") + "?next=")
    # The API does not take the half-signed-in session either, whatever other header comes.
    assert browser.get("/api/v1/me/").status_code in (401, 403)
    assert browser.get("/api/v1/me/", HTTP_AUTHORIZATION="Basic c2FtOng=").status_code in (
        401,
        403,
    )
    assert browser.get("/api/v1/me/", HTTP_AUTHORIZATION="Token nope").status_code == 401

    verify = reverse("two_factor_verify")
    wrong = browser.post(verify, {"code": "123456", "next": STAFF_PAGE})
    assert wrong.status_code == 200
    assert "not right" in wrong.content.decode()
    right = browser.post(verify, {"code": code_now(), "next": STAFF_PAGE})
    assert right.status_code == 302 and right["Location"] == STAFF_PAGE
    assert browser.get(STAFF_PAGE).status_code == 200
    assert browser.get("/admin/").status_code == 200
    assert browser.get("/api/v1/me/").json()["username"] == "sam"


def test_a_code_is_accepted_once(world, clock):
    enrol(world.learner)
    first, second = Client(), Client()
    password_sign_in(first, "lena")
    password_sign_in(second, "lena")
    code = code_now()
    assert first.post(reverse("two_factor_verify"), {"code": code}).status_code == 302
    replay = second.post(reverse("two_factor_verify"), {"code": code})
    assert replay.status_code == 200
    next_period(clock)
    assert second.post(reverse("two_factor_verify"), {"code": code_now()}).status_code == 302


def test_a_recovery_code_works_once(world, clock):
    codes = enrol(world.learner)
    browser = Client()
    password_sign_in(browser, "lena")
    assert browser.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 302
    assert browser.get(reverse("learner_home")).status_code == 200

    browser.post(reverse("logout"))
    password_sign_in(browser, "lena")
    refused = browser.post(reverse("two_factor_verify"), {"code": codes[0]})
    assert refused.status_code == 200
    assert browser.get(reverse("learner_home")).status_code == 302
    assert browser.post(reverse("two_factor_verify"), {"code": codes[1]}).status_code == 302
    status = browser.get(reverse("two_factor_setup")).content.decode()
    assert "You have 8 unused recovery codes." in unescape(status)


def test_each_sign_in_owes_its_own_code(world, clock):
    enrol(world.learner)
    browser = Client()
    password_sign_in(browser, "lena")
    browser.post(reverse("two_factor_verify"), {"code": code_now()})
    assert browser.get(reverse("learner_home")).status_code == 200
    # Signing in again within the same browser session (the login page sends a signed-in
    # person home, so sign in the way every other door does: django.contrib.auth.login).
    browser.force_login(world.learner)
    assert browser.get(reverse("learner_home")).status_code == 302


def test_wrong_codes_count_toward_the_lockout(world, clock):
    enrol(world.learner)
    browser = Client()
    password_sign_in(browser, "lena")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert browser.post(reverse("two_factor_verify"), {"code": "000000"}).status_code == 200
    locked = browser.post(reverse("two_factor_verify"), {"code": "000000"})
    assert locked.status_code == 429
    # Locked means locked: not even the right code gets through until the cool-off ends.
    next_period(clock)
    assert browser.post(reverse("two_factor_verify"), {"code": code_now()}).status_code == 429
    assert browser.get(reverse("learner_home")).status_code == 302
    # The password alone no longer opens even a new session.
    assert Client().post("/login/", {"username": "lena", "password": PASSWORD}).status_code == 429


def test_new_recovery_codes_replace_the_old_ones(world, clock):
    old = enrol(world.learner)
    browser = Client()
    password_sign_in(browser, "lena")
    browser.post(reverse("two_factor_verify"), {"code": code_now()})
    next_period(clock)
    answer = browser.post(reverse("two_factor_setup"), {"code": code_now()})
    new = re.findall(r"<li><code>(\d+)</code></li>", answer.content.decode())
    assert len(new) == 10 and set(new) != set(old)
    browser.post(reverse("logout"))
    password_sign_in(browser, "lena")
    assert browser.post(reverse("two_factor_verify"), {"code": old[0]}).status_code == 200
    assert browser.post(reverse("two_factor_verify"), {"code": new[0]}).status_code == 302


def test_allauths_own_second_factor_counts(world):
    """A sign-in through allauth (single sign-on) that passed allauth's MFA stage is verified."""
    enrol(world.staff)
    browser = Client()
    browser.force_login(world.staff)
    assert browser.get(STAFF_PAGE).status_code == 302
    session = browser.session
    session["account_authentication_methods"] = [{"method": "mfa", "type": "totp", "at": 0}]
    session.save()
    assert browser.get(STAFF_PAGE).status_code == 200


# --- The admin's own login ---------------------------------------------------------------------
def test_the_admin_login_leads_to_enrolment_when_required(world, required):
    browser = Client()
    signed_in = browser.post(
        "/admin/login/?next=/admin/", {"username": "sam", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    admin = browser.get("/admin/")
    assert admin.status_code == 302
    assert admin["Location"].startswith(reverse("two_factor_setup"))


# --- Token creation ----------------------------------------------------------------------------
def test_staff_token_creation_needs_a_current_code(world, required, clock):
    enrol(world.staff)
    sign_in = "/api/v1/auth/token/"
    missing = APIClient().post(sign_in, {"username": "sam", "password": PASSWORD}, format="json")
    assert missing.status_code == 400 and "otp" in missing.json()
    wrong = APIClient().post(
        sign_in, {"username": "sam", "password": PASSWORD, "otp": "000000"}, format="json"
    )
    assert wrong.status_code == 400 and "otp" in wrong.json()
    assert not ApiToken.objects.filter(user=world.staff).exists()
    right = APIClient().post(
        sign_in, {"username": "sam", "password": PASSWORD, "otp": code_now()}, format="json"
    )
    assert right.status_code == 200 and right.json()["token"]

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {right.json()['token']}")
    refused = api.post("/api/v1/auth/tokens/", {"name": "script"}, format="json")
    assert refused.status_code == 400 and "otp" in refused.json()
    next_period(clock)
    made = api.post("/api/v1/auth/tokens/", {"name": "script", "otp": code_now()}, format="json")
    assert made.status_code == 201
    assert ApiToken.objects.filter(user=world.staff).count() == 2


def test_staff_without_two_factor_get_no_token_when_required(world, required):
    answer = APIClient().post(
        "/api/v1/auth/token/", {"username": "sam", "password": PASSWORD}, format="json"
    )
    assert answer.status_code == 400
    assert "two-factor" in answer.json()["otp"][0]
    _token, value = token_issue(user=world.staff, name="from before")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {value}")
    assert api.post("/api/v1/auth/tokens/", {"name": "x"}, format="json").status_code == 400


def test_learners_and_mentors_need_no_code_when_staff_do(world, required):
    for username in ("lena", "max"):
        answer = APIClient().post(
            "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
        )
        assert answer.status_code == 200
    browser = Client()
    password_sign_in(browser, "max")
    assert browser.get(reverse("mentor_home")).status_code == 200


def test_wrong_codes_at_token_sign_in_count_toward_the_lockout(world, required, clock):
    enrol(world.staff)
    body = {"username": "sam", "password": PASSWORD, "otp": "000000"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert APIClient().post("/api/v1/auth/token/", body, format="json").status_code == 400
    assert APIClient().post("/api/v1/auth/token/", body, format="json").status_code == 429


# --- Off ---------------------------------------------------------------------------------------
def test_off_staff_without_two_factor_reach_everything(world, settings):
    settings.STRIDE_STAFF_REQUIRE_2FA = False
    browser = Client()
    password_sign_in(browser, "sam")
    assert browser.get(STAFF_PAGE).status_code == 200
    assert browser.get("/admin/").status_code == 200
    answer = APIClient().post(
        "/api/v1/auth/token/", {"username": "sam", "password": PASSWORD}, format="json"
    )
    assert answer.status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    assert api.post("/api/v1/auth/tokens/", {"name": "script"}, format="json").status_code == 201


def test_off_an_enrolled_person_still_gives_the_code_after_the_password(world, settings, clock):
    settings.STRIDE_STAFF_REQUIRE_2FA = False
    enrol(world.staff)
    browser = Client()
    password_sign_in(browser, "sam")
    assert browser.get(STAFF_PAGE).status_code == 302
    # The password alone makes no token for someone who has a second factor…
    body = {"username": "sam", "password": PASSWORD}
    assert APIClient().post("/api/v1/auth/token/", body, format="json").status_code == 400
    answer = APIClient().post("/api/v1/auth/token/", {**body, "otp": code_now()}, format="json")
    assert answer.status_code == 200
    # …but a signed-in token makes more without one when staff are not required to.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    assert api.post("/api/v1/auth/tokens/", {"name": "script"}, format="json").status_code == 201
