"""The reminder sweep: every due reminder for every enrollment, set-based.

Offers ``run_sweep``, ``run_periodic_sweep`` (one sweep, or a partition task per id range),
``partitions`` and ``SweepResult``.

``clock`` (the sweep's instant and each zone's day), ``reads`` (a fixed handful of queries per
chunk of enrollments), ``rules`` (who is reminded of what, how often: the dedupe keys),
``texts`` (the words), ``writer`` (``INSERT … ON CONFLICT DO NOTHING RETURNING``). Memory stays
flat at any size; the new rows' emails are handed out once per sweep after commit. Two sweeps,
or a replay of a past day, never make a second row for one reminder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings

from tracker import jobs

from .. import outbox
from . import reads, rules
from .clock import SweepClock
from .reads import partitions
from .writer import SweepResult, Writer

__all__ = ["SweepResult", "partitions", "run_periodic_sweep", "run_sweep"]


def run_sweep(
    *,
    day: dt.date | None = None,
    lo: int | None = None,
    hi: int | None = None,
    include_global: bool = True,
    dry_run: bool = False,
    keep_reminders: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """One sweep over enrollments with ids in ``[lo, hi)`` (default all), plus the weekly
    digests with ``include_global``; ``day`` replays a past day (nothing is made twice)."""
    when = SweepClock.for_day(day)
    writer = Writer(dry_run=dry_run, keep=keep_reminders or dry_run)
    try:
        _sweep_into(writer, when, lo=lo, hi=hi, include_global=include_global, progress=progress)
    except BaseException:
        writer.close(failed=True)
        raise
    result = writer.close()
    if result.first_id is not None:
        outbox.publish_sweep_emails(
            first_id=result.first_id, last_id=result.last_id, stamp=result.stamp
        )
    return result


def _sweep_into(writer: Writer, when: SweepClock, *, lo, hi, include_global, progress) -> None:
    context = reads.Context.load()
    total = reads.active_count(lo, hi) if progress else 0
    done = 0
    for rows in reads.enrollment_pages(lo, hi):
        if rows:
            writer.write(rules.enrollment_reminders(rows, reads.chunk_facts(rows), when, context))
        done += len(rows)
        if progress:
            progress(done, total)
    writer.result.enrollments = done

    first_step = dt.timedelta(hours=settings.STRIDE_REVIEW_WAITING_HOURS)
    waiting = reads.waiting_submissions(lo, hi, submitted_before=when.now - first_step)
    writer.write(rules.review_waiting(waiting, when, context.staff, context.languages))
    horizon = when.now + dt.timedelta(hours=settings.STRIDE_SESSION_UPCOMING_HOURS)
    sessions = reads.upcoming_sessions(lo, hi, after=when.not_before, until=horizon)
    writer.write(rules.session_upcoming(sessions, when, context.languages))
    if include_global:
        due = rules.digests_due(reads.digest_recipients(context), when)
        if due:
            counts = reads.digest_counts(
                when.now, with_totals=any(is_staff for _, is_staff, _ in due)
            )
            writer.write(rules.weekly_digests(due, counts, context.languages))


def run_periodic_sweep(*, day: dt.date | None = None) -> dict:
    """The periodic sweep. With ``STRIDE_SWEEP_PARTITIONS`` > 1 it publishes one partition
    task per enrollment id range, for workers to run in parallel, and makes the digests (which
    belong to no enrollment) itself. Returns the counts per kind it created."""
    count = max(1, int(getattr(settings, "STRIDE_SWEEP_PARTITIONS", 1)))
    if count == 1:
        return dict(run_sweep(day=day).created)
    ranges = partitions(count)
    day_text = day.isoformat() if day else None
    for lo, hi in ranges:
        jobs.publish(jobs.SWEEP_PARTITION, args=[lo, hi, day_text])
    result = run_sweep(day=day, lo=0, hi=0, include_global=True)
    return {"partitions": len(ranges), **result.created}
