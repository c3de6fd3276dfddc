"""A second Django process acting as the bootcamp's identity provider: django-oauth-toolkit's
OpenID Connect provider (authorization code, PKCE required, RS256 ID tokens signed with a key
the test makes), its own SQLite database and its own sign-in page. Started by
``serve.py``; used by ``tests/security/sso/test_dot_provider.py``."""
