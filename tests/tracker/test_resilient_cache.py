"""The Redis cache fails open: with Redis stopped or silent every call answers as an empty cache
would, a silent Redis is asked once per breaker period (not once per call), and the rate
limits counted in it let requests through instead of failing them."""

from __future__ import annotations

import socket
import threading

import pytest
from django.core.cache import caches
from django.test import override_settings

from tracker import cache as resilient
from tracker.security import ratelimit

pytestmark = pytest.mark.redis


def cache_settings(url: str, breaker: float = 10.0) -> dict:
    return {
        "default": {
            "BACKEND": "tracker.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                "BREAKER_SECONDS": breaker,
            },
        }
    }


@pytest.fixture(autouse=True)
def fresh_breaker():
    resilient.breaker_reset()
    yield
    resilient.breaker_reset()


class SilentServer:
    """Accepts connections and never answers: a frozen (SIGSTOP'd) Redis as a client sees it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def exercise(cache) -> dict:
    """Every cache call a request could make, with what it answered."""
    return {
        "get": cache.get("k", "default"),
        "set": cache.set("k", 1),
        "add": cache.add("n", 0),
        "incr": cache.incr("n"),
        "get_many": cache.get_many(["a", "b"]),
        "has_key": cache.has_key("k"),
        "delete": cache.delete("k"),
        "touch": cache.touch("k"),
        "set_many": cache.set_many({"a": 1}),
        "delete_many": cache.delete_many(["a"]),
        "get_or_set": cache.get_or_set("g", 5),
    }


EMPTY_CACHE_ANSWERS = {
    "get": "default",
    "set": None,
    "add": True,
    "incr": 1,
    "get_many": {},
    "has_key": False,
    "delete": False,
    "touch": False,
    "set_many": ["a"],
    "delete_many": None,
    "get_or_set": 5,
}


def test_with_redis_up_it_is_a_cache(throwaway_redis):
    with override_settings(CACHES=cache_settings(throwaway_redis.url)):
        cache = caches["default"]
        cache.set("k", {"x": 1})
        assert cache.get("k") == {"x": 1}
        assert cache.add("n", 0) is True
        assert cache.incr("n") == 1
        assert cache.incr("n") == 2


def test_with_redis_stopped_every_call_answers_as_an_empty_cache(throwaway_redis):
    with override_settings(CACHES=cache_settings(throwaway_redis.url)):
        cache = caches["default"]
        cache.set("k", 1)
        throwaway_redis.stop()
        assert exercise(cache) == EMPTY_CACHE_ANSWERS


def test_a_silent_redis_is_asked_once_per_breaker_period(throwaway_redis):
    silent = SilentServer()
    try:
        with override_settings(CACHES=cache_settings(silent.url)):
            cache = caches["default"]
            for _ in range(5):
                assert exercise(cache) == EMPTY_CACHE_ANSWERS
        assert len(silent.accepted) == 1
    finally:
        silent.close()


def test_the_breaker_closes_again_when_redis_is_back(throwaway_redis):
    with override_settings(CACHES=cache_settings(throwaway_redis.url, breaker=0)):
        cache = caches["default"]
        throwaway_redis.stop()
        assert cache.get("k", "miss") == "miss"
        throwaway_redis.start()
        cache.set("k", "back")
        assert cache.get("k") == "back"


def test_rate_limits_let_requests_through_while_redis_is_away(throwaway_redis, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "password_reset_email": "2/hour",
        },
    }
    with override_settings(CACHES=cache_settings(throwaway_redis.url)):
        hits = [ratelimit.hit("password_reset_email", "a@example.org") for _ in range(3)]
        assert hits[:2] == [None, None] and hits[2] is not None  # counted while Redis is up
        throwaway_redis.stop()
        resilient.breaker_reset()
        assert [ratelimit.hit("password_reset_email", "b@example.org") for _ in range(5)] == [
            None
        ] * 5
