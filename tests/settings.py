"""Settings for the test suite: the real configuration plus what keeps tests hermetic and fast.

pytest-django points DJANGO_SETTINGS_MODULE here (pyproject.toml). The database still comes
from DATABASE_URL, so the same suite runs on SQLite and on PostgreSQL. Tests that need a real
broker or Redis start their own (fixtures ``redis_url`` / ``throwaway_redis``) and override
these values explicitly.
"""

import copy
import os

# Celery reads CELERY_BROKER_URL from the environment before its configuration, so an exported
# production broker would otherwise leak into unit tests.
os.environ.pop("CELERY_BROKER_URL", None)
# Nothing leaves a test run for Sentry or a trace collector (tests/observability starts its own
# receivers in subprocesses).
os.environ.pop("SENTRY_DSN", None)
os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)

from tracker.settings import *  # noqa: F403
from tracker.settings import DATABASES

# Unit tests never need a broker: tasks published during a test land in memory.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = False

# The cache is per process and empty at start, whatever REDIS_URL says.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# WhiteNoise's middleware lists every static file the finders know (some 220, each stat'ed and
# given its headers) when it is built, and Django's test client builds the middleware afresh
# for every new client: about 40 ms a client, most of the bad-input suites' time. Looking a
# file up when it is asked for (what autorefresh does) serves the same files and headers.
WHITENOISE_AUTOREFRESH = True

# Hashing with the production hasher costs ~0.2 s per password; tests create hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite test databases live in memory; a TEST NAME (set for parallel PostgreSQL runs)
    # would turn them into files in the working directory.
    DATABASES["default"].pop("TEST", None)

# Keep the console for warnings and errors: INFO chatter from live servers and workers would
# bury pytest's report. Records still reach pytest's caplog through the root logger.
LOGGING = copy.deepcopy(LOGGING)  # noqa: F405
LOGGING["handlers"]["console"]["level"] = "WARNING"
