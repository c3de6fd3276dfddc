"""Build (or top up) the demo: program, staff, mentors, one cohort ten weeks in, learners.

Accounts go in with ``bulk_create`` (one shared password hash), the high-volume history as
plain tuples (``tracker.seed.rows``), so ten thousand learners take seconds. Idempotent: every
row is found by a stable name and only learners not yet in the demo cohort get a history, so a
rerun adds nothing and a larger ``--learners N`` adds the missing ones.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import models, transaction
from django.db.models import Count, Q

from curriculum.kernel import clock
from curriculum.kernel.signals import progress_inputs_change
from curriculum.models import Cohort, Program
from learners.models import DeploymentCheck, Enrollment, HelpRequest, Pause, ProgressLog, Submission
from mentors.models import Mentor, MentorSession, Pairing, Review
from tracker.seed.api_tokens import seed_api_tokens
from tracker.seed.morning import ensure_missed_session_this_week

from .capstones import seed_capstones
from .curriculum import CAPSTONE_MODULE, ensure_program
from .graduation import seed_graduation
from .histories import (
    DAY,
    SCHEDULED,
    AssignmentInfo,
    EnrollmentPlan,
    HelpRequestRow,
    LogRow,
    PairingPlan,
    ReviewRow,
    SeedContext,
    SessionRow,
    SubmissionPlan,
    SubmissionRow,
    plan_activity,
    plan_enrollment,
)
from .languages import seed_languages
from .mentoring import seed_mentor_operations
from .people import STAFF_NAME, STAFF_USERNAME, Story, learner_name, mentor_profile, story_of
from .rows import RowTable
from .sso import ensure_sso_newcomer
from .webhooks import seed_webhooks

COHORT_NAME = "ML Engineering & AI — Demo cohort"
COHORT_TIMEZONE = "Europe/Berlin"
COHORT_WEEKS_IN = 10
# A cohort that finished two months ago: graduates with deployed capstones, for the program
# insights (which compare cohorts) and for a look at a complete history.
PAST_COHORT_NAME = "ML Engineering & AI — Spring cohort"
PAST_COHORT_TIMEZONE = "Europe/London"
PAST_COHORT_ENDED_WEEKS_AGO = 8
ALUMNI = 8
EMAIL_DOMAIN = "demo.stride.example"
BATCH_SIZE = 2000
CHUNK_LEARNERS = 1000
# Mentors are sized so every learner gets a seat, with a little slack for re-pairing.
LEARNERS_PER_MENTOR = 8
MIN_MENTORS = 4


@dataclass
class SeedResult:
    program: Program
    cohort: Cohort
    staff_username: str
    mentor_usernames: list[str]
    learner_usernames: list[str]
    learners_created: int
    mentors_created: int
    alumni_usernames: list[str] = field(default_factory=list)
    stories: dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def explicit_timestamps(*model_fields: models.DateTimeField) -> Iterator[None]:
    """Lift ``auto_now``/``auto_now_add`` for the seed (a single-threaded command): its
    history needs rows "created" weeks ago. Tuple-written tables need no such help."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in model_fields]
    try:
        for f in model_fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def seed_demo(*, learners: int = 24, password: str = "stride-demo") -> SeedResult:
    """Create or top up the demo data; returns what the accounts are."""
    if learners < 0:
        raise ValueError("learners must be zero or more")
    password_hash = make_password(password)
    stamped = Enrollment._meta.get_field("enrolled_at"), Pause._meta.get_field("created_at")
    with transaction.atomic(), explicit_timestamps(*stamped):
        program = ensure_program()
        staff = _ensure_staff(password_hash)
        cohort = _ensure_cohort(program)
        ctx = _context(program, cohort)
        existing = set(
            Enrollment.objects.filter(cohort=cohort).values_list("learner__username", flat=True)
        )
        numbers = [n for n in range(1, learners + 1) if f"learner{n}" not in existing]
        seats_needed = sum(1 for n in numbers if not story_of(n).withdrawn)
        mentors, mentors_created = _ensure_mentors(password_hash, seats_needed=seats_needed)
        _create_learners(ctx, cohort, staff, numbers, mentors, password_hash)
        alumni = _ensure_past_cohort(program, staff, mentors, password_hash)
        seed_graduation(
            program=program, staff=staff, password_hash=password_hash, past_cohort=PAST_COHORT_NAME
        )
        seed_webhooks(staff=staff, cohort=cohort)
        seed_capstones(program, cohort_name=PAST_COHORT_NAME)
        ensure_missed_session_this_week(cohort)  # the staff home's column (tracker/seed/morning)
        # Every demo mentor, the capstone cohort's (tracker/seed/graduation) included.
        seed_mentor_operations(mentors=list(Mentor.objects.select_related("user").order_by("pk")))
        _sync_passwords(password, password_hash)
        ensure_sso_newcomer(email_domain=EMAIL_DOMAIN)
        seed_api_tokens(staff=staff, mentors=mentors)
        seed_languages()
        # bulk_create writes past the services: every stored progress row is outdated at once.
        progress_inputs_change(everything=True)
    learner_usernames = sorted(
        Enrollment.objects.filter(cohort=cohort, learner__username__regex=r"^learner[0-9]+$")
        .values_list("learner__username", flat=True),
        key=lambda name: int(name.removeprefix("learner")),
    )  # fmt: skip
    return SeedResult(
        program=program,
        cohort=cohort,
        staff_username=STAFF_USERNAME,
        mentor_usernames=[m.user.username for m in mentors],
        learner_usernames=learner_usernames,
        learners_created=len(numbers),
        mentors_created=mentors_created,
        alumni_usernames=alumni,
        stories={
            name: story_of(int(name.removeprefix("learner"))).label for name in learner_usernames
        },
    )


