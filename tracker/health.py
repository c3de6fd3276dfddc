"""``/healthz``: the state of the database and the broker, for load balancers and monitors.

200 when both answer, 503 otherwise; the body says which part failed. The broker probe runs
under a hard deadline so a broker that accepts connections and then stays silent can never hold
the request (or the monitor) longer than ``BROKER_TIMEOUT_SECONDS``.
"""

import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .jobs import BROKER_PROBE_SECONDS, BrokerUnanswered, broker_queue_length

BROKER_TIMEOUT_SECONDS = BROKER_PROBE_SECONDS


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is not usable
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor, "latency_ms": _elapsed_ms(started)}


def _check_broker() -> dict:
    started = time.monotonic()
    try:
        transport, queue_length = broker_queue_length(BROKER_TIMEOUT_SECONDS)
    except BrokerUnanswered:
        return {"ok": False, "error": "timeout", "latency_ms": _elapsed_ms(started)}
    except Exception as exc:  # kombu raises many kinds; all mean "unreachable"
        return {"ok": False, "error": exc.__class__.__name__, "latency_ms": _elapsed_ms(started)}
    return {
        "ok": True,
        "transport": transport,
        "queue_length": queue_length,
        "latency_ms": _elapsed_ms(started),
    }


@never_cache
def healthz(request):
    database = _check_database()
    broker = _check_broker()
    healthy = database["ok"] and broker["ok"]
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )
