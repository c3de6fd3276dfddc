"""Shared fixtures and the rules for markers.

- ``postgres``: the test needs PostgreSQL. On any other database it FAILS with a message (it is
  never skipped: a green run must mean it ran). ``make test`` runs it in its PostgreSQL phase.
- ``redis``: the test uses the ``redis_url`` fixture (``REDIS_URL`` or a throwaway server).
- ``browser`` / ``integration``: see pyproject.toml.
- ``sqlite``: set here (``ALSO_ON_SQLITE``) on the tests that ``make test`` runs on SQLite too;
  every other test but the browser ones runs once, on PostgreSQL.

The world and its clock (one of each for every folder):

- ``clock``: time frozen at ``tests.world.NOW`` (time-machine); ``clock.move_to(when)``,
  ``clock.shift(delta)``, ``with clock.at(when):`` for a test that needs another instant,
  ``clock.now()`` / ``clock.today(zone)`` to read it.
- ``world``: the cast and places of ``tests/world.py``, built under ``clock``. A folder turns
  Lena's history off by overriding ``world_history``; it never defines a second world.

Servers themselves are started by ``tests/services.py`` (standard library only).
"""

from __future__ import annotations

import copy
import datetime as dt
import fnmatch
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

# Playwright drives the browser from an event loop; Django's ORM calls in those tests are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
import time_machine
from django.utils import timezone
from hypothesis import settings as hypothesis_settings

from curriculum.kernel import clock as product_clock
from tests.services import ServiceUnavailable, ThrowawayRedis, redis_ping

if TYPE_CHECKING:
    from tests.world import World

# Property tests explore new examples on a developer's machine (a failure prints its seed and is
# kept in .hypothesis/), and replay the same examples in CI, so a run's verdict is its code's.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
    hypothesis_settings.load_profile("ci")

# tests/world.py imports models, so it is imported inside the fixtures: this module is also
# loaded as a plugin (``-p tests.conftest``) before Django is set up.

POSTGRES_ONLY_MESSAGE = (
    "{nodeid} is marked `postgres` and needs PostgreSQL, but the database is {vendor}. "
    "Run `make test` (its second phase provides PostgreSQL) or set "
    "DATABASE_URL=postgres://USER@HOST:PORT/NAME."
)


def _database_vendor() -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine or "postgis" in engine else engine.rsplit(".")[-1]


# `make test` runs every test once on PostgreSQL (the production database) and the browser
# tests on SQLite (the embedded default of `make run`); these run on SQLite as well, because the
# code they drive branches on the database or the newcomer's first run depends on them: the
# reminder sweep's writer, the stored progress rows and their fetches, the seed's bulk rows,
# query counts, constraints, backups, the settings and the whole-bootcamp flow.
ALSO_ON_SQLITE = (
    "tests/tracker/*",
    "tests/acceptance/*",
    "tests/*/test_seed*.py",
    "tests/*/test_query_counts.py",
    "tests/*/test_constraints.py",
    "tests/api/test_progress_snapshots.py",
    "tests/api/test_progress_write_paths.py",
    "tests/api/test_reports.py",
    "tests/web/test_staff_home.py",
    "tests/mentors/test_booking.py",
    "tests/mentors/test_selectors.py",
    "tests/security/test_backup.py",
    "tests/test_healthz.py",
    "tests/test_settings.py",
    "tests/test_smoke.py",
)


def pytest_collection_modifyitems(config, items):
    root = config.rootpath
    for item in items:
        if not item.path.is_relative_to(root):
            continue  # a test file written by a test (tests/test_infra.py) elsewhere
        path = item.path.relative_to(root).as_posix()
        if any(fnmatch.fnmatch(path, pattern) for pattern in ALSO_ON_SQLITE):
            item.add_marker(pytest.mark.sqlite)


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


class FrozenClock:
    """Time standing still at one instant, moved only by the test."""

    def __init__(self, traveller) -> None:
        self._traveller = traveller

    def now(self) -> dt.datetime:
        return timezone.now()

    def today(self, zone: str | dt.tzinfo | None = None) -> dt.date:
        return product_clock.today(zone)

    def move_to(self, when: dt.datetime | dt.date) -> None:
        if not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, dt.time(12), tzinfo=dt.UTC)
        self._traveller.move_to(when, tick=False)

    def shift(self, delta: dt.timedelta) -> None:
        self._traveller.shift(delta)

    @contextmanager
    def at(self, when: dt.datetime | dt.date) -> Iterator[FrozenClock]:
        """Stand at ``when`` for a block, then come back to where the clock was."""
        back = self.now()
        self.move_to(when)
        try:
            yield self
        finally:
            self.move_to(back)


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    """The one frozen clock: ``tests.world.NOW`` unless the test moves it."""
    from tests.world import NOW

    with time_machine.travel(NOW, tick=False) as traveller:
        yield FrozenClock(traveller)


