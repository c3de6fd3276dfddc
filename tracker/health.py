"""``/healthz``: the state of the database and the broker, for load balancers and monitors."""

import time

from django.db import connection
from django.http import JsonResponse

from .celery import app as celery_app


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is not usable
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "latency_ms": round((time.monotonic() - started) * 1000, 1)}


def _check_broker() -> dict:
    started = time.monotonic()
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # kombu raises many kinds; all mean "unreachable"
        return {"ok": False, "error": exc.__class__.__name__}
    return {
        "ok": True,
        "transport": str(transport),
        "latency_ms": round((time.monotonic() - started) * 1000, 1),
    }


def healthz(request):
    database = _check_database()
    broker = _check_broker()
    healthy = database["ok"] and broker["ok"]
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )
