"""The progress version and the cache of rendered progress pages keyed by it.

A cached page can never be stale: its key holds the version token stored in the database
(``tracker.models.ProgressVersion``), which ``tracker.receivers`` replaces on every save or
delete of a row that can move progress (model signals, so admin edits count too), and the
cohort's local date (due dates, pace and "inactive" move with the day). The token is read
before the page is computed, so a page is only ever stored under a token at least as old as
the data it shows.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.cache import cache
from django.db import connection

from curriculum import clock
from tracker.models import ProgressVersion

VERSION_PK = 1
# Part of every key: a release that changes the page's shape never reads an older shape.
PAGE_FORMAT = "1"
# Keys change with the day and every write; the timeout only bounds memory use.
TIMEOUT_SECONDS = 6 * 60 * 60

_SELECT_TOKEN = "SELECT {token} FROM {table} WHERE {pk} = %s".format(
    token=connection.ops.quote_name("token"),
    table=connection.ops.quote_name(ProgressVersion._meta.db_table),
    pk=connection.ops.quote_name("id"),
)


def new_token() -> str:
    return secrets.token_hex(8)


def progress_version() -> str | None:
    """The current token, or None when the row is missing (then nothing is cached)."""
    with connection.cursor() as cursor:
        cursor.execute(_SELECT_TOKEN, [VERSION_PK])
        row = cursor.fetchone()
    return row[0] if row else None


def bump_progress_version() -> None:
    """Give the version a new token, in the caller's transaction."""
    token = new_token()
    if not ProgressVersion.objects.filter(pk=VERSION_PK).update(token=token):
        ProgressVersion.objects.update_or_create(pk=VERSION_PK, defaults={"token": token})


def page_key(*, cohort: Any, user: Any, url: str) -> str | None:
    """The cache key of one caller's view of one cohort's progress page at ``url`` (the
    absolute URL: the query string picks filters, order and page, the host the links)."""
    version = progress_version()
    if version is None:
        return None
    today = clock.today(cohort.timezone).isoformat()
    digest = hashlib.blake2b(url.encode(), digest_size=16).hexdigest()
    return f"stride:progress:{PAGE_FORMAT}:{cohort.pk}:{user.pk}:{today}:{version}:{digest}"


def cached_page(key: str | None) -> Any:
    return cache.get(key) if key is not None else None


def store_page(key: str | None, page: Any) -> None:
    if key is not None:
        cache.set(key, page, TIMEOUT_SECONDS)
