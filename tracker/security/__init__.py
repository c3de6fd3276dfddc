"""Security and data safety: sign-in lockout, token revocation, CSP and browser headers, the
audit trail's admin, learner data export and erasure (see docs/SECURITY.md)."""
