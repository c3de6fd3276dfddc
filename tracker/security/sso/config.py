"""The single sign-on providers' settings, built from environment values.

``tracker/settings.py`` calls :func:`socialaccount_providers` with the environment's values;
tests call it with a local provider's. Imports nothing of Stride or of Django's models.

- Any OpenID Connect provider: ``STRIDE_OIDC_ISSUER`` (its issuer URL; discovery is read from
  ``<issuer>/.well-known/openid-configuration``), ``STRIDE_OIDC_CLIENT_ID``,
  ``STRIDE_OIDC_CLIENT_SECRET``, ``STRIDE_OIDC_NAME`` (the button's label).
- Google: ``STRIDE_GOOGLE_CLIENT_ID``, ``STRIDE_GOOGLE_CLIENT_SECRET``.
- GitHub: ``STRIDE_GITHUB_CLIENT_ID``, ``STRIDE_GITHUB_CLIENT_SECRET``.

A provider is on when its client id is set. PKCE is on for all three.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# The OpenID Connect app's id: its address is /accounts/oidc/stride/login/ and its callback
# /accounts/oidc/stride/login/callback/ (docs/OPERATIONS.md, "Single sign-on").
OIDC_PROVIDER_ID = "stride"
OIDC_PROVIDER_CLASS = "tracker.security.sso.providers.StrideOpenIDConnectProvider"
PASSWORD_LOGIN_CHOICES = ("all", "staff")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _issuer(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ImproperlyConfigured(f"STRIDE_OIDC_ISSUER is not an address: {url!r}.")
    # The ID token's signature is not re-checked when it comes straight from the token
    # endpoint (OpenID Connect Core 3.1.3.7): that channel must be TLS. Plain HTTP is only
    # for a provider on this machine (the tests').
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise ImproperlyConfigured("STRIDE_OIDC_ISSUER must be an https:// address.")
    return url.rstrip("/")


def allowed_domains(value: str | list[str]) -> list[str]:
    """``"a.org, B.org"`` → ``["a.org", "b.org"]`` (an empty list allows every domain)."""
    items = value.split(",") if isinstance(value, str) else value
    return sorted({item.strip().lower().lstrip("@") for item in items if item.strip()})


def password_login(value: str) -> str:
    value = (value or "all").strip().lower()
    if value not in PASSWORD_LOGIN_CHOICES:
        raise ImproperlyConfigured("STRIDE_PASSWORD_LOGIN must be 'all' or 'staff'.")
    return value


def socialaccount_providers(
    *,
    oidc_issuer: str = "",
    oidc_client_id: str = "",
    oidc_client_secret: str = "",
    oidc_name: str = "",
    google_client_id: str = "",
    google_client_secret: str = "",
    github_client_id: str = "",
    github_client_secret: str = "",
) -> dict:
    """``SOCIALACCOUNT_PROVIDERS``: one app per configured provider. The OpenID Connect
    provider's class is always Stride's (allauth reads it once, when it loads providers)."""
    providers: dict = {
        "openid_connect": {"provider_class": OIDC_PROVIDER_CLASS, "OAUTH_PKCE_ENABLED": True},
        "google": {
            "SCOPE": ["openid", "profile", "email"],
            "AUTH_PARAMS": {"prompt": "select_account"},
            "OAUTH_PKCE_ENABLED": True,
        },
        "github": {"SCOPE": ["read:user", "user:email"], "OAUTH_PKCE_ENABLED": True},
    }
    if oidc_client_id or oidc_issuer:
        if not (oidc_issuer and oidc_client_id and oidc_client_secret):
            raise ImproperlyConfigured(
                "Single sign-on needs STRIDE_OIDC_ISSUER, STRIDE_OIDC_CLIENT_ID and "
                "STRIDE_OIDC_CLIENT_SECRET together."
            )
        providers["openid_connect"]["APPS"] = [
            {
                "provider_id": OIDC_PROVIDER_ID,
                "name": oidc_name or "Single sign-on",
                "client_id": oidc_client_id,
                "secret": oidc_client_secret,
                "settings": {
                    "server_url": _issuer(oidc_issuer),
                    "oauth_pkce_enabled": True,
                    # The address and its verified flag come from the userinfo endpoint, whose
                    # ``sub`` must be the ID token's (checked in adapters.py).
                    "fetch_userinfo": True,
                },
            }
        ]
    for name, client_id, secret in (
        ("google", google_client_id, google_client_secret),
        ("github", github_client_id, github_client_secret),
    ):
        if client_id or secret:
            if not (client_id and secret):
                raise ImproperlyConfigured(
                    f"STRIDE_{name.upper()}_CLIENT_ID and STRIDE_{name.upper()}_CLIENT_SECRET "
                    "go together."
                )
            providers[name]["APPS"] = [{"client_id": client_id, "secret": secret}]
    return providers


# Where each preset's sign-in page lives (the browser is sent there from a form on Stride).
PRESET_ORIGINS = {"google": "https://accounts.google.com", "github": "https://github.com"}


def form_action_origins(providers: dict) -> list[str]:
    """The origins a sign-in form's redirect goes to: the pages' ``form-action`` must name
    them, or the browser stops the redirect. For OpenID Connect that is the issuer's origin
    (its authorization endpoint is expected on the same host; docs/OPERATIONS.md)."""
    origins = []
    for app in providers.get("openid_connect", {}).get("APPS", []):
        parts = urlsplit(app["settings"]["server_url"])
        origins.append(f"{parts.scheme}://{parts.netloc}")
    for name, origin in PRESET_ORIGINS.items():
        if providers.get(name, {}).get("APPS"):
            origins.append(origin)
    return origins


def content_security_policy(policy: dict, providers: dict) -> dict:
    """``policy`` with the providers' origins added to ``form-action``."""
    directives = dict(policy["DIRECTIVES"])
    directives["form-action"] = [
        *directives.get("form-action", ["'self'"]),
        *form_action_origins(providers),
    ]
    return {**policy, "DIRECTIVES": directives}
