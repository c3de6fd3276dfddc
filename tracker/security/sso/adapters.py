"""Who may come in through a provider, and what it makes of them.

- Every sign-in through a provider needs an email address the provider says it has verified,
  in one of ``STRIDE_OIDC_ALLOWED_DOMAINS`` when that list is set (every provider: it is the
  bootcamp's rule of who its people are).
- That address finds the roster-imported learner, mentor or staff member whose account has it
  (the roster is typed in by staff, so the account's address is trusted): the provider account
  is connected and the person is in, with their password (if any) untouched.
- An address no account has makes a new account with no role: it sees the "not enrolled yet"
  page until staff enrol or pair it.
- An address the provider has not verified never finds or makes an account (no takeover by
  someone who typed another person's address at a provider).
- Nobody signs up with a password (accounts come from the roster, the admin or a provider).

A refusal is a 403 page saying why, before any account is made or connected. A new account,
its provider link and its address are written in one transaction.
"""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from tracker.security.sso.providers import id_token_problem

logger = logging.getLogger("tracker.security.sso")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # No self sign-up with a password: people come from the roster, the admin or SSO.
        return False


def allowed_domains() -> list[str]:
    return list(getattr(settings, "STRIDE_OIDC_ALLOWED_DOMAINS", []))


def domain_allowed(email: str) -> bool:
    domains = allowed_domains()
    if not domains:
        return True
    return email.rsplit("@", 1)[-1].lower() in domains


def verified_emails(sociallogin) -> list[str]:
    """The addresses the provider vouches for, in its order."""
    return [
        address.email.strip()
        for address in sociallogin.email_addresses
        if address.verified and address.email and "@" in address.email
    ]


def accounts_with_email(email: str):
    return get_user_model().objects.filter(email__iexact=email)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # An unknown person gets an account with no role (pre_social_login checked the address).
        return True

    def authenticate_by_email(self, sociallogin):
        """The one active account whose address is a verified, allowed address the provider
        sent (two accounts sharing an address match neither)."""
        for email in verified_emails(sociallogin):
            if not domain_allowed(email):
                continue
            users = list(accounts_with_email(email)[:2])
            if len(users) == 1 and users[0].is_active:
                return users[0], email
        return None

    def pre_social_login(self, request, sociallogin) -> None:
        problem = id_token_problem(sociallogin)
        if problem:
            self.refuse(request, sociallogin, problem)
        emails = verified_emails(sociallogin)
        if not emails:
            self.refuse(
                request,
                sociallogin,
                _(
                    "Your provider did not confirm your email address. Confirm it there, "
                    "then sign in again."
                ),
            )
        allowed = [email for email in emails if domain_allowed(email)]
        if not allowed:
            self.refuse(
                request,
                sociallogin,
                _("Accounts of %(domain)s cannot sign in here.")
                % {"domain": emails[0].rsplit("@", 1)[-1]},
            )
        if sociallogin.is_existing:
            user = sociallogin.user
            if not user.is_active:
                self.refuse(request, sociallogin, _("This account is switched off."))
            matched = getattr(sociallogin, "_did_authenticate_by_email", None)
            if matched:
                # The roster's address, now confirmed by the provider: recorded as verified,
                # so allauth keeps the person's password (it wipes it for unverified ones).
                address = EmailAddress.objects.filter(user=user, email__iexact=matched).first()
                if address is None:
                    EmailAddress.objects.create(
                        user=user,
                        email=user.email or matched,
                        verified=True,
                        primary=not EmailAddress.objects.filter(user=user, primary=True).exists(),
                    )
                elif not address.verified:
                    address.verified = True
                    address.save(update_fields=["verified"])
            return
        # A new person: their address must be nobody's yet (an address of a switched-off or
        # shared account is refused, never duplicated).
        if any(accounts_with_email(email).exists() for email in allowed):
            self.refuse(
                request,
                sociallogin,
                _("An account with this email address cannot sign in through a provider."),
            )
        # The account is made with the verified, allowed address.
        sociallogin.email_addresses = [
            address for address in sociallogin.email_addresses if address.email in allowed
        ]
        sociallogin.user.email = allowed[0]

    def refuse(self, request, sociallogin, reason) -> None:
        logger.warning(
            "sso sign-in refused",
            extra={"provider": sociallogin.account.provider, "reason": str(reason)},
        )
        raise ImmediateHttpResponse(
            render(request, "registration/sso_refused.html", {"reason": reason}, status=403)
        )

    def save_user(self, request, sociallogin, form=None):
        with transaction.atomic():
            return super().save_user(request, sociallogin, form)

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        # A provider's answer never makes staff or superusers.
        user.is_staff = False
        user.is_superuser = False
        return user
