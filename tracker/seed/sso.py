"""The demo's single sign-on: one person who came in through the bootcamp's provider and waits
for staff to enrol them (no role yet). Staff find the link in the admin under **Social
accounts**; signing in as them needs a configured provider (docs/OPERATIONS.md)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from tracker.security.sso.config import OIDC_PROVIDER_ID

SSO_NEWCOMER_USERNAME = "sso-newcomer"


def ensure_sso_newcomer(*, email_domain: str):
    """Idempotent: the account, its verified address and its provider link, once."""
    email = f"{SSO_NEWCOMER_USERNAME}@{email_domain}"
    user, created = get_user_model().objects.get_or_create(
        username=SSO_NEWCOMER_USERNAME,
        defaults={"email": email, "first_name": "Sasha", "last_name": "Signed-on"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    claims = {"sub": "demo-sso-newcomer", "email": email, "email_verified": True}
    SocialAccount.objects.get_or_create(
        provider=OIDC_PROVIDER_ID,
        uid=claims["sub"],
        defaults={"user": user, "extra_data": {"id_token": claims, "userinfo": claims}},
    )
    return user
