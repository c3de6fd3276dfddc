"""Stride's OpenID Connect provider: allauth's, plus a nonce per sign-in and PKCE always on.

allauth (65.x) checks the ID token's issuer, audience (the client id) and expiry, and the
``state`` (one use, bound to the session, ten minutes); it sends no ``nonce``. This class sends
a fresh one with every authorization request and keeps it in the sign-in's stashed state;
:func:`id_token_problem` compares it with the ID token's when the provider answers (called
from ``adapters.SocialAccountAdapter.pre_social_login``, the first place the state and the
token meet).
"""

from __future__ import annotations

import secrets

from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.utils.translation import gettext_lazy as _

NONCE_STATE_KEY = "stride_oidc_nonce"


class StrideOpenIDConnectProvider(OpenIDConnectProvider):
    pkce_enabled_default = True
    # allauth's URLs and templates for OpenID Connect are the ones to use.
    package = "allauth.socialaccount.providers.openid_connect"

    def get_pkce_params(self) -> dict:
        # Whatever the app's settings say: a code without its verifier is worthless.
        params = super().get_pkce_params()
        if not params:
            params = generate_code_challenge()
        return params

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        auth_params = dict(self.get_auth_params() if auth_params is None else auth_params)
        auth_params["nonce"] = nonce
        # Extra keyword arguments are stashed with the state (Provider.stash_redirect_state).
        kwargs[NONCE_STATE_KEY] = nonce
        return super().redirect(
            request, process, next_url=next_url, data=data, auth_params=auth_params, **kwargs
        )


def id_token_problem(sociallogin) -> str | None:
    """Why an OpenID Connect sign-in's answer is refused (``None``: it is not). The nonce sent
    must come back in the ID token, and the userinfo must be about the ID token's subject."""
    provider = sociallogin.account.get_provider()
    if not isinstance(provider, OpenIDConnectProvider):
        return None
    extra = sociallogin.account.extra_data or {}
    id_token = extra.get("id_token")
    if not isinstance(id_token, dict):
        return str(_("The provider sent no ID token."))
    expected = (sociallogin.state or {}).get(NONCE_STATE_KEY)
    nonce = id_token.get("nonce")
    if not expected or not isinstance(nonce, str) or not secrets.compare_digest(nonce, expected):
        return str(_("The provider's answer does not belong to this sign-in (nonce)."))
    userinfo = extra.get("userinfo")
    if userinfo is not None and str(userinfo.get("sub")) != str(id_token.get("sub")):
        return str(_("The provider's user information is about someone else."))
    return None
