"""Security and data safety: sign-in lockout, token sign-in and revocation (services), named
hashed expiring API tokens (``tokens``), two-factor sign-in (``two_factor``, applied by
``middleware.TwoFactorMiddleware``), CSP and browser headers, the audit trail, learner data
export and erasure, backups, single sign-on (``sso/``) (see docs/SECURITY.md).

A feature room: it may import the lower apps, the kernel and ``tracker.models``, never the
interfaces (``tracker.api``, ``tracker.web``); the HTTP endpoints that call its services live
there (``tracker/api/views/auth.py``).
"""
