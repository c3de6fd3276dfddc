"""The request id travels with the tasks a request publishes.

``before_task_publish`` writes the current request id (a request's, or the running task's when
a task publishes another) into the message headers; in the worker ``task_prerun`` puts it, the
task's id and its name into ``context`` so every log line of the task carries them, and
``task_postrun`` clears them. ``tracker.celery`` connects the three.
"""

from __future__ import annotations

from . import context

HEADER = "stride_request_id"

_tokens: dict[str, tuple] = {}


def add_request_id(sender=None, headers=None, **kwargs) -> None:
    request_id = context.request_id.get()
    if request_id and isinstance(headers, dict):
        headers.setdefault(HEADER, request_id)


def _request_id_of(task) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    # Custom message headers become attributes of the task's request (a worker), or stay in
    # ``headers`` (a task applied in-process).
    value = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    return value if isinstance(value, str) else None


def enter_task(sender=None, task_id=None, task=None, **kwargs) -> None:
    request_id = _request_id_of(task)
    _tokens[task_id] = (
        context.request_id.set(context.sane_request_id(request_id) if request_id else None),
        context.task_id.set(task_id),
        context.task_name.set(getattr(task, "name", None)),
    )


def leave_task(sender=None, task_id=None, task=None, **kwargs) -> None:
    tokens = _tokens.pop(task_id, None)
    if tokens is None:
        return
    request_token, id_token, name_token = tokens
    for var, token in (
        (context.task_name, name_token),
        (context.task_id, id_token),
        (context.request_id, request_token),
    ):
        try:
            var.reset(token)
        except ValueError:
            # Set in another context (a pool thread): clear instead.
            var.set(None)
