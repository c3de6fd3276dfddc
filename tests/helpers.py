"""Small pieces several test packages share."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection

# Every field of an enrollment's progress, as ``Progress.as_dict()`` and the API give it.
PROGRESS_FIELDS = {
    "enrollment",
    "percent_complete",
    "expected_percent",
    "pace",
    "risk_reasons",
    "last_activity_at",
    "overdue_count",
    "next_due",
    "minutes_logged_7d",
    "projected_completion",
}


def race(call: Callable[[Any], object], arguments: Sequence[Any]) -> list[object]:
    """Call ``call`` once per argument, each in its own thread, all released at the same moment.
    Returns what each call returned or raised (in the order they finished)."""
    barrier = threading.Barrier(len(arguments), timeout=10)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run(argument):
        try:
            barrier.wait()
            result: object = call(argument)
        except Exception as error:  # collected for the caller to assert on
            result = error
        finally:
            connection.close()  # each thread has its own connection
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
