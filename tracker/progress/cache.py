"""The progress versions and the cache of rendered progress pages keyed by them.

A cached page can never be stale: its key holds the version tokens stored in the database
(``tracker.models.ProgressVersion``): the cohort's own, which ``tracker.receivers`` replaces on
every save or delete of a row inside the cohort that can move progress, and the global one,
replaced by writes that can touch every cohort (model signals, so admin edits count too); and
the cohort's local date (due dates, pace and "inactive" move with the day). The tokens are read
before the page is computed, so a page is only ever stored under tokens at least as old as the
data it shows.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from curriculum.kernel import clock
from tracker.models import ProgressVersion

# Part of every key: a release that changes the page's shape never reads an older shape.
PAGE_FORMAT = "1"
# The cohort's token before its first write.
NO_WRITES_YET = "-"
EVERY_COHORT = ProgressVersion.EVERY_COHORT

_SELECT_TOKENS = "SELECT {cohort}, {token} FROM {table} WHERE {cohort} IN (%s, %s)".format(
    cohort=connection.ops.quote_name("cohort_id"),
    token=connection.ops.quote_name("token"),
    table=connection.ops.quote_name(ProgressVersion._meta.db_table),
)


def new_token() -> str:
    return secrets.token_hex(8)


def progress_version(cohort_id: int | None = None) -> str | None:
    """The tokens a page of ``cohort_id`` depends on, as one string; None when the row of every
    cohort is missing (then nothing is cached)."""
    with connection.cursor() as cursor:
        cursor.execute(_SELECT_TOKENS, [EVERY_COHORT, cohort_id or EVERY_COHORT])
        tokens = dict(cursor.fetchall())
    if EVERY_COHORT not in tokens:
        return None
    own = tokens.get(cohort_id, NO_WRITES_YET) if cohort_id else ""
    return f"{tokens[EVERY_COHORT]}.{own}"


def bump_progress_version(cohort_ids: Iterable[int | None] | None = None) -> None:
    """New tokens, in the caller's transaction: for ``cohort_ids``, or (None) for every
    cohort's pages at once."""
    if cohort_ids is None:
        ids = [EVERY_COHORT]
    else:
        ids = sorted({cohort_id for cohort_id in cohort_ids if cohort_id})
    if not ids:
        return
    # One upsert; rows in key order, so two writers touching the same cohorts lock them alike.
    ProgressVersion.objects.bulk_create(
        [ProgressVersion(cohort_id=cohort_id, token=new_token()) for cohort_id in ids],
        update_conflicts=True,
        unique_fields=["cohort_id"],
        update_fields=["token"],
    )


def forget_cohort(cohort_id: int) -> None:
    """Remove a deleted cohort's row."""
    if cohort_id:
        ProgressVersion.objects.filter(cohort_id=cohort_id).delete()


def page_key(*, cohort: Any, user: Any, url: str) -> str | None:
    """The cache key of one caller's view of one cohort's progress page at ``url`` (the
    absolute URL: the query string picks filters, order and page, the host the links); None
    when nothing is to be cached (``STRIDE_PROGRESS_CACHE_SECONDS`` is 0, or no version)."""
    if settings.STRIDE_PROGRESS_CACHE_SECONDS <= 0:
        return None
    version = progress_version(cohort.pk)
    if version is None:
        return None
    today = clock.today(cohort.timezone).isoformat()
    digest = hashlib.blake2b(url.encode(), digest_size=16).hexdigest()
    return f"stride:progress:{PAGE_FORMAT}:{cohort.pk}:{user.pk}:{today}:{version}:{digest}"


def cached_page(key: str | None) -> Any:
    return cache.get(key) if key is not None else None


def store_page(key: str | None, page: Any) -> None:
    if key is not None:
        # Keys change with the day and every write; the timeout only bounds memory use.
        cache.set(key, page, settings.STRIDE_PROGRESS_CACHE_SECONDS)
