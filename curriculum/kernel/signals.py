"""``progress_inputs_changed``: the one announcement that a write changed what progress is
computed from, and the admin mixin that makes admin edits announce it too.

Who sends it: every service of ``curriculum``, ``learners`` and ``mentors`` that writes a row
progress reads (an enrollment, a pause, a progress log, a submission or review, a pairing, a
mentor session, a cohort's dates, a module or an assignment, a mentor or a person's name), the admin
classes of those models (``ProgressInputsAdmin``), and the commands that write them
(``seed_demo``, ``erase_learner``). It is sent INSIDE the writer's transaction, with plain ids
naming what changed:

* ``enrollment_ids``: enrollments whose own rows changed;
* ``cohort_ids``, ``program_ids``: every enrollment of those cohorts / programs' cohorts;
* ``user_ids``: people whose shown name changed (as a learner or as a mentor);
* ``mentor_ids``: mentors (their learners show them);
* ``everything``: every enrollment (a bulk load such as the demo seed).

Who listens: ``tracker.progress.freshness`` (the stored report rows). Like every kernel module
this imports nothing of Stride.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model
from django.dispatch import Signal

progress_inputs_changed = Signal()

KINDS = ("enrollment_ids", "cohort_ids", "program_ids", "user_ids", "mentor_ids")


def progress_inputs_change(
    *,
    enrollment_ids: Iterable[int | None] = (),
    cohort_ids: Iterable[int | None] = (),
    program_ids: Iterable[int | None] = (),
    user_ids: Iterable[int | None] = (),
    mentor_ids: Iterable[int | None] = (),
    everything: bool = False,
) -> None:
    """Send ``progress_inputs_changed`` now (call it inside the write's transaction)."""
    named = {
        "enrollment_ids": enrollment_ids,
        "cohort_ids": cohort_ids,
        "program_ids": program_ids,
        "user_ids": user_ids,
        "mentor_ids": mentor_ids,
    }
    ids = {kind: sorted({pk for pk in values if pk}) for kind, values in named.items()}
    if not everything and not any(ids.values()):
        return
    progress_inputs_changed.send(sender=None, everything=everything, **ids)


class ProgressInputsAdmin:
    """A ``ModelAdmin`` mixin for models progress reads: every add, change or delete (inlines
    and bulk deletes included) announces ``progress_inputs_changed`` in the admin's own
    transaction.

    ``progress_input = (kind, path)``: the kind of id (one of ``KINDS``) and the lookup path
    from the model to it, e.g. ``("enrollment_ids", "submission__enrollment_id")``. The value
    is read before and after the write, so a row moved elsewhere outdates both places.
    """

    progress_input: tuple[str, str] = ("enrollment_ids", "enrollment_id")

    def _progress_ids(self, queryset: Any) -> set[int]:
        kind, path = self.progress_input
        if kind not in KINDS:
            raise ValueError(f"Unknown progress input kind {kind!r}.")
        return set(queryset.values_list(path, flat=True))

    def _announce(self, ids: set[int]) -> None:
        progress_inputs_change(**{self.progress_input[0]: ids})

    def _rows_of(self, obj: Model) -> Any:
        return type(obj)._default_manager.filter(pk=obj.pk)

    def save_model(self, request, obj, form, change) -> None:
        before = self._progress_ids(self._rows_of(obj)) if change else set()
        super().save_model(request, obj, form, change)
        obj._progress_inputs_before = before

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # After the inlines too: an inline row (a pause, a rubric criterion) counts for its
        # parent's place.
        obj = form.instance
        before = getattr(obj, "_progress_inputs_before", set())
        self._announce(before | self._progress_ids(self._rows_of(obj)))

    def delete_model(self, request, obj) -> None:
        self._announce(self._progress_ids(self._rows_of(obj)))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        self._announce(self._progress_ids(queryset))
        super().delete_queryset(request, queryset)
