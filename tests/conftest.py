"""Shared fixtures and the rules for markers.

- ``postgres``: the test needs PostgreSQL. On any other database it FAILS with a message (it is
  never skipped: a green run must mean it ran). ``make test`` runs it in its PostgreSQL phase.
- ``redis``: the test uses the ``redis_url`` fixture (``REDIS_URL`` or a throwaway server).
- ``browser`` / ``integration``: see pyproject.toml.

Servers themselves are started by ``tests/services.py`` (standard library only).
"""

import os

# Playwright drives the browser from an event loop; Django's ORM calls in those tests are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

from tests.services import ServiceUnavailable, ThrowawayRedis, redis_ping

POSTGRES_ONLY_MESSAGE = (
    "{nodeid} is marked `postgres` and needs PostgreSQL, but the database is {vendor}. "
    "Run `make test` (its second phase provides PostgreSQL) or set "
    "DATABASE_URL=postgres://USER@HOST:PORT/NAME."
)


def _database_vendor() -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine or "postgis" in engine else engine.rsplit(".")[-1]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    # In the call phase (not setup) so the report says "failed", like any broken test.
    if item.get_closest_marker("postgres") is None:
        return
    vendor = _database_vendor()
    if vendor != "postgresql":
        pytest.fail(POSTGRES_ONLY_MESSAGE.format(nodeid=item.nodeid, vendor=vendor), pytrace=False)


def _start_redis(**kwargs) -> ThrowawayRedis:
    try:
        return ThrowawayRedis(**kwargs).start()
    except ServiceUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def redis_url():
    """A Redis server for the whole session: ``REDIS_URL`` when set (CI points it at db 15),
    else a throwaway ``redis-server`` on a free port, stopped at the end.

    Tests must not stop this one (it may be shared); use ``throwaway_redis`` for that.
    """
    configured = os.environ.get("REDIS_URL", "").strip()
    if configured:
        if not redis_ping(configured, timeout=2):
            pytest.fail(f"REDIS_URL={configured} does not answer PING.", pytrace=False)
        yield configured
        return
    server = _start_redis()
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture
def throwaway_redis():
    """A private ``redis-server`` for one test, always throwaway (never ``REDIS_URL``), so the
    test may take it away and bring it back: ``.stop()``, ``.start()`` (same port and URL),
    ``.url``, ``.port``, ``.running``."""
    server = _start_redis()
    try:
        yield server
    finally:
        server.close()