def _ensure_staff(password_hash: str):
    user_model = get_user_model()
    staff, _ = user_model.objects.get_or_create(
        username=STAFF_USERNAME,
        defaults={
            "first_name": STAFF_NAME[0],
            "last_name": STAFF_NAME[1],
            "email": f"{STAFF_USERNAME}@{EMAIL_DOMAIN}",
            "is_staff": True,
            "is_superuser": True,
            "password": password_hash,
        },
    )
    return staff


def _ensure_cohort(program: Program) -> Cohort:
    today = clock.today(COHORT_TIMEZONE)
    cohort, _ = Cohort.objects.get_or_create(
        name=COHORT_NAME,
        defaults={
            "program": program,
            "start_date": today - dt.timedelta(weeks=COHORT_WEEKS_IN),
            "timezone": COHORT_TIMEZONE,
        },
    )
    return cohort


def _context(program: Program, cohort: Cohort) -> SeedContext:
    assignments = list(
        program.assignments.order_by("due_week", "order").prefetch_related("rubric_criteria")
    )
    modules = list(program.modules.order_by("order"))
    capstone = next((m for m in modules if m.title == CAPSTONE_MODULE.title), modules[-1])
    regular = [m for m in modules if m.pk != capstone.pk]
    week_modules = [
        next((m.pk for m in regular if m.start_week <= week <= m.end_week), capstone.pk)
        for week in range(1, program.length_weeks + 1)
    ]
    zone = ZoneInfo(cohort.timezone)
    return SeedContext(
        start_date=cohort.start_date,
        zone=zone,
        today=clock.today(zone),
        now=clock.now(),
        assignments=tuple(
            AssignmentInfo(
                id=a.pk,
                title=a.title,
                kind=a.kind,
                weight=a.weight,
                due_week=a.due_week,
                criteria=tuple((c.pk, c.max_score) for c in a.rubric_criteria.all()),
            )
            for a in assignments
        ),
        week_modules=tuple(week_modules),
        capstone_module_id=capstone.pk,
        capstone_start_week=capstone.start_week,
    )


