"""The request id and the running task of the current request or task (context variables).

Set by ``middleware.RequestIdMiddleware`` around a request and by ``celery_context`` around a
task; read by the logging filter and by ``before_task_publish``. Imports nothing of Stride.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("stride_request_id", default=None)
task_id: ContextVar[str | None] = ContextVar("stride_task_id", default=None)
task_name: ContextVar[str | None] = ContextVar("stride_task_name", default=None)

# What a client may send as X-Request-ID: short, and nothing a log reader could trip over.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value: str | None) -> str:
    """``value`` when it is a sane request id (at most 64 of ``[A-Za-z0-9._-]``), else a new
    one."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return new_request_id()
