"""The reminder sweep: every due reminder for every enrollment, set-based.

Per chunk of enrollments (keyset pages by id) the sweep runs a fixed handful of queries (the
enrollments with their last log date, zone and active mentor as columns; their pauses; their
submissions), decides in Python over those rows, and inserts the new reminders with
``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING`` (the unique key, not a read
before the write, decides what is new). Time-window kinds (``review_waiting``,
``session_upcoming``) are one query per partition and ``weekly_digest`` is one pass over
mentors and staff. Nothing is kept beyond one chunk, so memory stays flat at any size. The
emails are published once per sweep (or partition), after its rows are committed: one task
that hands them out in batches on a worker (see ``_Writer``).

The dedupe key encodes the contract's "at most" column, so running the sweep twice, two sweeps
at once, or a replay of a past day never creates a second row for the same reminder.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Max, Min, OuterRef, Subquery

from curriculum.kernel import clock
from curriculum.kernel.zones import zone_or_utc
from curriculum.models import Assignment
from learners.models import Enrollment, HelpRequest, Pause, ProgressLog, Submission
from mentors.models import Mentor, MentorSession, Pairing
from tracker.models import Notification
from tracker.progress.fetch import raw_rows
from tracker.progress.schedule import shift_due_date

from .services import enqueue_sweep_delivery

Kind = Notification.Kind
CHUNK_SIZE = 2000
# Reminders per insert transaction, and whether a second connection inserts them while the
# sweep builds the next ones (see ``_Writer``).
WRITE_BATCH = 10000
BACKGROUND_WRITES = True
KEY_LOOKUP_BATCH = 900


class Reminder(NamedTuple):
    """One reminder to create (a tuple: the sweep makes hundreds of thousands of them)."""

    recipient_id: int
    kind: str
    subject: str
    body: str
    link: str
    dedupe_key: str


@dataclass
class SweepResult:
    created: Counter = field(default_factory=Counter)
    # Reminders that were (dry run: would be) created, kept only when asked for.
    reminders: list[Reminder] = field(default_factory=list)
    enrollments: int = 0

    def merge(self, other: SweepResult) -> None:
        self.created.update(other.created)
        self.reminders.extend(other.reminders)
        self.enrollments += other.enrollments


class _Clock:
    """The sweep's notion of time: one instant, and each zone's local date (or a pinned day)."""

    def __init__(self, now: dt.datetime, day: dt.date | None) -> None:
        self.now = now
        self.day = day
        self._dates: dict[str, dt.date] = {}

    def today(self, zone_name: str) -> dt.date:
        if self.day is not None:
            return self.day
        if zone_name not in self._dates:
            self._dates[zone_name] = self.now.astimezone(zone_or_utc(zone_name)).date()
        return self._dates[zone_name]

    def local_now(self, zone_name: str) -> dt.datetime:
        zone = zone_or_utc(zone_name)
        if self.day is not None:
            # A replayed day is seen as of its last minute, everywhere.
            return dt.datetime.combine(self.day, dt.time(23, 59), tzinfo=zone)
        return self.now.astimezone(zone)


def sweep_clock(day: dt.date | None = None) -> tuple[dt.datetime, dt.date | None]:
    """The instant a sweep for ``day`` looks from: now, or the end of a past day (UTC)."""
    now = clock.now()
    if day is None or day >= now.date():
        return now, None
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC), day


# --- entry points -----------------------------------------------------------------------------
def enrollment_id_bounds() -> tuple[int, int] | None:
    # Every enrollment, not only active ones: review and session reminders also concern
    # paused learners, and the ranges must cover them too.
    bounds = Enrollment.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return None
    return bounds["lo"], bounds["hi"] + 1


def partitions(count: int) -> list[tuple[int, int]]:
    """Enrollment id ranges ``[lo, hi)`` splitting the enrollments in ``count`` parts."""
    bounds = enrollment_id_bounds()
    if bounds is None:
        return []
    lo, hi = bounds
    count = max(1, min(count, hi - lo))
    step = -(-(hi - lo) // count)
    return [(start, min(start + step, hi)) for start in range(lo, hi, step)]


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
    """One sweep over enrollments with ids in ``[lo, hi)`` (all when not given).

    ``day`` replays a past day: every recipient's local date is that day, and nothing already
    created is created (or sent) again.
    """
    now, pinned = sweep_clock(day)
    when = _Clock(now, pinned)
    writer = _Writer(dry_run=dry_run, keep=keep_reminders or dry_run)
    try:
        _sweep_into(writer, when, lo=lo, hi=hi, include_global=include_global, progress=progress)
    except BaseException:
        writer.close(failed=True)
        raise
    writer.close()
    return writer.result


def _sweep_into(writer, when: _Clock, *, lo, hi, include_global: bool, progress) -> None:
    context = _Context.load()

    enrollments = Enrollment.objects.all()
    if lo is not None:
        enrollments = enrollments.filter(id__gte=lo)
    if hi is not None:
        enrollments = enrollments.filter(id__lt=hi)
    active = Enrollment.Status.ACTIVE
    total = enrollments.filter(status=active).count() if progress else 0

    last_id = None
    done = 0
    while True:
        # Pages by primary key alone, the status filtered here: with ``status = 'active'`` in
        # the query the planners pick the (status, cohort) index and sort every remaining
        # active row for each page, which grows with the square of the pages.
        page = enrollments if last_id is None else enrollments.filter(id__gt=last_id)
        rows = list(_enrollment_rows(page.order_by("id")[:CHUNK_SIZE]))
        if not rows:
            break
        last_id = rows[-1]["id"]
        rows = [row for row in rows if row["status"] == active]
        if rows:
            writer.write(_chunk_reminders(rows, when, context))
        done += len(rows)
        if progress:
            progress(done, total)
    writer.result.enrollments = done

    writer.write(_review_waiting(lo, hi, when, context))
    writer.write(_session_upcoming(lo, hi, when))
    if include_global:
        writer.write(_weekly_digests(when, context))


# --- shared lookups ---------------------------------------------------------------------------
@dataclass
class _Context:
    assignments: dict[int, list[tuple[int, str, int]]]
    staff: list[dict]

    @classmethod
    def load(cls) -> _Context:
        by_program: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        for row in Assignment.objects.order_by("due_week", "order").values_list(
            "program_id", "id", "title", "due_week"
        ):
            by_program[row[0]].append(row[1:])
        staff = list(
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .values("id", "preferences__timezone")
        )
        return cls(assignments=dict(by_program), staff=staff)


def _enrollment_rows(queryset) -> Iterable[dict]:
    last_log = (
        ProgressLog.objects.filter(enrollment_id=OuterRef("pk"))
        .order_by("-logged_on")
        .values("logged_on")[:1]
    )
    mentor_user = Pairing.objects.filter(
        enrollment_id=OuterRef("pk"), ended_at__isnull=True
    ).values("mentor__user_id")[:1]
    return queryset.annotate(
        last_logged_on=Subquery(last_log), mentor_user_id=Subquery(mentor_user)
    ).values(
        "id",
        "status",
        "learner_id",
        "paused_days",
        "enrolled_at",
        "cohort__start_date",
        "cohort__timezone",
        "cohort__program_id",
        "learner__preferences__timezone",
        "last_logged_on",
        "mentor_user_id",
    )


APPROVED = Submission.Status.APPROVED.value


def _chunk_reminders(rows: list[dict], when: _Clock, context: _Context) -> Iterable[Reminder]:
    first, last = rows[0]["id"], rows[-1]["id"]
    pauses: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    if any(row["paused_days"] for row in rows):
        # Sorted by start, as the progress engine's schedule arithmetic expects.
        for enrollment_id, start, end in (
            Pause.objects.filter(enrollment_id__gte=first, enrollment_id__lte=last)
            .order_by("enrollment_id", "start")
            .values_list("enrollment_id", "start", "end")
        ):
            pauses[enrollment_id].append((start, end))
    submitted: set[tuple[int, int]] = set()
    approved: set[tuple[int, int]] = set()
    # Eight or so versions per learner: read straight from the driver (three plain columns, no
    # converters to apply), a sixth of the cost of iterating the queryset.
    for enrollment_id, assignment_id, status in raw_rows(
        Submission.objects.filter(enrollment_id__gte=first, enrollment_id__lte=last)
        .order_by()
        .values_list("enrollment_id", "assignment_id", "status")
    ):
        submitted.add((enrollment_id, assignment_id))
        if status == APPROVED:
            approved.add((enrollment_id, assignment_id))

    due_soon_days = settings.STRIDE_DUE_SOON_DAYS
    inactive_days = settings.STRIDE_INACTIVE_DAYS
    mentor_inactive_days = settings.STRIDE_INACTIVE_MENTOR_DAYS
    # Learners of a cohort share their local day and (unless paused) every due date, so the
    # texts of a reminder are made once per (assignment, due date, day) and reused.
    texts: dict[tuple[int, dt.date, dt.date], tuple] = {}

    def text_for(assignment_id: int, title: str, due: dt.date, today: dt.date) -> tuple:
        text = texts.get((assignment_id, due, today))
        if text is None:
            text = texts[assignment_id, due, today] = _assignment_texts(title, due, today)
        return text

    # The assignments that can remind anyone, per (program, cohort start, day): a pause only
    # moves a due date later, so one due more than ``due_soon_days`` ahead on the unpaused
    # schedule cannot remind a paused learner either (most of a six-month program, most days).
    candidates: dict[tuple[int, dt.date, dt.date], list[tuple[int, str, int, tuple]]] = {}
    for row in rows:
        enrollment_id = row["id"]
        zone_name = row["learner__preferences__timezone"] or row["cohort__timezone"]
        today = when.today(zone_name)
        start = row["cohort__start_date"]
        if start > today:
            continue
        learner, mentor = row["learner_id"], row["mentor_user_id"]
        link = f"/enrollments/{enrollment_id}/"
        enrollment_pauses = pauses.get(enrollment_id)

        program_id = row["cohort__program_id"]
        reachable = candidates.get((program_id, start, today))
        if reachable is None:
            reachable = candidates[program_id, start, today] = []
            for assignment_id, title, due_week in context.assignments.get(program_id, ()):
                text = text_for(assignment_id, title, start + dt.timedelta(weeks=due_week), today)
                if text[0] <= due_soon_days:
                    reachable.append((assignment_id, title, due_week, text))

        for assignment_id, title, due_week, unpaused_text in reachable:
            text = unpaused_text
            if enrollment_pauses:
                due = shift_due_date(start + dt.timedelta(weeks=due_week), enrollment_pauses)
                text = text_for(assignment_id, title, due, today)
            days_left = text[0]
            if days_left > due_soon_days:
                continue
            if days_left >= 0:
                if (enrollment_id, assignment_id) not in submitted:
                    yield Reminder(
                        learner,
                        Kind.DUE_SOON,
                        text[1],
                        text[2],
                        link,
                        f"due_soon:{enrollment_id}:{assignment_id}:{text[3]}",
                    )
            elif (enrollment_id, assignment_id) not in approved:
                prefix = f"overdue:{enrollment_id}:{assignment_id}:w{text[3]}"
                yield Reminder(learner, Kind.OVERDUE, text[1], text[2], link, f"{prefix}:learner")
                if mentor:
                    yield Reminder(
                        mentor,
                        Kind.OVERDUE,
                        text[4],
                        text[5],
                        link,
                        f"{prefix}:mentor:{mentor}",
                    )

        enrolled_on = row["enrolled_at"].astimezone(zone_or_utc(zone_name)).date()
        baseline = max(d for d in (row["last_logged_on"], start, enrolled_on) if d is not None)
        idle = (today - baseline).days
        if idle >= inactive_days:
            period = idle // inactive_days
            prefix = f"inactive:{enrollment_id}:{baseline.isoformat()}:p{period}"
            body = f"No progress has been logged for {idle} days (since {baseline:%-d %B})."
            yield Reminder(
                learner,
                Kind.INACTIVE,
                "Log your progress to keep your pace",
                body + " Even a short session keeps the momentum going.",
                f"{link}#log",
                f"{prefix}:learner",
            )
            if mentor and idle >= mentor_inactive_days:
                yield Reminder(
                    mentor,
                    Kind.INACTIVE,
                    f"A learner has been inactive for {idle} days",
                    body + " Consider reaching out.",
                    link,
                    f"{prefix}:mentor:{mentor}",
                )


def _assignment_texts(title: str, due: dt.date, today: dt.date) -> tuple:
    """What every learner with this due date on this day is told about the assignment.

    ``(days_left, subject, body, key part)`` for a due-soon reminder (key part: the due date),
    ``(days_left, subject, body, week overdue, mentor subject, mentor body)`` for an overdue one.
    """
    days_left = (due - today).days
    if days_left >= 0:
        when_text = {0: "today", 1: "tomorrow"}.get(days_left, f"in {days_left} days")
        return (
            days_left,
            f"“{title}” is due {when_text}",
            f"Your assignment “{title}” is due on {due:%A %-d %B} ({when_text}). "
            "Submit your work before the end of the day.",
            due.isoformat(),
        )
    late = -days_left
    body = (
        f"“{title}” was due on {due:%A %-d %B}, {late} day{'s' * (late != 1)} ago, "
        "and is not approved yet."
    )
    return (
        days_left,
        f"“{title}” is overdue",
        body,
        (late - 1) // 7,
        f"A learner's “{title}” is overdue",
        f"{body} You mentor this learner.",
    )


def _active_mentor_user():
    return Pairing.objects.filter(
        enrollment_id=OuterRef("enrollment_id"), ended_at__isnull=True
    ).values("mentor__user_id")[:1]


def _in_range(queryset, lo: int | None, hi: int | None):
    if lo is not None:
        queryset = queryset.filter(enrollment_id__gte=lo)
    if hi is not None:
        queryset = queryset.filter(enrollment_id__lt=hi)
    return queryset


def _review_waiting(lo, hi, when: _Clock, context: _Context) -> Iterable[Reminder]:
    first_step = dt.timedelta(hours=settings.STRIDE_REVIEW_WAITING_HOURS)
    staff_step = dt.timedelta(hours=settings.STRIDE_REVIEW_ESCALATE_HOURS)
    waiting = _in_range(
        Submission.objects.filter(
            status=Submission.Status.SUBMITTED, submitted_at__lte=when.now - first_step
        ),
        lo,
        hi,
    ).exclude(enrollment__status=Enrollment.Status.WITHDRAWN)
    rows = waiting.annotate(mentor_user_id=Subquery(_active_mentor_user())).values_list(
        "id", "version", "submitted_at", "assignment__title", "mentor_user_id"
    )
    for submission_id, version, submitted_at, title, mentor in rows.iterator(chunk_size=2000):
        hours = int((when.now - submitted_at).total_seconds() // 3600)
        link = f"/submissions/{submission_id}/"
        subject = f"“{title}” (v{version}) has waited {hours} hours for review"
        if mentor:
            yield Reminder(
                mentor,
                Kind.REVIEW_WAITING,
                subject,
                f"A submission of “{title}” has been waiting for your review since "
                f"{submitted_at:%-d %B %H:%M} UTC.",
                link,
                f"review_waiting:{submission_id}:mentor:{mentor}",
            )
        if submitted_at <= when.now - staff_step:
            for staff in context.staff:
                yield Reminder(
                    staff["id"],
                    Kind.REVIEW_WAITING,
                    subject,
                    f"A submission of “{title}” has waited {hours} hours without a review"
                    + ("." if mentor else " and the learner has no active mentor."),
                    link,
                    f"review_waiting:{submission_id}:staff:{staff['id']}",
                )


def _session_upcoming(lo, hi, when: _Clock) -> Iterable[Reminder]:
    horizon = when.now + dt.timedelta(hours=settings.STRIDE_SESSION_UPCOMING_HOURS)
    # A replay never reminds of a session that has already begun.
    earliest = max(when.now, clock.now())
    sessions = _in_range(
        MentorSession.objects.filter(
            status=MentorSession.Status.SCHEDULED,
            scheduled_at__gt=earliest,
            scheduled_at__lte=horizon,
        ),
        lo,
        hi,
    ).values_list(
        "id",
        "scheduled_at",
        "duration_minutes",
        "enrollment__learner_id",
        "enrollment__learner__preferences__timezone",
        "enrollment__cohort__timezone",
        "pairing__mentor__user_id",
        "pairing__mentor__user__preferences__timezone",
        "pairing__mentor__timezone",
    )
    for row in sessions.iterator(chunk_size=2000):
        session_id, scheduled_at, minutes, learner, learner_zone, cohort_zone = row[:6]
        mentor, mentor_pref_zone, mentor_zone = row[6:]
        link = f"/sessions/{session_id}/"
        for recipient, zone_name in (
            (learner, learner_zone or cohort_zone),
            (mentor, mentor_pref_zone or mentor_zone),
        ):
            local = scheduled_at.astimezone(zone_or_utc(zone_name))
            yield Reminder(
                recipient,
                Kind.SESSION_UPCOMING,
                f"Mentor session {local:%a %-d %b, %H:%M} ({zone_name})",
                f"Your {minutes}-minute mentor session starts on {local:%A %-d %B at %H:%M} "
                f"({zone_name}).",
                link,
                f"session_upcoming:{session_id}:{recipient}",
            )


def _weekly_digests(when: _Clock, context: _Context) -> Iterable[Reminder]:
    """Monday from 08:00 in each recipient's zone, once per ISO week."""
    mentors = Mentor.objects.filter(is_active=True, user__is_active=True).values_list(
        "user_id", "user__preferences__timezone", "timezone"
    )
    recipients: dict[int, tuple[str, bool]] = {}
    for user_id, preferred, own in mentors:
        recipients[user_id] = (preferred or own or "UTC", False)
    for staff in context.staff:
        recipients[staff["id"]] = (staff["preferences__timezone"] or "UTC", True)

    due: list[tuple[int, bool, str]] = []
    for user_id, (zone_name, is_staff) in recipients.items():
        local = when.local_now(zone_name)
        if local.isoweekday() == 1 and local.time() >= dt.time(8, 0):
            year, week, _ = local.isocalendar()
            due.append((user_id, is_staff, f"{year}-W{week:02d}"))
    if not due:
        return

    mentor_load = dict(
        Pairing.objects.filter(ended_at__isnull=True, enrollment__status=Enrollment.Status.ACTIVE)
        .values_list("mentor__user_id")
        .annotate(n=Count("id"))
    )
    open_submissions = Submission.objects.filter(status=Submission.Status.SUBMITTED)
    waiting_by_mentor = dict(
        open_submissions.filter(enrollment__pairings__ended_at__isnull=True)
        .values_list("enrollment__pairings__mentor__user_id")
        .annotate(n=Count("id"))
    )
    open_help = HelpRequest.objects.filter(answered_at__isnull=True)
    help_by_mentor = dict(
        open_help.filter(enrollment__pairings__ended_at__isnull=True)
        .values_list("enrollment__pairings__mentor__user_id")
        .annotate(n=Count("id"))
    )
    week_ahead = MentorSession.objects.filter(
        status=MentorSession.Status.SCHEDULED,
        scheduled_at__gte=when.now,
        scheduled_at__lt=when.now + dt.timedelta(days=7),
    )
    sessions_by_mentor = dict(
        week_ahead.values_list("pairing__mentor__user_id").annotate(n=Count("id"))
    )
    totals = None
    if any(is_staff for _, is_staff, _ in due):
        totals = {
            "active": Enrollment.objects.filter(status=Enrollment.Status.ACTIVE).count(),
            "unpaired": Enrollment.objects.filter(status=Enrollment.Status.ACTIVE)
            .exclude(id__in=Pairing.objects.filter(ended_at__isnull=True).values("enrollment_id"))
            .count(),
            "waiting": open_submissions.count(),
            "help": open_help.count(),
            "sessions": week_ahead.count(),
        }

    for user_id, is_staff, week in due:
        if is_staff and totals is not None:
            body = (
                f"This week across all cohorts: {totals['active']} active learners "
                f"({totals['unpaired']} without a mentor), {totals['waiting']} submissions "
                f"waiting for review, {totals['help']} open help requests and "
                f"{totals['sessions']} sessions scheduled."
            )
            link = "/"
        else:
            body = (
                f"This week: {mentor_load.get(user_id, 0)} learners paired with you, "
                f"{waiting_by_mentor.get(user_id, 0)} submissions waiting for your review, "
                f"{help_by_mentor.get(user_id, 0)} open help requests and "
                f"{sessions_by_mentor.get(user_id, 0)} sessions in the next seven days."
            )
            link = "/reviews/queue/"
        yield Reminder(
            user_id,
            Kind.WEEKLY_DIGEST,
            f"Your Stride week {week}",
            body,
            link,
            f"weekly_digest:{user_id}:{week}",
        )


