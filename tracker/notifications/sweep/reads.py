"""The sweep's reads: a fixed handful of queries per chunk of enrollments (keyset pages by id)
or per partition, whatever the number of enrollments. Imports the models and the progress
read helpers; nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min, OuterRef, Subquery

from curriculum.models import Assignment
from learners.models import Enrollment, HelpRequest, Pause, ProgressLog, Submission
from mentors.models import Mentor, MentorSession, Pairing
from tracker.languages import chosen_languages
from tracker.progress.fetch import raw_rows

from .clock import recipient_zone

CHUNK_SIZE = 2000
APPROVED = Submission.Status.APPROVED.value


@dataclass
class Context:
    """What every chunk needs: each program's assignments (id, title, due week, in due order),
    the active staff, and the language of everyone who chose one other than the default."""

    assignments: dict[int, list[tuple[int, str, int]]]
    staff: list[dict]
    languages: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Context:
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
        return cls(assignments=dict(by_program), staff=staff, languages=chosen_languages())


def in_range(queryset, lo: int | None, hi: int | None, *, field_name: str = "enrollment_id"):
    if lo is not None:
        queryset = queryset.filter(**{f"{field_name}__gte": lo})
    if hi is not None:
        queryset = queryset.filter(**{f"{field_name}__lt": hi})
    return queryset


def active_count(lo: int | None, hi: int | None) -> int:
    active = Enrollment.objects.filter(status=Enrollment.Status.ACTIVE)
    return in_range(active, lo, hi, field_name="id").count()


def enrollment_pages(lo: int | None, hi: int | None) -> Iterator[list[dict]]:
    """The active enrollments with ids in ``[lo, hi)``, a page of rows at a time (their last
    log date, zone and active mentor as columns)."""
    enrollments = in_range(Enrollment.objects.all(), lo, hi, field_name="id")
    active = Enrollment.Status.ACTIVE
    last_id = None
    while True:
        # Pages by primary key alone, the status filtered here: with ``status = 'active'`` in
        # the query the planners pick the (status, cohort) index and sort every remaining
        # active row for each page, which grows with the square of the pages.
        page = enrollments if last_id is None else enrollments.filter(id__gt=last_id)
        rows = list(_enrollment_rows(page.order_by("id")[:CHUNK_SIZE]))
        if not rows:
            return
        last_id = rows[-1]["id"]
        yield [row for row in rows if row["status"] == active]


def _enrollment_rows(queryset) -> Iterable[dict]:
    last_log = (
        ProgressLog.objects.filter(enrollment_id=OuterRef("pk"))
        .order_by("-logged_on")
        .values("logged_on")[:1]
    )
    return queryset.annotate(
        last_logged_on=Subquery(last_log), mentor_user_id=Subquery(_active_mentor_user("pk"))
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


@dataclass
class ChunkFacts:
    """A chunk's pauses (sorted by start, as the schedule arithmetic expects) and which
    (enrollment, assignment) pairs have a submission, and an approved one."""

    pauses: dict[int, list[tuple[dt.date, dt.date]]] = field(default_factory=dict)
    submitted: set[tuple[int, int]] = field(default_factory=set)
    approved: set[tuple[int, int]] = field(default_factory=set)


def chunk_facts(rows: list[dict]) -> ChunkFacts:
    first, last = rows[0]["id"], rows[-1]["id"]
    facts = ChunkFacts()
    if any(row["paused_days"] for row in rows):
        pauses: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
        for enrollment_id, start, end in (
            Pause.objects.filter(enrollment_id__gte=first, enrollment_id__lte=last)
            .order_by("enrollment_id", "start")
            .values_list("enrollment_id", "start", "end")
        ):
            pauses[enrollment_id].append((start, end))
        facts.pauses = dict(pauses)
    # Eight or so versions per learner: read straight from the driver (three plain columns, no
    # converters to apply), a sixth of the cost of iterating the queryset.
    for enrollment_id, assignment_id, status in raw_rows(
        Submission.objects.filter(enrollment_id__gte=first, enrollment_id__lte=last)
        .order_by()
        .values_list("enrollment_id", "assignment_id", "status")
    ):
        facts.submitted.add((enrollment_id, assignment_id))
        if status == APPROVED:
            facts.approved.add((enrollment_id, assignment_id))
    return facts


def _active_mentor_user(enrollment: str = "enrollment_id"):
    """The user id of the active mentor of the outer row's enrollment."""
    return Pairing.objects.filter(enrollment_id=OuterRef(enrollment), ended_at__isnull=True).values(
        "mentor__user_id"
    )[:1]


