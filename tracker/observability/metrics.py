"""The process's own metrics (requests, database, cache) and the ``/metrics`` exposition.

Counters and histograms of prometheus-client. Under several processes (gunicorn workers) each
process only sees its own requests, so with ``PROMETHEUS_MULTIPROC_DIR`` set (before the process
starts; docker-compose sets it) prometheus-client writes every value to files in that directory
and the scrape adds up all processes' files (``MultiProcessCollector``). The directory must be
empty when the server starts (compose mounts a tmpfs) and shared by the workers of one server.

Stride's own figures (reminders, outbox, queue, deployment checks, stale rows) are not kept in
processes at all: ``collector.StrideCollector`` reads them from the database and the broker at
scrape time, so they are the same whichever worker answers.

Why not django-prometheus: it swaps the database engine and every cache backend for its own
subclasses (``ENGINE = django_prometheus.db.backends.postgresql`` …) and adds two middlewares;
a query wrapper (``connection.execute_wrappers``), one middleware and a cache wrapper give the
same figures without replacing the database backend Stride's settings choose.
"""

from __future__ import annotations

import os
import time

import prometheus_client
from django.db.backends.signals import connection_created
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

# One series per counter: the "_created" timestamps double the scrape for nothing Stride uses.
prometheus_client.disable_created_metrics()

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus-client writes a file there for every process at the first value; a missing
    # directory would fail every request instead of starting empty.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

HTTP_REQUESTS = Counter(
    "stride_http_requests",
    "HTTP requests answered, by view (route name), method and status code.",
    ["view", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "stride_http_request_duration_seconds",
    "Time from the first middleware to the response, by view and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
DB_QUERIES = Counter("stride_db_queries", "Database queries run, by connection alias.", ["alias"])
DB_ERRORS = Counter(
    "stride_db_query_errors", "Database queries that raised, by connection alias.", ["alias"]
)
DB_LATENCY = Histogram(
    "stride_db_query_duration_seconds",
    "Time per database query, by connection alias.",
    ["alias"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)
CACHE_REQUESTS = Counter(
    "stride_cache_requests",
    "Cache reads by cache alias and result (hit, miss), and failed cache calls (error).",
    ["cache", "result"],
)

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# Label children by label values: ``labels()`` takes a lock and builds a key on every call.
_request_children: dict[tuple[str, str, int], tuple] = {}


def record_request(*, view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in KNOWN_METHODS else "other"
    key = (view, method, status)
    children = _request_children.get(key)
    if children is None:
        children = _request_children[key] = (
            HTTP_REQUESTS.labels(view, method, str(status)),
            HTTP_LATENCY.labels(view, method),
        )
    children[0].inc()
    children[1].observe(seconds)


# --- database ---------------------------------------------------------------------------------
class QueryMeter:
    """A ``connection.execute_wrappers`` entry counting and timing every query."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.queries = DB_QUERIES.labels(alias)
        self.errors = DB_ERRORS.labels(alias)
        self.latency = DB_LATENCY.labels(alias)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        except Exception:
            self.errors.inc()
            raise
        finally:
            self.queries.inc()
            self.latency.observe(time.perf_counter() - started)


def _meter_connection(sender, connection, **kwargs) -> None:
    if not any(isinstance(wrapper, QueryMeter) for wrapper in connection.execute_wrappers):
        # First in the list: ``connection.execute_wrapper()`` blocks pop the last entry when
        # they end, and a connection opened inside one must not lose ours instead of theirs.
        connection.execute_wrappers.insert(0, QueryMeter(connection.alias))


def install() -> None:
    """Meter the queries of every database connection this process opens (``ready()``)."""
    connection_created.connect(_meter_connection, dispatch_uid="stride-query-meter")


# --- exposition -------------------------------------------------------------------------------
def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def exposition(*extra: CollectorRegistry) -> bytes:
    """The text format of this process's (or, in multiprocess mode, every process's) metrics,
    followed by the ``extra`` registries'."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return b"".join(generate_latest(each) for each in (registry, *extra))
