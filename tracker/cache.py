"""The Redis cache that degrades instead of failing (``CACHES["default"]`` when REDIS_URL is set).

Nothing Stride keeps in the cache is needed to answer a request: throttle and rate-limit
counters, memoised reads. So when Redis is away (refused, reset, or frozen and silent) every
cache call answers as if the cache were empty: ``get`` is a miss, ``set`` does nothing, ``add``
and ``incr`` pretend a fresh key (a limiter counting on them lets the request through). The
socket timeouts are short (``OPTIONS``) and a circuit breaker shared by the process skips Redis
for ``BREAKER_SECONDS`` after a failure, so a frozen Redis costs one timeout per process and
breaker period, not one per call.

Imports nothing of Stride (wiring, named only by the settings).
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Errors that mean "Redis did not answer": redis-py's own, and the socket's.
UNAVAILABLE = (RedisError, OSError, TimeoutError)

# Per process, per server list: monotonic time until which Redis is not tried.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def breaker_reset() -> None:
    """Forget every earlier failure (tests that bring Redis back use it)."""
    with _lock:
        _down_until.clear()


class ResilientRedisCache(RedisCache):
    """Django's ``RedisCache`` that fails open. ``OPTIONS["BREAKER_SECONDS"]`` (default 10) is
    ours; every other option goes to redis-py's connection pool as usual."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.breaker_seconds = float(options.pop("BREAKER_SECONDS", 10.0))
        super().__init__(server, {**params, "OPTIONS": options})
        self._breaker_key = ",".join(self._servers)
        # Calls answered without Redis (failed, or skipped while the breaker is open): a metering
        # wrapper compares it around each call to count them as cache errors.
        self.unavailable_answers = 0

    # --- the breaker ------------------------------------------------------------------------
    def _available(self) -> bool:
        return time.monotonic() >= _down_until.get(self._breaker_key, 0.0)

    def _failed(self, operation: str, error: BaseException) -> None:
        with _lock:
            first = self._available()
            _down_until[self._breaker_key] = time.monotonic() + self.breaker_seconds
        if first:
            logger.warning(
                "Cache unavailable (%s during %s); answering without it for %.0f s",
                error.__class__.__name__,
                operation,
                self.breaker_seconds,
            )

    def _guarded(self, operation: str, call, fallback):
        if not self._available():
            self.unavailable_answers += 1
            return fallback
        try:
            return call()
        except UNAVAILABLE as error:
            self._failed(operation, error)
            self.unavailable_answers += 1
            return fallback

    # --- the cache API ----------------------------------------------------------------------
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("add", lambda: super(ResilientRedisCache, self).add(
            key, value, timeout, version
        ), True)  # fmt: skip

    def get(self, key, default=None, version=None):
        return self._guarded(
            "get", lambda: super(ResilientRedisCache, self).get(key, default, version), default
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guarded(
            "set", lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            "touch", lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key, version=None):
        return self._guarded(
            "delete", lambda: super(ResilientRedisCache, self).delete(key, version), False
        )

    def get_many(self, keys, version=None):
        return self._guarded(
            "get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), {}
        )

    def has_key(self, key, version=None):
        return self._guarded(
            "has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), False
        )

    def incr(self, key, delta=1, version=None):
        # Unknown count: answer as for a key just created, so a limiter lets the call through.
        return self._guarded(
            "incr", lambda: super(ResilientRedisCache, self).incr(key, delta, version), delta
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(
            "set_many",
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            list(data),
        )

    def delete_many(self, keys, version=None):
        self._guarded(
            "delete_many", lambda: super(ResilientRedisCache, self).delete_many(keys, version), None
        )

    def clear(self):
        return self._guarded("clear", lambda: super(ResilientRedisCache, self).clear(), False)