@pytest.fixture
def world_history() -> bool:
    """Whether Lena already has a history (see ``tests/world.py``); a folder may say no."""
    return True


class WorldCopy:
    """The rows one ``build_world`` wrote, to write them again without building.

    Building the world runs some 40 factories and 90 queries (25 to 30 ms of CPU); most tests ask
    for it. The first test of a process that asks for it (per ``history`` and database) builds it
    inside a savepoint, reads back every row the build added, and rolls the savepoint back; then
    that test and every later one get the same rows written again, table by table (foreign keys
    are checked at commit, so the order does not matter), and a deep copy of the same ``World``
    objects, as Django's ``TestCase.setUpTestData`` gives each test. Each test's own
    transaction is rolled back as before, so nothing leaks from one test to the next.

    Rows are written with their stored values (``get_db_prep_save``, never ``pre_save``), so an
    ``auto_now`` timestamp keeps the instant the build wrote. Sequences are not rewound by a
    rollback on PostgreSQL, and SQLite's are moved past the rows written, so a test's own rows
    never take an id of the world's.
    """

    def __init__(self, world: World, tables: list[tuple[str, list[str], list[list]]]) -> None:
        self.world = world
        self.tables = tables

    @staticmethod
    def _models():
        from django.apps import apps

        return [
            model
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        ]

    @classmethod
    def capture(cls, history: bool) -> WorldCopy:
        from django.db import connection, transaction

        from tests.world import build_world

        models = cls._models()
        before = {model: set(model._base_manager.values_list("pk", flat=True)) for model in models}
        existing = {
            model: list(model._base_manager.filter(pk__in=pks).order_by("pk").values())
            for model, pks in before.items()
            if pks
        }
        savepoint = transaction.savepoint()
        try:
            world = build_world(history=history)
            tables = []
            for model in models:
                fields = model._meta.local_concrete_fields
                rows = list(model._base_manager.exclude(pk__in=before[model]).order_by("pk"))
                if rows:
                    tables.append(
                        (
                            model._meta.db_table,
                            [field.column for field in fields],
                            [
                                [
                                    field.get_db_prep_save(getattr(row, field.attname), connection)
                                    for field in fields
                                ]
                                for row in rows
                            ],
                        )
                    )
            for model, rows in existing.items():
                after = model._base_manager.filter(pk__in=before[model]).order_by("pk")
                if list(after.values()) != rows:
                    raise AssertionError(
                        f"build_world changed rows of {model._meta.label} that were there "
                        "before it; WorldCopy only writes rows the build added."
                    )
        finally:
            transaction.savepoint_rollback(savepoint)
        return cls(world, tables)

    def restore(self) -> World:
        from django.db import connection

        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, columns, rows in self.tables:
                cursor.executemany(
                    f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "
                    f"VALUES ({', '.join(['%s'] * len(columns))})",
                    rows,
                )
        return copy.deepcopy(self.world)


_world_copies: dict[tuple[bool, str], WorldCopy] = {}


@pytest.fixture
def world(db, clock, world_history) -> World:
    """The bootcamp of ``tests/world.py``, at the world's ``NOW``.

    Written from the process's ``WorldCopy`` (the same rows and objects a build makes), except
    in tests whose transactions commit (``transactional_db``, ``live_server``) and when the
    clock has been moved before the world was asked for: those build it."""
    from django.db import IntegrityError, connection, transaction

    from tests.world import NOW, build_world

    # A test whose writes commit (``transactional_db``, ``django_db(transaction=True)``,
    # ``live_server``) runs outside the atomic block pytest-django rolls back.
    transactional = not connection.in_atomic_block
    if transactional or clock.now() != NOW:
        return build_world(history=world_history)
    key = (world_history, connection.settings_dict["NAME"])
    if key not in _world_copies:
        _world_copies[key] = WorldCopy.capture(world_history)
    try:
        with transaction.atomic():
            return _world_copies[key].restore()
    except IntegrityError:
        # A row made before the world (a fixture's user, on SQLite whose sequences the
        # capture's rollback rewound) holds an id of the world's: build it instead.
        return build_world(history=world_history)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: rate-limit and throttle counters (per client
    address, and every test client is 127.0.0.1) must not carry over from earlier tests."""
    from django.core.cache import cache

    cache.clear()


def pytest_sessionstart(session):
    """The translation catalogues compiled before any test reads them: the ``.mo`` files are
    build output, not kept in git (``manage.py messages --compile`` does the same for a run)."""
    from tracker.management.commands.messages import compile_catalogue

    compile_catalogue()
