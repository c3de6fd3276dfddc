"""Rate limits where a stranger (or a runaway script) can make Stride work: password reset per
address and per client, roster imports, deployment "check now". Token sign-in has its own
``login`` throttle (``throttles.LoginRateThrottle``).

Rates are DRF-style strings (``"3/hour"``) in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``
under the scope's name, so pages and the API read one table and share one budget per scope and
caller. Counting is a fixed window per scope and caller in the default cache (``add`` then the
atomic ``incr``): at most N per window of the period, aligned to the epoch. The cache fails open
(``tracker/cache.py``): with Redis away nothing is counted and nothing is refused.

``hit(scope, ident)`` counts one attempt and answers None (go ahead) or the seconds until the
window ends (refuse: 429 with ``Retry-After``). ``ScopedLimit`` is the same as a DRF throttle.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

PASSWORD_RESET_EMAIL = "password_reset_email"
PASSWORD_RESET_CLIENT = "password_reset_client"
ROSTER = "roster"
DEPLOYMENT_CHECK = "deployment_check"
CERTIFICATE_VERIFY = "certificate_verify"


def rate_of(scope: str) -> tuple[int, int] | None:
    """``(requests, seconds)`` for ``scope``; None when no rate is set (no limit)."""
    rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope)
    if not rate:
        return None
    return SimpleRateThrottle.parse_rate(None, rate)


def client_ident(request: HttpRequest) -> str:
    """The caller's address, read as DRF's throttles read it (``STRIDE_NUM_PROXIES``)."""
    return BaseThrottle().get_ident(request)


def hit(scope: str, ident: str) -> int | None:
    """Count one attempt by ``ident`` in ``scope``: None when it is within the rate, else the
    whole seconds until the current window ends."""
    rate = rate_of(scope)
    if rate is None:
        return None
    allowed, period = rate
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"stride:rate:{scope}:{digest}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    if count <= allowed:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def wait_text(seconds: int) -> str:
    """ "in 3 minutes", for the pages' messages."""
    if seconds < 90:
        return ngettext("in %(count)d second", "in %(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}


class ScopedLimit(BaseThrottle):
    """A DRF throttle over ``hit``: per signed-in user, else per client address. Subclasses
    name the ``scope``."""

    scope: str = ""

    def __init__(self) -> None:
        self._wait: int | None = None

    def ident(self, request, view) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"client:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        self._wait = hit(self.scope, self.ident(request, view))
        return self._wait is None

    def wait(self) -> int | None:
        return self._wait


class RosterLimit(ScopedLimit):
    """Roster imports per staff member (API and page share the budget)."""

    scope = ROSTER


class DeploymentCheckLimit(ScopedLimit):
    """ "Check now" of a capstone deployment per caller: each check makes Stride request an
    outside address (for ``POST submissions/{id}/check/``)."""

    scope = DEPLOYMENT_CHECK