# --- writing ----------------------------------------------------------------------------------
class _Writer:
    """Inserts reminders in bounded batches (the unique dedupe key drops those already given)
    and, once the sweep is over and its rows are committed, publishes one task that hands
    their emails to the workers.

    Every row of one sweep carries the same stamp as ``created_at`` and ``email_enqueued_at``:
    the publish task finds the sweep's rows by it (an id range plus that stamp), and should the
    publish never happen (broker away, process killed) the outbox flush treats the stamp as an
    old enqueue and publishes the rows once the claim lease has passed. Either way every new row
    is published at least once, and the delivery claim sends each email at most once.
    """

    def __init__(self, *, dry_run: bool, keep: bool) -> None:
        self.dry_run = dry_run
        self.keep = keep
        self.result = SweepResult()
        self.stamp = clock.now()
        self.first_id: int | None = None
        self.last_id: int | None = None
        self._pending: list[Reminder] = []
        self._queue: queue.Queue | None = None
        self._error: BaseException | None = None
        if not dry_run and _can_write_in_background():
            # The database inserts one batch while this thread builds the next: each batch is
            # its own transaction either way, so nothing but the overlap changes.
            self._queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(target=self._drain, name="sweep-writer", daemon=True)
            self._thread.start()

    def write(self, reminders: Iterable[Reminder]) -> None:
        pending = self._pending
        for reminder in reminders:
            pending.append(reminder)
            if len(pending) >= WRITE_BATCH:
                self._hand_over()
                pending = self._pending

    def close(self, *, failed: bool = False) -> None:
        """Write what is left and wait for the writer; then publish (unless ``failed``)."""
        try:
            if self._pending and not failed:
                self._hand_over()
        finally:
            if self._queue is not None:
                self._queue.put(None)
                self._thread.join()
                self._queue = None
        if failed:
            return
        if self._error is not None:
            raise self._error
        self._publish()

    def _hand_over(self) -> None:
        batch, self._pending = self._pending, []
        if self._queue is None:
            self._flush(batch)
            return
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    def _drain(self) -> None:
        try:
            while (batch := self._queue.get()) is not None:
                if self._error is None:
                    try:
                        self._flush(batch)
                    except BaseException as exc:  # re-raised in the sweep's own thread
                        self._error = exc
        finally:
            connection.close()

    def _flush(self, batch: list[Reminder]) -> None:
        unique = {reminder.dedupe_key: reminder for reminder in batch}
        if self.dry_run:
            new = [unique[key] for key in _unused_keys(list(unique))]
        else:
            # No read before the write: the insert itself reports which keys were free, so a
            # concurrent sweep's rows are neither counted nor published by this one.
            with transaction.atomic():
                inserted = _insert_ignoring_duplicates(list(unique.values()), self.stamp)
            new = [unique[key] for _, key in inserted]
            if inserted:
                ids = [pk for pk, _ in inserted]
                low, high = min(ids), max(ids)
                self.first_id = low if self.first_id is None else min(self.first_id, low)
                self.last_id = high if self.last_id is None else max(self.last_id, high)
        for reminder in new:
            self.result.created[reminder.kind] += 1
        if self.keep:
            self.result.reminders.extend(new)

    def _publish(self) -> None:
        """After commit, one task for every email of this sweep (see the class docstring)."""
        if self.first_id is None:
            return
        first, last, stamp = self.first_id, self.last_id, self.stamp
        transaction.on_commit(lambda: enqueue_sweep_delivery(first, last, stamp))


