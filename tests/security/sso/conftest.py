"""A local OpenID Connect provider (``oidc_provider.py``) for every test here, and Stride
configured to use it: as if ``STRIDE_OIDC_ISSUER``, ``STRIDE_OIDC_CLIENT_ID``,
``STRIDE_OIDC_CLIENT_SECRET`` and ``STRIDE_OIDC_ALLOWED_DOMAINS=example.com`` were set.

``sso_page`` is the browser tests' guarded page (tests/browser/conftest.py) that also lets the
browser reach the provider (and only it)."""

from __future__ import annotations

import copy
from urllib.parse import urlparse

import pytest
from django.conf import settings as django_settings

from tests.browser.conftest import PageGuard, browser_type_launch_args  # noqa: F401
from tests.security.sso.oidc_provider import LocalOIDCProvider
from tracker.security.sso import config

CLIENT_ID = "stride-local"
CLIENT_SECRET = "local-provider-secret-" + "x" * 16
PROVIDER_NAME = "Acme SSO"


@pytest.fixture
def world_history() -> bool:
    return False


@pytest.fixture
def oidc_provider():
    provider = LocalOIDCProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    yield provider
    provider.stop()


@pytest.fixture
def sso_settings(settings, oidc_provider):
    providers = config.socialaccount_providers(
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_name=PROVIDER_NAME,
    )
    settings.SOCIALACCOUNT_PROVIDERS = providers
    settings.STRIDE_OIDC_ALLOWED_DOMAINS = ["example.com"]
    base_policy = copy.deepcopy(django_settings.CONTENT_SECURITY_POLICY)
    settings.CONTENT_SECURITY_POLICY = config.content_security_policy(base_policy, providers)
    return settings


class ProviderPageGuard(PageGuard):
    def __init__(self, page, base_url: str, provider_netloc: str) -> None:
        self.provider_netloc = provider_netloc
        super().__init__(page, base_url)

    def _route(self, route) -> None:
        if urlparse(route.request.url).netloc == self.provider_netloc:
            route.continue_()
        else:
            super()._route(route)


@pytest.fixture
def sso_page(page, live_server, oidc_provider, sso_settings):
    page.set_default_timeout(15_000)
    guard = ProviderPageGuard(page, live_server.url, oidc_provider.netloc)
    page.guard = guard
    yield page
    guard.assert_clean()
