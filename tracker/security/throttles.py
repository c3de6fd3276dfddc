"""Throttle scopes of our own (rates in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``)."""

from rest_framework.throttling import AnonRateThrottle


class LoginRateThrottle(AnonRateThrottle):
    """Token sign-ins per client address, whoever they claim to be: slows credential stuffing
    across many usernames, which the per-username lockout alone would not."""

    scope = "login"
