"""The login page shows each configured provider (a labelled button in a POST form) and its
origin is allowed as a form target; allauth's own password and sign-up pages send to Stride's."""

from __future__ import annotations

import html
import re

import pytest

from tests.security.sso.conftest import PROVIDER_NAME
from tracker.security.sso import config

pytestmark = pytest.mark.django_db

PROVIDER_FORM = re.compile(
    r'<form method="post" action="(?P<action>[^"]+)">\s*'
    r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">\s*'
    r'<button type="submit">Sign in with (?P<name>[^<]+)</button>'
)


def provider_forms(page: str) -> dict[str, str]:
    """Each provider's button label → its form's target."""
    return {match["name"]: html.unescape(match["action"]) for match in PROVIDER_FORM.finditer(page)}


def test_login_page_shows_the_configured_provider(client, sso_settings, oidc_provider):
    response = client.get("/login/?next=/learner/")
    page = response.content.decode()
    forms = provider_forms(page)
    assert list(forms) == [PROVIDER_NAME]
    assert forms[PROVIDER_NAME].startswith("/accounts/oidc/stride/login/?")
    assert "process=login" in forms[PROVIDER_NAME]
    assert "next=%2Flearner%2F" in forms[PROVIDER_NAME]
    # Headings name both ways in; the password form keeps its labelled fields.
    headings = [html.unescape(h) for h in re.findall(r"<h[12][^>]*>([^<]+)</h[12]>", page)]
    assert headings == ["Sign in", "With your organisation's account", "With a password"]
    assert '<label for="id_username"' in page
    # The browser may follow the form's redirect to the provider.
    policy = response.headers["Content-Security-Policy"]
    form_action = re.search(r"form-action ([^;]+)", policy).group(1).split()
    assert form_action == ["'self'", oidc_provider.issuer]


def test_login_page_without_providers_shows_the_password_form_only(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = config.socialaccount_providers()
    response = client.get("/login/")
    page = response.content.decode()
    assert "Sign in with" not in page
    assert "With a password" not in page
    assert 'name="password"' in page


def test_presets_are_listed_when_configured(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = config.socialaccount_providers(
        google_client_id="g-id",
        google_client_secret="g-secret",
        github_client_id="gh-id",
        github_client_secret="gh-secret",
    )
    actions = provider_forms(client.get("/login/").content.decode())
    assert actions == {
        "Google": "/accounts/google/login/?process=login",
        "GitHub": "/accounts/github/login/?process=login",
    }


def test_a_get_of_the_provider_address_only_asks_to_continue(client, sso_settings, oidc_provider):
    # A link cannot start a sign-in on someone's behalf (login CSRF): GET shows a button.
    response = client.get("/accounts/oidc/stride/login/?process=login")
    assert response.status_code == 200
    assert b"Continue" in response.content
    assert oidc_provider.authorize_requests == []


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("/accounts/login/?next=/learner/", "/login/?next=/learner/"),
        ("/accounts/signup/", "/login/"),
        ("/accounts/password/reset/", "/password-reset/"),
        ("/accounts/password/change/", "/password-change/"),
        ("/accounts/email/", "/preferences/"),
    ],
)
def test_allauths_password_pages_send_to_strides(client, address, target):
    response = client.get(address)
    assert response.status_code == 302
    assert response["Location"] == target


def test_nobody_sets_their_own_address_through_allauth(client, world):
    """Single sign-on matches people by the address staff gave them: a signed-in person
    cannot add or choose another one (which could then catch someone else's sign-in)."""
    otto = world.person("otto")
    client.force_login(otto, backend="tracker.security.sso.backends.PasswordBackend")
    response = client.post(
        "/accounts/email/", {"action_add": "", "email": "fresh.face@example.com"}
    )
    assert response.status_code == 302 and response["Location"] == "/preferences/"
    otto.refresh_from_db()
    assert otto.email == "otto@example.com"
    from allauth.account.models import EmailAddress

    assert not EmailAddress.objects.filter(email__iexact="fresh.face@example.com").exists()