def waiting_submissions(lo, hi, *, submitted_before: dt.datetime):
    """``(id, version, submitted_at, title, mentor user id)`` of every submission waiting for
    a review since before ``submitted_before``, of learners who did not withdraw."""
    waiting = in_range(
        Submission.objects.filter(
            status=Submission.Status.SUBMITTED, submitted_at__lte=submitted_before
        ),
        lo,
        hi,
    ).exclude(enrollment__status=Enrollment.Status.WITHDRAWN)
    rows = waiting.annotate(mentor_user_id=Subquery(_active_mentor_user())).values_list(
        "id", "version", "submitted_at", "assignment__title", "mentor_user_id"
    )
    return rows.iterator(chunk_size=2000)


@dataclass(frozen=True)
class UpcomingSession:
    session_id: int
    scheduled_at: dt.datetime
    duration_minutes: int
    learner_id: int
    learner_zone: str
    mentor_user_id: int
    mentor_zone: str


def upcoming_sessions(lo, hi, *, after: dt.datetime, until: dt.datetime):
    """The scheduled sessions starting in ``(after, until]``, with each side's zone."""
    sessions = in_range(
        MentorSession.objects.filter(
            status=MentorSession.Status.SCHEDULED,
            scheduled_at__gt=after,
            scheduled_at__lte=until,
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
        mentor, mentor_preferred_zone, mentor_zone = row[6:]
        learner_zone = recipient_zone(learner_zone, cohort_zone)
        mentor_zone = recipient_zone(mentor_preferred_zone, mentor_zone)
        yield UpcomingSession(
            session_id, scheduled_at, minutes, learner, learner_zone, mentor, mentor_zone
        )


def digest_recipients(context: Context) -> dict[int, tuple[str, bool]]:
    """Every active mentor and staff member: ``user id -> (zone, is staff)``."""
    mentors = Mentor.objects.filter(is_active=True, user__is_active=True).values_list(
        "user_id", "user__preferences__timezone", "timezone"
    )
    recipients = {user: (recipient_zone(preferred, own), False) for user, preferred, own in mentors}
    for staff in context.staff:
        recipients[staff["id"]] = (recipient_zone(staff["preferences__timezone"]), True)
    return recipients


@dataclass
class DigestCounts:
    """Per mentor user: learners, waiting submissions, open help requests, sessions in the
    next seven days; and, when a staff member is due, the totals across all cohorts."""

    learners: dict[int, int]
    waiting: dict[int, int]
    help: dict[int, int]
    sessions: dict[int, int]
    totals: dict[str, int] | None


def _count_by(queryset, user_id: str) -> dict[int, int]:
    return dict(queryset.values_list(user_id).annotate(n=Count("id")))


def digest_counts(now: dt.datetime, *, with_totals: bool) -> DigestCounts:
    active = Enrollment.Status.ACTIVE
    paired = Pairing.objects.filter(ended_at__isnull=True, enrollment__status=active)
    open_submissions = Submission.objects.filter(status=Submission.Status.SUBMITTED)
    open_help = HelpRequest.objects.filter(answered_at__isnull=True)
    week_ahead = MentorSession.objects.filter(
        status=MentorSession.Status.SCHEDULED,
        scheduled_at__gte=now,
        scheduled_at__lt=now + dt.timedelta(days=7),
    )
    mentor = "enrollment__pairings__mentor__user_id"
    mentored = {"enrollment__pairings__ended_at__isnull": True}
    counts = DigestCounts(
        learners=_count_by(paired, "mentor__user_id"),
        waiting=_count_by(open_submissions.filter(**mentored), mentor),
        help=_count_by(open_help.filter(**mentored), mentor),
        sessions=_count_by(week_ahead, "pairing__mentor__user_id"),
        totals=None,
    )
    if with_totals:
        learners = Enrollment.objects.filter(status=active)
        counts.totals = {
            "active": learners.count(),
            "unpaired": learners.exclude(
                id__in=Pairing.objects.filter(ended_at__isnull=True).values("enrollment_id")
            ).count(),
            "waiting": open_submissions.count(),
            "help": open_help.count(),
            "sessions": week_ahead.count(),
        }
    return counts


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
