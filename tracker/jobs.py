"""Publishing Celery tasks by their pinned names: the one door from work modules to the broker.

Offers the task names (``DELIVER_NOTIFICATION`` …, the names ``tracker.tasks`` registers its
tasks under), ``publish`` (hand one task to the broker now; never raises), ``publish_on_commit``
(the same once the current transaction commits) and ``broker_backoff_reset``.

Work modules (notifications, deployments, the receivers) publish here instead of importing
``tracker.tasks``, which imports them: the task module adapts, this module sends, and no import
goes back up. It imports nothing of Stride (layer ``(jobs)``, just above the models).

Publishing never blocks a caller for long and never raises: when the broker is away it logs,
returns False, and for a short while does not try again in this process. Every caller has a
way to catch up later (the outbox flush for emails, the daily re-check for deployments).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from celery import current_app
from django.conf import settings
from django.db import transaction
from kombu.exceptions import ChannelError, KombuError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# The pinned names of every task (``tracker.tasks`` registers each under its constant here).
DELIVER_NOTIFICATION = "tracker.tasks.deliver_notification"
DELIVER_NOTIFICATION_BATCH = "tracker.tasks.deliver_notification_batch"
DELIVER_SWEEP_NOTIFICATIONS = "tracker.tasks.deliver_sweep_notifications"
FLUSH_OUTBOX = "tracker.tasks.flush_outbox"
SWEEP_REMINDERS = "tracker.tasks.sweep_reminders"
SWEEP_PARTITION = "tracker.tasks.sweep_partition"
REFRESH_PROGRESS_ROWS = "tracker.tasks.refresh_progress_rows"
SYNC_PAUSE_STATUSES = "tracker.tasks.sync_pause_statuses"
CHECK_DEPLOYMENT = "tracker.tasks.check_deployment"
RECHECK_DEPLOYMENTS = "tracker.tasks.recheck_deployments"
DELIVER_WEBHOOK = "tracker.tasks.deliver_webhook"
SWEEP_WEBHOOKS = "tracker.tasks.sweep_webhooks"
CHECK_CAPSTONES = "tracker.tasks.check_capstones"

# After a broker error, publishing is not tried again in this process for this long
# (``STRIDE_BROKER_BACKOFF_SECONDS``): a web request that would publish several tasks pays the
# broker timeout once, not once per task.
BROKER_BACKOFF_SECONDS = 15.0
_broker_down_until = 0.0


def publish(name: str, *, args: Sequence = (), **options) -> bool:
    """Hand the task ``name`` to the broker with short timeouts; True when it was accepted,
    False (logged, never raised) when the broker is away or publishing failed. ``options`` are
    Celery's publishing options (``countdown``, ``expires`` …)."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    # One attempt, no retry: against a frozen broker each attempt costs the transport's socket
    # timeout (1 s), and a retry would double what the caller (often a web request) waits. A
    # publish that fails leaves its row to the catch-up (the outbox flush every minute).
    options = {"retry": False, **options}
    try:
        _send(name, list(args), options)
    except (KombuError, RedisError, OSError, TimeoutError):
        _broker_down_until = time.monotonic() + getattr(
            settings, "STRIDE_BROKER_BACKOFF_SECONDS", BROKER_BACKOFF_SECONDS
        )
        logger.warning("Broker unavailable; not publishing %s", name, exc_info=True)
        return False
    except Exception:
        # Not a broker outage, but the write it follows has committed: log loudly, go on.
        logger.exception("Publishing %s failed", name)
        return False
    return True


def publish_on_commit(name: str, *, args: Sequence = (), **options) -> None:
    """``publish`` once the current transaction commits (at once outside a transaction); a
    rolled-back write publishes nothing."""
    frozen = list(args)
    transaction.on_commit(lambda: publish(name, args=frozen, **options))


def broker_backoff_reset() -> None:
    """Forget an earlier broker failure (tests, and the outbox flush which runs on a worker
    that has just proven the broker works)."""
    global _broker_down_until
    _broker_down_until = 0.0


def _send(name: str, args: list, options: dict) -> None:
    app = current_app
    if app.conf.task_always_eager:
        # ``send_task`` ignores eager mode; a development setup or a test that asks for tasks to
        # run in-process gets the registered task run here, as ``apply_async`` would.
        app.tasks[name].apply_async(args=args, **options)
        return
    app.send_task(name, args=args, **options)


# --- Asking the broker how much is waiting ----------------------------------------------------
# How long /healthz and /metrics wait for the broker: one round trip under a hard deadline.
BROKER_PROBE_SECONDS = 2.0


class BrokerUnanswered(TimeoutError):
    """The broker did not answer within the deadline (frozen, or a silent network)."""


def broker_queue_length(timeout: float = BROKER_PROBE_SECONDS) -> tuple[str, int | None]:
    """The transport's name and the messages waiting in the default queue (None when the
    transport cannot count them), from a real round trip (merely opening a connection proves
    nothing for the SQLAlchemy transport). Runs in a daemon thread joined for ``timeout``: a
    broker that accepts connections and stays silent cannot hold the caller longer
    (``BrokerUnanswered``; the transport's own socket timeouts end the thread soon after). Any
    error of the transport is raised as it is."""
    outcome: dict = {}

    def probe() -> None:
        try:
            outcome["answer"] = _queue_length(timeout)
        except Exception as exc:  # kombu raises many kinds; the caller decides
            outcome["error"] = exc

    thread = threading.Thread(target=probe, name="broker-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if "error" in outcome:
        raise outcome["error"]
    if "answer" not in outcome:
        raise BrokerUnanswered(f"The broker did not answer within {timeout:g} s.")
    return outcome["answer"]


def _queue_length(timeout: float) -> tuple[str, int | None]:
    queue = current_app.conf.task_default_queue
    with current_app.connection_for_write(connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        try:
            _, length, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
        except ChannelError:
            # The queue does not exist yet: nothing was ever published, nothing is waiting.
            length = 0
        except NotImplementedError:
            # kombu's way of saying this transport cannot count its messages: unknown, not 0.
            length = None
        return conn.transport.driver_name, length
