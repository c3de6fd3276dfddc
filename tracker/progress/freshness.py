"""When the stored progress rows change: the one receiver of ``progress_inputs_changed``.

The lower apps' services, the admin and the commands send
``curriculum.kernel.signals.progress_inputs_changed`` explicitly, naming what they changed.
This receiver runs INSIDE the writer's transaction (the signal is sent synchronously there):
it gives the rows of the enrollments concerned a new token in that transaction, so a
rolled-back write rolls its new tokens back too, and a committed one can never leave a row
that reads as fresh with older facts. Once the transaction commits, the rows named by
enrollment id are computed again (``snapshots.outdate`` schedules it with ``on_commit``);
wider kinds (a cohort, a program, a name, everything) are left to their next reader and the
hourly task. An error here fails the write: a write whose readers would see stale progress
must not commit.

Connected by ``tracker.apps.TrackerConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from curriculum.kernel.signals import progress_inputs_changed

from . import snapshots


@receiver(progress_inputs_changed, dispatch_uid="tracker.progress.outdate")
def outdate_rows(
    sender: Any,
    *,
    enrollment_ids: list[int] = (),
    cohort_ids: list[int] = (),
    program_ids: list[int] = (),
    user_ids: list[int] = (),
    mentor_ids: list[int] = (),
    everything: bool = False,
    **kwargs: Any,
) -> None:
    snapshots.outdate(
        enrollment_ids,
        cohort_ids=cohort_ids,
        program_ids=program_ids,
        learner_ids=user_ids,
        mentor_user_ids=user_ids,
        mentor_ids=mentor_ids,
        everything=everything,
    )
