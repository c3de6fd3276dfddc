"""Cache metrics: hits, misses and errors per cache alias (``metrics.CACHE_REQUESTS``).

``install()`` (from ``TrackerConfig.ready``) makes Django's cache handler wrap every cache it
builds in ``MeteredCache``, which counts and hands each call to the real backend. ``CACHES``
stays as the settings wrote it, so whatever backend they choose keeps its behaviour (anything
the wrapper does not know is passed through to it). Errors are counted when the real backend
raises (and raised again); a backend that swallows its own errors counts them itself or not at
all.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from .metrics import CACHE_REQUESTS

_MISSING = object()


def install() -> None:
    """Meter every cache this process builds from now on (idempotent)."""
    if getattr(caches, "_stride_metered", False):
        return
    build = caches.create_connection

    def create_connection(alias: str) -> BaseCache:
        return MeteredCache(build(alias), alias=alias)

    caches.create_connection = create_connection
    caches._stride_metered = True


class MeteredCache(BaseCache):
    def __init__(self, inner: BaseCache, *, alias: str) -> None:
        super().__init__({})
        self.inner = inner
        self.alias = alias
        self._hit = CACHE_REQUESTS.labels(self.alias, "hit")
        self._miss = CACHE_REQUESTS.labels(self.alias, "miss")
        self._error = CACHE_REQUESTS.labels(self.alias, "error")

    def _call(self, method: str, *args, **kwargs):
        try:
            return getattr(self.inner, method)(*args, **kwargs)
        except Exception:
            self._error.inc()
            raise

    # Reads: counted as hits and misses.
    def get(self, key, default=None, version=None):
        value = self._call("get", key, _MISSING, version=version)
        if value is _MISSING:
            self._miss.inc()
            return default
        self._hit.inc()
        return value

    def get_many(self, keys, version=None):
        keys = list(keys)
        found = self._call("get_many", keys, version=version)
        self._hit.inc(len(found))
        self._miss.inc(len(keys) - len(found))
        return found

    def has_key(self, key, version=None):
        present = self._call("has_key", key, version=version)
        (self._hit if present else self._miss).inc()
        return present

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        value = self.get(key, _MISSING, version=version)
        if value is not _MISSING:
            return value
        if callable(default):
            default = default()
        self.add(key, default, timeout=timeout, version=version)
        # The stored value, in case another caller added one first (not a second read).
        return self._call("get", key, default, version=version)

    # Everything else goes straight through (errors counted).
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout=timeout, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout=timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta=delta, version=version)

    def decr(self, key, delta=1, version=None):
        return self._call("decr", key, delta=delta, version=version)

    def clear(self):
        return self._call("clear")

    def close(self, **kwargs):
        return self._call("close", **kwargs)

    def make_key(self, key, version=None):
        return self.inner.make_key(key, version=version)

    def validate_key(self, key):
        return self.inner.validate_key(key)

    def __getattr__(self, name):
        # Whatever else the real backend offers (its client, its own methods).
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)