def _ensure_mentors(password_hash: str, *, seats_needed: int) -> tuple[list[Mentor], int]:
    """mentor1..mentorM (at least four) with ``seats_needed`` free seats between them."""
    already = Mentor.objects.filter(user__username__regex=r"^mentor[0-9]+$").count()
    wanted = max(MIN_MENTORS, already, math.ceil(seats_needed / LEARNERS_PER_MENTOR))
    created = 0
    while True:
        mentors, new = _mentor_accounts(password_hash, wanted)
        created += new
        free = sum(max(0, m.capacity - m.active) for m in mentors)
        if free >= seats_needed:
            return mentors, created
        wanted += math.ceil((seats_needed - free) / LEARNERS_PER_MENTOR)


def _demo_users(names: dict[str, tuple[str, str]], password_hash: str) -> dict[str, Any]:
    """The demo accounts ``{username: (first name, last name)}`` by username, the missing ones
    created (in bulk, with the shared password hash)."""
    user_model = get_user_model()
    users = {u.username: u for u in user_model.objects.filter(username__in=list(names))}
    new_users = [
        user_model(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{EMAIL_DOMAIN}",
            password=password_hash,
        )
        for username, (first, last) in names.items()
        if username not in users
    ]
    for user in user_model.objects.bulk_create(new_users, batch_size=BATCH_SIZE):
        users[user.username] = user
    return users


def _mentor_accounts(password_hash: str, wanted: int) -> tuple[list[Mentor], int]:
    usernames = [f"mentor{n}" for n in range(1, wanted + 1)]
    profiles = {username: mentor_profile(n) for n, username in enumerate(usernames, start=1)}
    users = _demo_users(
        {username: (p.first_name, p.last_name) for username, p in profiles.items()}, password_hash
    )
    have_profile = set(
        Mentor.objects.filter(user__username__in=usernames).values_list("user__username", flat=True)
    )
    new_mentors = [
        Mentor(
            user=users[username],
            capacity=profile.capacity,
            expertise=list(profile.expertise),
            timezone=profile.timezone,
            bio=profile.bio,
        )
        for username, profile in profiles.items()
        if username not in have_profile
    ]
    Mentor.objects.bulk_create(new_mentors, batch_size=BATCH_SIZE)
    mentors = list(
        Mentor.objects.filter(user__username__in=usernames)
        .select_related("user")
        .annotate(active=Count("pairings", filter=Q(pairings__ended_at__isnull=True)))
    )
    mentors.sort(key=lambda m: int(m.user.username.removeprefix("mentor")))
    return mentors, len(new_mentors)


def _seats(mentors: list[Mentor], needed: int) -> list[Mentor]:
    """``needed`` free seats handed out round-robin, never past a mentor's capacity."""
    seats: list[Mentor] = []
    round_ = 0
    max_capacity = max((m.capacity for m in mentors), default=0)
    while len(seats) < needed and round_ < max_capacity:
        for mentor in mentors:
            if mentor.active + round_ < mentor.capacity:
                seats.append(mentor)
                if len(seats) == needed:
                    break
        round_ += 1
    if len(seats) < needed:
        raise RuntimeError("The demo mentors have fewer free seats than there are new learners.")
    return seats


def _create_learners(ctx, cohort, staff, numbers, mentors, password_hash) -> None:
    """Learners in chunks, so memory stays flat however many are asked for."""
    seats_needed = sum(1 for n in numbers if not story_of(n).withdrawn)
    seats = iter(_seats(mentors, seats_needed))
    for start in range(0, len(numbers), CHUNK_LEARNERS):
        chunk = numbers[start : start + CHUNK_LEARNERS]
        _create_chunk(ctx, cohort, staff, chunk, mentors, seats, password_hash)


