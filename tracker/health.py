"""``/healthz``: the state of the database and the broker, for load balancers and monitors.

200 when both answer, 503 otherwise; the body says which part failed. The broker probe runs
under a hard deadline so a broker that accepts connections and then stays silent can never hold
the request (or the monitor) longer than ``BROKER_TIMEOUT_SECONDS``.
"""

import threading
import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from kombu.exceptions import ChannelError

from .celery import app as celery_app

BROKER_TIMEOUT_SECONDS = 2.0


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


def _probe_broker() -> dict:
    """Connect and ask for the default queue's length: a real round trip on every transport
    (merely opening a connection proves nothing for the SQLAlchemy transport)."""
    queue = celery_app.conf.task_default_queue
    with celery_app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
        )
        try:
            _, queue_length, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
        except ChannelError:
            # The broker answered that the queue does not exist yet: nothing is waiting.
            queue_length = 0
        return {"transport": conn.transport.driver_name, "queue_length": queue_length}


def _check_broker() -> dict:
    started = time.monotonic()
    outcome: dict = {}

    def probe() -> None:
        try:
            outcome.update(_probe_broker())
            outcome["ok"] = True
        except Exception as exc:  # kombu raises many kinds; all mean "unreachable"
            outcome.update(ok=False, error=exc.__class__.__name__)

    # A daemon thread: if the broker hangs past the deadline we answer anyway, and the
    # transport's own socket timeouts end the thread shortly after.
    worker = threading.Thread(target=probe, name="healthz-broker", daemon=True)
    worker.start()
    worker.join(BROKER_TIMEOUT_SECONDS)
    if worker.is_alive() or "ok" not in outcome:
        return {"ok": False, "error": "timeout", "latency_ms": _elapsed_ms(started)}
    return {**outcome, "latency_ms": _elapsed_ms(started)}


@never_cache
def healthz(request):
    database = _check_database()
    broker = _check_broker()
    healthy = database["ok"] and broker["ok"]
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )
