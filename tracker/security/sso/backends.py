"""The sign-in backends after axes' lockout check.

- :class:`PasswordBackend`: Django's username and password check, refusing everyone but staff
  when ``STRIDE_PASSWORD_LOGIN=staff`` (the login page, the admin and ``POST auth/token/`` all
  sign in through it). A session it made for a non-staff person ends when the switch is
  turned to ``staff``.
- :class:`ProviderSessionBackend`: allauth's backend, holding the sessions of people who came
  in through a provider. It checks no password at all (allauth picks it for a provider's
  sign-in; a password is only ever checked by the backend above).
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend


def password_login_allowed(user) -> bool:
    """Whether ``user`` may sign in with a password under ``STRIDE_PASSWORD_LOGIN``."""
    if getattr(settings, "STRIDE_PASSWORD_LOGIN", "all") == "all":
        return True
    return bool(user.is_active and (user.is_staff or user.is_superuser))


class PasswordBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and password_login_allowed(user)


class ProviderSessionBackend(AuthenticationBackend):
    def authenticate(self, request, **credentials):
        return None