def _can_write_in_background() -> bool:
    """A second connection may write while this one reads: not inside a caller's transaction
    (the writer could not see its rows) and not on an in-memory SQLite database (the writer's
    connection would open another one)."""
    if not BACKGROUND_WRITES or connection.in_atomic_block:
        return False
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and not connection.is_in_memory_db()


def _unused_keys(keys: list[str]) -> list[str]:
    existing: set[str] = set()
    for start in range(0, len(keys), KEY_LOOKUP_BATCH):
        existing.update(
            Notification.objects.filter(
                dedupe_key__in=keys[start : start + KEY_LOOKUP_BATCH]
            ).values_list("dedupe_key", flat=True)
        )
    return [key for key in keys if key not in existing]


_INSERT_COLUMNS = (
    "recipient_id",
    "kind",
    "subject",
    "body",
    "link",
    "dedupe_key",
    "created_at",
    "email_enqueued_at",
    "email_state",
    "email_attempts",
    "email_error",
)
# Rows per INSERT on SQLite (11 parameters each; SQLite allows 32,766 per statement).
SQLITE_ROWS_PER_STATEMENT = 500


def _insert_ignoring_duplicates(
    reminders: list[Reminder], stamp: dt.datetime
) -> list[tuple[int, str]]:
    """Insert the rows whose dedupe key is free; return ``(id, dedupe_key)`` of those inserted.

    ``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING RETURNING``: the statement
    ``bulk_create(ignore_conflicts=True)`` issues, minus the per-field model machinery (which
    costs more than the database at sweep volumes), plus ``RETURNING`` so a concurrent sweep's
    rows are told apart. On PostgreSQL the whole batch is one statement over six arrays
    (``unnest``), on SQLite (3.35+) multi-row ``VALUES``; other databases get ``bulk_create``
    and a read-back.
    """
    if connection.vendor == "postgresql":
        return _insert_postgresql(reminders, stamp)
    if connection.vendor != "sqlite":
        return _bulk_create_fallback(reminders, stamp)
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _INSERT_COLUMNS)
    value = connection.ops.adapt_datetimefield_value(stamp)
    # Constant columns are literals in the SQL, bound once per statement.
    row_sql = "(%s, %s, %s, %s, %s, %s, %s, %s, 'pending', 0, '')"
    inserted: list[tuple[int, str]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(reminders), SQLITE_ROWS_PER_STATEMENT):
            batch = reminders[start : start + SQLITE_ROWS_PER_STATEMENT]
            params: list = []
            for r in batch:
                params.extend(
                    (
                        r.recipient_id,
                        r.kind,
                        r.subject[:300],
                        r.body,
                        r.link[:500],
                        r.dedupe_key,
                        value,
                        value,
                    )
                )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "
                + ", ".join([row_sql] * len(batch))
                + ' ON CONFLICT ("dedupe_key") DO NOTHING RETURNING "id", "dedupe_key"',
                params,
            )
            inserted.extend(cursor.fetchall())
    return inserted


