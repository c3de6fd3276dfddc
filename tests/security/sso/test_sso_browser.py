"""Single sign-on in Chromium against the local OpenID Connect provider (``oidc_provider.py``):
the authorization code flow with PKCE, state and nonce, for a roster learner, a mentor and an
unknown person; and the answers Stride must refuse (an unverified or foreign address, a wrong
audience, an expired ID token, a mismatched nonce)."""

from __future__ import annotations

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from mentors.roles import role_of
from tests.security.sso.conftest import PROVIDER_NAME
from tests.security.sso.oidc_provider import s256

pytestmark = pytest.mark.browser


def sign_in_with_provider(page, base: str, provider, *, email: str, verified: bool = True):
    page.goto(f"{base}/login/")
    page.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}").click()
    page.wait_for_url(f"{provider.issuer}/authorize**")
    expect(page.get_by_role("heading", name="Local identity provider")).to_be_visible()
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Email verified").set_checked(verified)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(re.escape(base)))
    page.wait_for_load_state()


def take_refusal(page, status: int) -> None:
    """The callback's answer was ``status``: Chromium logs that as a console error, which the
    page guard would count; it is the one expected here."""
    expected = [
        error
        for error in page.guard.console_errors
        if f"status of {status}" in error and "/accounts/oidc/stride/login/callback/" in error
    ]
    assert len(expected) == 1, page.guard.console_errors
    page.guard.console_errors.remove(expected[0])


def assert_signed_out(page, base: str) -> None:
    page.goto(f"{base}/learner/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))


def test_roster_learner_signs_in_with_pkce_state_and_nonce(
    sso_page, live_server, world, oidc_provider
):
    page = sso_page
    lena = world.person("lena")
    sign_in_with_provider(page, live_server.url, oidc_provider, email="LENA@example.com")

    expect(page).to_have_url(re.compile(r"/learner/$"))
    expect(page.get_by_role("heading", name=re.compile("My progress"))).to_be_visible()

    # What Stride asked for: the code flow, PKCE with S256, a state and a nonce.
    (asked,) = oidc_provider.authorize_requests
    assert asked["response_type"] == "code"
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 16 and len(asked["nonce"]) >= 32
    assert asked["redirect_uri"] == f"{live_server.url}/accounts/oidc/stride/login/callback/"
    # The code was exchanged with the verifier of that challenge; the ID token carried the nonce.
    (exchange,) = oidc_provider.token_requests
    assert exchange["pkce_verified"] is True
    assert s256(exchange["form"]["code_verifier"]) == asked["code_challenge"]
    assert oidc_provider.issued_id_tokens[0]["nonce"] == asked["nonce"]

    # Lena's own account, now connected; her password still works.
    account = SocialAccount.objects.get(provider="stride")
    assert account.user_id == lena.pk
    lena.refresh_from_db()
    assert lena.has_usable_password()
    assert get_user_model().objects.filter(email__iexact="lena@example.com").count() == 1

    # The next sign-in finds the connected account directly.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/**")
    sign_in_with_provider(page, live_server.url, oidc_provider, email="lena@example.com")
    expect(page).to_have_url(re.compile(r"/learner/$"))
    assert SocialAccount.objects.filter(user=lena).count() == 1


def test_mentor_signs_in_to_their_page(sso_page, live_server, world, oidc_provider):
    sign_in_with_provider(sso_page, live_server.url, oidc_provider, email="max@example.com")
    expect(sso_page).to_have_url(re.compile(r"/mentor/$"))
    assert SocialAccount.objects.get(provider="stride").user_id == world.person("max").pk


def test_unknown_person_gets_an_account_with_no_access(
    sso_page, live_server, world, oidc_provider, client
):
    page = sso_page
    sign_in_with_provider(page, live_server.url, oidc_provider, email="fresh.face@example.com")

    expect(page.get_by_role("heading", name="Welcome to Stride")).to_be_visible()
    expect(page.get_by_text("You are not enrolled in a cohort yet")).to_be_visible()
    newcomer = get_user_model().objects.get(email="fresh.face@example.com")
    assert not newcomer.is_staff and not newcomer.is_superuser
    assert not newcomer.has_usable_password()
    assert role_of(newcomer) is None
    # No mentor's or staff member's page opens for them, and the API shows them nothing.
    client.force_login(newcomer)
    for address in ("/mentor/", "/staff/cohorts/"):
        assert client.get(address).status_code == 403, address
    assert client.get("/api/v1/enrollments/").json()["count"] == 0


def test_unverified_address_takes_over_nobody(sso_page, live_server, world, oidc_provider):
    page = sso_page
    users_before = get_user_model().objects.count()
    sign_in_with_provider(
        page, live_server.url, oidc_provider, email="lena@example.com", verified=False
    )

    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("did not confirm your email address")
    take_refusal(page, 403)
    assert not SocialAccount.objects.exists()
    assert get_user_model().objects.count() == users_before
    assert_signed_out(page, live_server.url)


def test_address_outside_the_allowed_domains_is_refused(
    sso_page, live_server, world, oidc_provider
):
    page = sso_page
    users_before = get_user_model().objects.count()
    sign_in_with_provider(page, live_server.url, oidc_provider, email="mallory@elsewhere.test")

    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("elsewhere.test")
    take_refusal(page, 403)
    assert get_user_model().objects.count() == users_before
    assert not SocialAccount.objects.exists()
    assert_signed_out(page, live_server.url)


@pytest.mark.parametrize(
    ("fault", "heading", "status"),
    [
        ("wrong_audience", "Sign-in failed", 401),
        ("expired", "Sign-in failed", 401),
        ("wrong_nonce", "Sign-in refused", 403),
    ],
)
def test_bad_id_tokens_are_refused(
    sso_page, live_server, world, oidc_provider, fault, heading, status
):
    page = sso_page
    oidc_provider.id_token_fault = fault
    users_before = get_user_model().objects.count()
    sign_in_with_provider(page, live_server.url, oidc_provider, email="lena@example.com")

    # The provider did answer with a token (so it was Stride that refused it).
    assert len(oidc_provider.issued_id_tokens) == 1
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    take_refusal(page, status)
    assert not SocialAccount.objects.exists()
    assert get_user_model().objects.count() == users_before
    assert_signed_out(page, live_server.url)


def test_login_and_refusal_pages_pass_axe(sso_page, live_server, world, oidc_provider):
    from axe_playwright_python.sync_playwright import Axe

    page = sso_page
    axe = Axe()
    page.goto(f"{live_server.url}/login/")
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()

    sign_in_with_provider(page, live_server.url, oidc_provider, email="mallory@elsewhere.test")
    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    take_refusal(page, 403)
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()