def _create_chunk(ctx, cohort, staff, numbers, mentors, seats, password_hash) -> None:
    users = _demo_users({f"learner{n}": learner_name(n) for n in numbers}, password_hash)

    plans: list[EnrollmentPlan] = [plan_enrollment(ctx, n, story_of(n)) for n in numbers]
    enrollments = Enrollment.objects.bulk_create(
        [
            Enrollment(
                cohort=cohort,
                learner=users[f"learner{plan.number}"],
                status=plan.status,
                enrolled_at=plan.enrolled_at,
                status_changed_at=plan.status_changed_at,
                paused_days=plan.paused_days,
            )
            for plan in plans
        ],
        batch_size=BATCH_SIZE,
    )
    Pause.objects.bulk_create(
        [
            Pause(
                enrollment=enrollment,
                start=plan.pause[0],
                end=plan.pause[1],
                reason=plan.pause[2],
                created_by=staff,
                created_at=ctx.local(plan.pause[0], 9) - DAY,
            )
            for plan, enrollment in zip(plans, enrollments, strict=True)
            if plan.pause is not None
        ],
        batch_size=BATCH_SIZE,
    )

    # Active learners take a seat; a withdrawn learner's pairing is history and takes none.
    chains: list[list[Pairing]] = []
    for plan, enrollment in zip(plans, enrollments, strict=True):
        if plan.withdrawn_at is None:
            mentor = next(seats)
            mentor.active += 1
            end = (None, "")
        else:
            mentor = mentors[plan.number % len(mentors)]
            end = (plan.withdrawn_at, "Learner withdrew")
        # (mentor, started, ended, end reason) of each pairing, the last one's end as planned.
        chain = [(mentor, plan.enrolled_at, *end)]
        if plan.story.repaired:
            # The first mentor left after four weeks; the pairing stays as history.
            first = mentors[(mentors.index(mentor) + 1) % len(mentors)]
            if first.pk != mentor.pk:
                moved = ctx.local(ctx.start_date + 28 * DAY, 12)
                reason = "Mentor's time zone no longer fits the learner's schedule"
                chain = [(first, plan.enrolled_at, moved, reason), (mentor, moved, *end)]
        chains.append(
            [
                Pairing(
                    enrollment=enrollment,
                    mentor=m,
                    started_at=started,
                    ended_at=ended,
                    end_reason=reason,
                    created_by=staff,
                )
                for m, started, ended, reason in chain
            ]
        )
    Pairing.objects.bulk_create([p for chain in chains for p in chain], batch_size=BATCH_SIZE)

    activities = [
        plan_activity(
            ctx, plan, enrollment.pk,
            PairingPlan([p.pk for p in chain], [p.mentor.user_id for p in chain],
                        [p.started_at for p in chain]),
        )
        for plan, enrollment, chain in zip(plans, enrollments, chains, strict=True)
    ]  # fmt: skip
    _write_activity(
        [row for activity in activities for row in activity.sessions],
        [row for activity in activities for row in activity.logs],
        [row for activity in activities for row in activity.submissions],
        [row for activity in activities for row in activity.help_requests],
    )


def _write_activity(
    sessions: Iterable[SessionRow],
    logs: Iterable[LogRow],
    submission_plans: list[SubmissionPlan],
    help_requests: Iterable[HelpRequestRow],
) -> dict[tuple[int, int, int], int]:
    """Write the planned history of new enrollments; returns each submission's id by its key."""
    RowTable(MentorSession, SessionRow).insert(sessions)
    RowTable(ProgressLog, LogRow).insert(logs)
    RowTable(Submission, SubmissionRow).insert(plan.submission for plan in submission_plans)
    # Reviews point at their submission: read the new ids back by the unique key.
    saved = Submission.objects.filter(
        enrollment_id__in={plan.submission.enrollment_id for plan in submission_plans}
    ).values_list("enrollment_id", "assignment_id", "version", "pk")
    ids = {(enrollment, assignment, version): pk for enrollment, assignment, version, pk in saved}
    reviews = (plan.review(ids[plan.submission.key]) for plan in submission_plans)
    RowTable(Review, ReviewRow).insert(review for review in reviews if review is not None)
    RowTable(HelpRequest, HelpRequestRow).insert(help_requests)
    return ids