def _insert_postgresql(reminders: list[Reminder], stamp: dt.datetime) -> list[tuple[int, str]]:
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _INSERT_COLUMNS)
    sql = (
        f"INSERT INTO {table} ({columns}) "
        "SELECT r, k, s, b, l, d, %s, %s, 'pending', 0, '' FROM unnest("
        "%s::integer[], %s::varchar[], %s::varchar[], %s::text[], %s::varchar[], %s::varchar[]"
        ") AS t(r, k, s, b, l, d) "
        'ON CONFLICT ("dedupe_key") DO NOTHING RETURNING "id", "dedupe_key"'
    )
    params = [
        stamp,
        stamp,
        [r.recipient_id for r in reminders],
        [r.kind for r in reminders],
        [r.subject[:300] for r in reminders],
        [r.body for r in reminders],
        [r.link[:500] for r in reminders],
        [r.dedupe_key for r in reminders],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _bulk_create_fallback(reminders: list[Reminder], stamp: dt.datetime) -> list[tuple[int, str]]:
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=r.recipient_id,
                kind=r.kind,
                subject=r.subject[:300],
                body=r.body,
                link=r.link[:500],
                dedupe_key=r.dedupe_key,
                created_at=stamp,
                email_enqueued_at=stamp,
            )
            for r in reminders
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    keys = [r.dedupe_key for r in reminders]
    inserted: list[tuple[int, str]] = []
    for start in range(0, len(keys), KEY_LOOKUP_BATCH):
        inserted.extend(
            Notification.objects.filter(
                dedupe_key__in=keys[start : start + KEY_LOOKUP_BATCH],
                created_at=stamp,
                email_enqueued_at=stamp,
            ).values_list("id", "dedupe_key")
        )
    return inserted
