"""The providers' settings built from the environment's values (tracker/security/sso/config.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tracker.security.sso import config


def test_nothing_configured_means_no_provider_apps():
    providers = config.socialaccount_providers()
    assert all("APPS" not in entry for entry in providers.values())
    assert providers["openid_connect"]["provider_class"] == config.OIDC_PROVIDER_CLASS
    assert config.form_action_origins(providers) == []


def test_openid_connect_app_from_the_environment():
    providers = config.socialaccount_providers(
        oidc_issuer="https://id.bootcamp.example/realms/main/",
        oidc_client_id="stride",
        oidc_client_secret="s3cret",
    )
    (app,) = providers["openid_connect"]["APPS"]
    assert app["provider_id"] == "stride"
    assert app["name"] == "Single sign-on"
    assert app["settings"]["server_url"] == "https://id.bootcamp.example/realms/main"
    assert app["settings"]["oauth_pkce_enabled"] is True
    assert config.form_action_origins(providers) == ["https://id.bootcamp.example"]


@pytest.mark.parametrize(
    "values",
    [
        {"oidc_issuer": "https://id.example"},
        {"oidc_client_id": "stride", "oidc_client_secret": "s"},
        {"google_client_id": "only-the-id"},
        {"github_client_secret": "only-the-secret"},
    ],
)
def test_half_a_configuration_refuses_to_start(values):
    with pytest.raises(ImproperlyConfigured):
        config.socialaccount_providers(**values)


@pytest.mark.parametrize(
    "issuer", ["http://id.bootcamp.example", "ftp://id.example", "not an address"]
)
def test_issuer_must_be_https_unless_on_this_machine(issuer):
    with pytest.raises(ImproperlyConfigured):
        config.socialaccount_providers(
            oidc_issuer=issuer, oidc_client_id="stride", oidc_client_secret="s"
        )
    local = config.socialaccount_providers(
        oidc_issuer="http://127.0.0.1:9000", oidc_client_id="stride", oidc_client_secret="s"
    )
    assert local["openid_connect"]["APPS"][0]["settings"]["server_url"] == "http://127.0.0.1:9000"


def test_presets():
    providers = config.socialaccount_providers(
        google_client_id="g",
        google_client_secret="gs",
        github_client_id="h",
        github_client_secret="hs",
    )
    assert providers["google"]["APPS"] == [{"client_id": "g", "secret": "gs"}]
    assert providers["github"]["APPS"] == [{"client_id": "h", "secret": "hs"}]
    assert "email" in providers["google"]["SCOPE"] and "user:email" in providers["github"]["SCOPE"]
    assert config.form_action_origins(providers) == [
        "https://accounts.google.com",
        "https://github.com",
    ]


def test_allowed_domains_and_password_login_values():
    assert config.allowed_domains(" Bootcamp.org, @alumni.bootcamp.org ,,") == [
        "alumni.bootcamp.org",
        "bootcamp.org",
    ]
    assert config.allowed_domains("") == []
    assert config.password_login("STAFF") == "staff"
    assert config.password_login("") == "all"
    with pytest.raises(ImproperlyConfigured):
        config.password_login("nobody")
