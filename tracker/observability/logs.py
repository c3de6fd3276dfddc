"""Log records carry the request id (and, in a worker, the task's id and name); production
writes them as JSON lines, development as text. ``tracker.settings`` wires both by dotted path
(``DJANGO_LOG_FORMAT``). Imports nothing of Stride but ``context``.

python-json-logger rather than structlog: every log call in Stride (and in Django, Celery,
axes …) is a standard ``logging`` call, and a formatter plus a filter turn all of them into JSON
without changing one call site or adding a second logging API.
"""

from __future__ import annotations

import datetime as dt
import logging

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from . import context


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``task_id`` and ``task_name`` (None outside a request or task) to
    every record that reaches the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = context.request_id.get()
        if getattr(record, "task_id", None) is None:
            record.task_id = context.task_id.get()
        if getattr(record, "task_name", None) is None:
            record.task_name = context.task_name.get()
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: ``timestamp`` (ISO 8601, UTC), ``level``, ``logger``,
    ``message``, ``request_id``; ``task_id`` and ``task_name`` inside a task; ``exc_info`` with
    the traceback; and any ``extra={...}`` a call passes."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("fmt", "%(message)s")
        kwargs.setdefault("reserved_attrs", [*_RESERVED, "request_id", "task_id", "task_name"])
        super().__init__(**kwargs)

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_record["timestamp"] = (
            dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["message"] = record.getMessage()
        log_record["request_id"] = getattr(record, "request_id", None)
        for name in ("task_id", "task_name"):
            value = getattr(record, name, None)
            if value is not None:
                log_record[name] = value
        super().add_fields(log_record, record, message_dict)


_RESERVED = [
    "args", "asctime", "created", "exc_info", "exc_text", "filename", "funcName", "levelname",
    "levelno", "lineno", "module", "msecs", "message", "msg", "name", "pathname", "process",
    "processName", "relativeCreated", "stack_info", "thread", "threadName", "taskName",
]  # fmt: skip


class TextFormatter(logging.Formatter):
    """Development lines: ``time LEVEL logger message`` and the request id (or task) when there
    is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        tags = []
        if getattr(record, "request_id", None):
            tags.append(f"request_id={record.request_id}")
        if getattr(record, "task_name", None):
            tags.append(f"task={record.task_name}[{record.task_id}]")
        if not tags:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} [{' '.join(tags)}]{newline}{rest}"
