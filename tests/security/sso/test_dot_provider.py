"""Single sign-on in Chromium against a second Django process running django-oauth-toolkit's
OpenID Connect provider (``dot_provider/``): its own users and sign-in page, PKCE required,
RS256 ID tokens signed with a key made here. The same flow a bootcamp's Keycloak or Okta would
run, through a provider Stride's code has never seen."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.security.sso.conftest import ProviderPageGuard
from tests.services import _wait_until, free_port, port_open
from tests.world import NOW
from tracker.security.sso import config

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
CLIENT_ID = "stride-at-the-bootcamp"
CLIENT_SECRET = "dot-client-secret-" + "y" * 24
IDP_PASSWORD = "idp-pw-2026"
IDP_USERS = [
    {"username": "lena.l", "password": IDP_PASSWORD, "email": "lena@example.com"},
    {
        "username": "someone",
        "password": IDP_PASSWORD,
        "email": "otto@example.com",
        "last_name": "Unverified",
    },
]


class DotProvider:
    def __init__(self, port: int, process: subprocess.Popen, log: Path) -> None:
        self.port = port
        self.process = process
        self.log = log
        self.issuer = f"http://127.0.0.1:{port}/o"
        self.netloc = f"127.0.0.1:{port}"


@pytest.fixture(scope="module")
def dot_provider(live_server, tmp_path_factory):
    work = tmp_path_factory.mktemp("dot-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    port = free_port()
    log = work / "provider.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "IDP_PORT": str(port),
        "IDP_DATABASE": str(work / "idp.sqlite3"),
        "IDP_RSA_PRIVATE_KEY": pem,
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
        "IDP_REDIRECT_URI": f"{live_server.url}/accounts/oidc/stride/login/callback/",
        "IDP_USERS": json.dumps(IDP_USERS),
        "IDP_NOW": NOW.isoformat(),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.security.sso.dot_provider.serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until(
            lambda: port_open("127.0.0.1", port) or process.poll() is not None,
            timeout=60,
            what="the django-oauth-toolkit provider",
            log=log,
        )
        assert process.poll() is None, log.read_text()
        yield DotProvider(port, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def world_history() -> bool:
    return False


@pytest.fixture
def dot_page(page, live_server, dot_provider, settings):
    providers = config.socialaccount_providers(
        oidc_issuer=dot_provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_name="Bootcamp SSO",
    )
    settings.SOCIALACCOUNT_PROVIDERS = providers
    settings.STRIDE_OIDC_ALLOWED_DOMAINS = ["example.com"]
    settings.CONTENT_SECURITY_POLICY = config.content_security_policy(
        copy.deepcopy(django_settings.CONTENT_SECURITY_POLICY), providers
    )
    page.set_default_timeout(20_000)
    guard = ProviderPageGuard(page, live_server.url, dot_provider.netloc)
    page.guard = guard
    yield page
    guard.assert_clean()


def sign_in_at_the_provider(page, base: str, provider: DotProvider, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_role("button", name="Sign in with Bootcamp SSO").click()
    page.wait_for_url(re.compile(re.escape(provider.netloc) + r"/accounts/login/"))
    # The provider's own sign-in, on the way to its authorization endpoint.
    assert "code_challenge_method%3DS256" in page.url and "nonce%3D" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in to the provider").click()
    page.wait_for_url(re.compile(re.escape(base)))
    page.wait_for_load_state()


def test_roster_learner_signs_in_through_django_oauth_toolkit(
    dot_page, live_server, world, dot_provider
):
    sign_in_at_the_provider(dot_page, live_server.url, dot_provider, "lena.l")

    expect(dot_page).to_have_url(re.compile(r"/learner/$"))
    expect(dot_page.get_by_role("heading", name=re.compile("My progress"))).to_be_visible()
    account = SocialAccount.objects.get(provider="stride")
    assert account.user_id == world.person("lena").pk
    id_token = account.extra_data["id_token"]
    assert id_token["iss"] == dot_provider.issuer
    assert id_token["aud"] == CLIENT_ID
    assert id_token["email"] == "lena@example.com" and id_token["email_verified"] is True
    assert id_token["nonce"]


def test_an_address_the_provider_has_not_verified_is_refused(
    dot_page, live_server, world, dot_provider
):
    users_before = get_user_model().objects.count()
    sign_in_at_the_provider(dot_page, live_server.url, dot_provider, "someone")

    expect(dot_page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    errors = dot_page.guard.console_errors
    assert len(errors) == 1 and "status of 403" in errors[0], errors
    errors.clear()
    assert not SocialAccount.objects.exists()
    assert get_user_model().objects.count() == users_before
