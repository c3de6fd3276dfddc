"""Single sign-on (issue 14, part 1): django-allauth's OpenID Connect, Google and GitHub
providers, configured from the environment, with Stride's rules on top.

- ``config``: the providers' settings built from ``STRIDE_OIDC_*``, ``STRIDE_GOOGLE_*`` and
  ``STRIDE_GITHUB_*`` (imported by ``tracker/settings.py``, so it imports nothing of Django's
  models);
- ``providers``: the OpenID Connect provider with a nonce per sign-in and PKCE always on;
- ``adapters``: who may come in through a provider (a verified email in an allowed domain; a
  roster-imported person is matched by that email, an unknown person gets an account with no
  access; no takeover through an unverified address) and no self sign-up with a password;
- ``backends``: the password switch (``STRIDE_PASSWORD_LOGIN``: ``all`` or ``staff``) and the
  backend that keeps provider sign-ins' sessions;
- ``selectors``: the configured providers, for the login page.

A part of the security room: imports the lower apps, the kernel and allauth, never the
interfaces. Kept light here: the settings import ``config`` through this package.
"""
