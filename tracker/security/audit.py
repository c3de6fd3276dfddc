"""The audit trail: who changed what, when, with the row before and after.

django-simple-history keeps a full copy of the row on every create, update and delete of the
models below. Their historical tables live in the ``tracker`` app (the lower apps stay free of
it), registered once when Django starts (``tracker.security.apps``).

Who acted comes, in order, from ``instance._history_user`` (a service may set it), the
signed-in user of the current request (``HistoryRequestMiddleware``; for token-authenticated API
calls DRF puts its user on the same request), or the user named with :func:`acting_as` (management
commands, tasks).

A change made with ``QuerySet.update()`` or ``bulk_create()`` bypasses the trail; services of the
audited models save rows one at a time for that reason (see docs/SECURITY.md).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from typing import Any

import simple_history
from simple_history.manager import HistoryManager

from curriculum.models import Cohort
from learners.models import Enrollment, Pause, ProgressLog, Submission
from mentors.models import Pairing, Review

# The audited models, with the fields that are not worth a history row of their own.
AUDITED_MODELS: dict[type, dict[str, Any]] = {
    Cohort: {},
    Enrollment: {},
    Pause: {},
    ProgressLog: {"excluded_fields": ["updated_at"]},
    Submission: {},
    Pairing: {},
    Review: {},
}

_acting_user: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "stride_acting_user", default=None
)


@contextlib.contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Attribute every audited change made inside the block to ``user`` (outside requests)."""
    token = _acting_user.set(user)
    try:
        yield
    finally:
        _acting_user.reset(token)


def history_user(request: Any = None, **kwargs: Any) -> Any:
    """The user recorded on a history row (simple-history's ``get_user`` hook)."""
    acting = _acting_user.get()
    if acting is not None:
        return acting
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def history_of(instance: Any):
    """The history rows of one audited row, newest first."""
    return instance.history.all()


def changes(record: Any) -> list[dict[str, Any]]:
    """What one history row changed: ``[{field, old, new}]`` against the row before it
    (empty for a creation)."""
    previous = record.prev_record
    if previous is None:
        return []
    delta = record.diff_against(previous)
    return [{"field": c.field, "old": c.old, "new": c.new} for c in delta.changes]


class AuditHistoryManager(HistoryManager):
    """simple-history's manager, its class built once.

    ``instance.history`` (read on every audited save, to write the history row) calls
    ``HistoryManager.from_queryset(...)``, which builds a new manager class each time by walking
    the queryset class with ``inspect.getmembers``: about 0.4 ms of CPU per audited write. The
    class is the same every time, so it is built once per queryset class.
    """

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


def _register() -> None:
    for model, options in AUDITED_MODELS.items():
        if hasattr(model._meta, "simple_history_manager_attribute"):
            continue
        simple_history.register(
            model,
            app="tracker",
            get_user=history_user,
            history_manager=AuditHistoryManager,
            **options,
        )


_register()