def _ensure_past_cohort(program, staff, mentors, password_hash) -> list[str]:
    """The finished cohort, built once: graduates (and one who withdrew) with every assignment
    approved, the final milestone deployed and checked, and their pairings ended."""
    usernames = [f"alumni{n}" for n in range(1, ALUMNI + 1)]
    if Cohort.objects.filter(name=PAST_COHORT_NAME).exists():
        return usernames
    zone = ZoneInfo(PAST_COHORT_TIMEZONE)
    ended = clock.today(zone) - dt.timedelta(weeks=PAST_COHORT_ENDED_WEEKS_AGO)
    cohort = Cohort.objects.create(
        program=program,
        name=PAST_COHORT_NAME,
        start_date=ended - dt.timedelta(weeks=program.length_weeks),
        timezone=PAST_COHORT_TIMEZONE,
    )
    live = _context(program, cohort)
    # Lay the histories out as they stood on the last day, then close them.
    ctx = dataclasses.replace(
        live, today=ended, now=dt.datetime.combine(ended, dt.time(18), tzinfo=zone)
    )
    final_milestone = max(
        (a for a in ctx.assignments if a.kind == "milestone"), key=lambda a: a.due_week
    )
    names = {username: learner_name(n + 500) for n, username in enumerate(usernames, start=1)}
    existing = _demo_users(names, password_hash)

    sessions: list[SessionRow] = []
    logs: list[LogRow] = []
    submission_plans: list[SubmissionPlan] = []
    checks: list[tuple[tuple[int, int, int], dt.datetime]] = []
    for number, username in enumerate(usernames, start=1):
        withdrew = number == ALUMNI
        target = "slipping" if withdrew else ("ahead" if number % 3 == 0 else "on_track")
        story = Story(target, "alumni", quiet_days=0, withdrawn=withdrew)
        # Numbers apart from the live cohort's, so the alumni get histories of their own.
        plan = plan_enrollment(ctx, 1000 + number, story)
        if withdrew:
            plan.withdrawn_at = ctx.local(cohort.start_date + dt.timedelta(weeks=9), 12)
            plan.status_changed_at = plan.withdrawn_at
        closed_at = plan.withdrawn_at or ctx.now
        enrollment = Enrollment.objects.create(
            cohort=cohort,
            learner=existing[username],
            status=Enrollment.Status.WITHDRAWN if withdrew else Enrollment.Status.GRADUATED,
            enrolled_at=plan.enrolled_at,
            status_changed_at=closed_at,
        )
        mentor = mentors[number % len(mentors)]
        pairing = Pairing.objects.create(
            enrollment=enrollment,
            mentor=mentor,
            started_at=plan.enrolled_at,
            ended_at=closed_at,
            end_reason="Learner withdrew" if withdrew else "Graduated",
            created_by=staff,
        )
        chain = PairingPlan([pairing.pk], [mentor.user_id], [plan.enrolled_at])
        activity = plan_activity(ctx, plan, enrollment.pk, chain)
        sessions += [s for s in activity.sessions if s.status != SCHEDULED]
        logs += activity.logs
        for item in activity.submissions:
            if item.submission.assignment_id == final_milestone.id and item.review_verdict:
                item.submission = item.submission._replace(
                    deployment_url=f"https://alumni{number}-capstone.demo.example/api"
                )
                checks.append((item.submission.key, item.review_at))
            submission_plans.append(item)
    ids = _write_activity(sessions, logs, submission_plans, [])
    DeploymentCheck.objects.bulk_create(
        [
            DeploymentCheck(
                submission_id=ids[key],
                checked_at=reviewed_at - dt.timedelta(hours=hours),
                status_code=status,
                ok=status == 200,
                latency_ms=latency,
                error="" if status == 200 else "HTTP 502 from the service",
            )
            for key, reviewed_at in checks
            for hours, status, latency in ((30, 502, 1240), (2, 200, 184))
        ]
    )
    return usernames


def _sync_passwords(password: str, password_hash: str) -> None:
    """A rerun with another ``--password`` moves every demo account to it (one hash check)."""
    user_model = get_user_model()
    staff = user_model.objects.get(username=STAFF_USERNAME)
    if check_password(password, staff.password):
        return
    demo = Q(username=STAFF_USERNAME) | Q(
        username__regex=r"^(mentor|learner|alumni)[0-9]+$", email__endswith=f"@{EMAIL_DOMAIN}"
    )
    user_model.objects.filter(demo).update(password=password_hash)
