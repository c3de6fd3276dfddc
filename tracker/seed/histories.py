"""Turn a learner's ``Story`` into rows: pauses, sessions, progress logs, submissions, reviews.

Deterministic per learner number and clock, no database: rows are ``NamedTuple``s named after
the models' columns, for the builder to write in bulk. Histories follow the learner's
pause-shifted due dates and today, so a cohort topped up weeks later still has every pace.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from curriculum.models import Assignment
from learners.models import Enrollment, Submission, shifted_due_date
from mentors.models import MentorSession, Review

from .people import LOG_RATE, TARGET_DELTA, Story

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)

LOG_NOTES = (
    "Worked through the lecture notebook.",
    "Exercises, then re-read the chapter on the tricky part.",
    "Pair-programmed with a cohort mate.",
    "Debugged my pipeline; tests pass now.",
    "Watched the recorded session and took notes.",
    "Read two papers and summarised them.",
    "Capstone: explored the dataset.",
    "Refactored last week's code after the review.",
)
SESSION_NOTES = (
    "Reviewed last week's work and set goals for the next one.",
    "Walked through the project feedback together.",
    "Career chat and a mock technical interview.",
    "Debugged the training loop live.",
    "Planned the capstone milestones.",
)
APPROVED_FEEDBACK = (
    "Solid work: clear structure, tests pass, and the README explains the result well.",
    "Approved. The validation is honest; consider plotting the residuals next time.",
    "Nicely done. Small nit: pin your dependencies.",
)
CHANGES_FEEDBACK = (
    "Close! The evaluation leaks test data into training; please split before scaling.",
    "Please add tests for the cleaning step and explain the choice of metric.",
    "The notebook does not run top to bottom; make it reproducible and resubmit.",
)


# Stored values of the choices, as plain strings (what the database holds).
SCHEDULED = MentorSession.Status.SCHEDULED.value
CANCELLED = MentorSession.Status.CANCELLED.value
MISSED = MentorSession.Status.MISSED.value
COMPLETED = MentorSession.Status.COMPLETED.value
SUBMITTED = Submission.Status.SUBMITTED.value
APPROVED = Review.Verdict.APPROVED.value


# Rows, one type per table; the field names are the model's attribute names.
class SessionRow(NamedTuple):  # mentors.MentorSession
    enrollment_id: int
    pairing_id: int
    scheduled_at: dt.datetime
    duration_minutes: int
    status: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class LogRow(NamedTuple):  # learners.ProgressLog
    enrollment_id: int
    module_id: int
    logged_on: dt.date
    minutes: int
    note: str
    recorded_on: dt.date
    created_at: dt.datetime
    updated_at: dt.datetime


class SubmissionRow(NamedTuple):  # learners.Submission
    enrollment_id: int
    assignment_id: int
    version: int
    url: str
    note: str
    status: str
    submitted_at: dt.datetime
    status_changed_at: dt.datetime
    deployment_url: str = ""

    @property
    def key(self) -> tuple[int, int, int]:
        """What identifies the saved row (unique together), to find its id after the insert."""
        return (self.enrollment_id, self.assignment_id, self.version)


class ReviewRow(NamedTuple):  # mentors.Review
    submission_id: int
    reviewer_id: int | None
    verdict: str
    feedback: str
    scores: dict[str, int]
    created_at: dt.datetime


class HelpRequestRow(NamedTuple):  # learners.HelpRequest
    enrollment_id: int
    message: str
    created_at: dt.datetime
    answered_at: dt.datetime | None = None
    answered_by_id: int | None = None
    answer: str = ""


@dataclass(frozen=True)
class AssignmentInfo:
    id: int
    title: str
    kind: str
    weight: int
    due_week: int
    # (criterion id, max score) of the rubric, empty when the assignment has none.
    criteria: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class SeedContext:
    """What every learner's history is laid out against."""

    start_date: dt.date
    zone: ZoneInfo
    today: dt.date
    now: dt.datetime
    assignments: tuple[AssignmentInfo, ...]  # ordered by due week, then order
    # module id for each schedule week (index 0 is week 1), and the capstone module's id.
    week_modules: tuple[int, ...]
    capstone_module_id: int
    capstone_start_week: int

    @property
    def total_weight(self) -> int:
        return sum(a.weight for a in self.assignments)

    def local(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """An aware datetime at ``hour:minute`` on ``day`` in the cohort's time zone."""
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)


@dataclass
class PairingPlan:
    """The saved pairings of one enrollment over time (pairing i ends when i + 1 starts)."""

    ids: list[int]
    mentor_user_ids: list[int]
    starts: list[dt.datetime]


@dataclass
class EnrollmentPlan:
    number: int
    story: Story
    status: str
    enrolled_at: dt.datetime
    status_changed_at: dt.datetime | None
    pause: tuple[dt.date, dt.date, str] | None
    withdrawn_at: dt.datetime | None

    @property
    def paused_days(self) -> int:
        if self.pause is None:
            return 0
        start, end, _ = self.pause
        return (end - start).days + 1


@dataclass
class SubmissionPlan:
    """A submission to write and the review it gets (if any)."""

    submission: SubmissionRow
    review_verdict: str = ""
    review_at: dt.datetime | None = None
    reviewer_id: int | None = None
    scores: dict[str, int] = field(default_factory=dict)
    feedback: str = ""

    def review(self, submission_id: int) -> ReviewRow | None:
        """The review row, once the submission is saved as ``submission_id``."""
        if not self.review_verdict:
            return None
        return ReviewRow(
            submission_id=submission_id,
            reviewer_id=self.reviewer_id,
            verdict=self.review_verdict,
            feedback=self.feedback,
            scores=self.scores,
            created_at=self.review_at,
        )


@dataclass
class Activity:
    sessions: list[SessionRow]
    logs: list[LogRow]
    submissions: list[SubmissionPlan]
    help_requests: list[HelpRequestRow]


def rng_for(number: int) -> random.Random:
    return random.Random(f"stride-demo-learner-{number}")


def plan_enrollment(ctx: SeedContext, number: int, story: Story) -> EnrollmentPlan:
    """Status, pause and withdrawal of learner ``number``."""
    enrolled_at = ctx.local(ctx.start_date - 3 * DAY, 10)
    status = Enrollment.Status.ACTIVE
    status_changed_at = None
    pause = None
    withdrawn_at = None
    if story.pause == "past":
        # Ten days, a month in, long enough ago that the learner has caught up since.
        start = ctx.start_date + dt.timedelta(days=30)
        if start + 10 * DAY < ctx.today:
            pause = (start, start + 9 * DAY, "Family emergency")
    elif story.pause == "current":
        start = max(ctx.start_date, ctx.today - 3 * DAY)
        pause = (start, ctx.today + 10 * DAY, "Medical leave")
        status = Enrollment.Status.PAUSED
        status_changed_at = ctx.local(start, 9)
    if story.withdrawn:
        withdrawn_at = max(ctx.now - story.quiet_days * DAY, enrolled_at + DAY)
        status = Enrollment.Status.WITHDRAWN
        status_changed_at = withdrawn_at
    return EnrollmentPlan(
        number, story, status, enrolled_at, status_changed_at, pause, withdrawn_at
    )


def expected_weight(dues: list[tuple[dt.date, int]], today: dt.date) -> float:
    """Weight the schedule expects done by ``today``: everything due, plus a linear share of
    what falls due within the coming week (the progress engine interpolates the same way)."""
    expected = 0.0
    for due, weight in dues:
        if due <= today:
            expected += weight
        elif (due - today).days < 7:
            expected += weight * (7 - (due - today).days) / 7
    return expected


def approved_count(weights: list[int], target: float) -> int:
    """How many assignments (in due order) to approve so the approved weight lands nearest to
    ``target``."""
    approved = 0.0
    count = 0
    for weight in weights:
        if approved + weight / 2 > target:
            break
        approved += weight
        count += 1
    return count


def plan_activity(
    ctx: SeedContext,
    plan: EnrollmentPlan,
    enrollment_id: int,
    pairings: PairingPlan,
) -> Activity:
    """Sessions, progress logs, submissions with reviews and help requests of one learner."""
    story = plan.story
    rng = rng_for(plan.number)
    pauses = [(plan.pause[0], plan.pause[1])] if plan.pause else []
    # The learner's last activity: nothing after this instant.
    cutoff = ctx.now - max(story.quiet_days * DAY, 2 * HOUR)
    if plan.withdrawn_at is not None:
        cutoff = min(cutoff, plan.withdrawn_at - HOUR)

    def pairing_at(moment: dt.datetime) -> int:
        """The index of the pairing in force at ``moment``."""
        return max((i for i, start in enumerate(pairings.starts) if start <= moment), default=0)

    sessions = _sessions(ctx, plan, enrollment_id, pairings, pairing_at, rng)
    logs = _logs(ctx, plan, enrollment_id, pauses, cutoff, rng)
    submissions = _submissions(ctx, plan, enrollment_id, pairings, pairing_at, pauses, cutoff, rng)
    help_requests = _help_requests(ctx, plan, enrollment_id, pairings, rng)
    return Activity(sessions, logs, submissions, help_requests)


def _sessions(ctx, plan, enrollment_id, pairings, pairing_at, rng):
    story = plan.story
    weekday_offset = plan.number % 5
    hour = 15 + plan.number % 4
    slots: list[dt.datetime] = []
    day = ctx.start_date + weekday_offset * DAY
    while True:
        moment = ctx.local(day, hour)
        if plan.withdrawn_at is not None and moment > plan.withdrawn_at:
            break
        slots.append(moment)
        if moment > ctx.now:
            break  # one upcoming session is enough: mentors book week by week
        day += 7 * DAY
    past = [moment for moment in slots if moment <= ctx.now]
    sessions = []
    for index, moment in enumerate(slots):
        pairing_index = pairing_at(moment)
        in_pause = plan.pause is not None and plan.pause[0] <= moment.date() <= plan.pause[1]
        from_end = len(past) - index  # 1 for the latest past session
        if moment > ctx.now:
            if in_pause:
                continue
            status = SCHEDULED
        elif in_pause:
            status = CANCELLED
        elif story.missed_streak and from_end <= 2:
            status = MISSED
        elif from_end <= 2 or (story.missed_streak and from_end == 3):
            # The streak rule looks at the latest sessions: keep them honest for this story.
            status = COMPLETED
        else:
            status = MISSED if rng.random() < 0.1 else COMPLETED
        notes = rng.choice(SESSION_NOTES) if status == COMPLETED else ""
        created = min(moment - 6 * DAY, ctx.now - HOUR)
        created = max(created, pairings.starts[pairing_index])
        updated = min(max(moment + HOUR, created), ctx.now)
        minutes = 45 if index == 0 else 30
        pairing_id = pairings.ids[pairing_index]
        sessions.append(
            SessionRow(enrollment_id, pairing_id, moment, minutes, status, notes, created, updated)
        )
    return sessions


def _logs(ctx, plan, enrollment_id, pauses, cutoff, rng):
    story = plan.story
    rate = LOG_RATE[story.target]
    last_day = min(cutoff.astimezone(ctx.zone).date(), ctx.today - DAY)
    if story.quiet_days >= 1:
        last_day = min(last_day, ctx.today - story.quiet_days * DAY)
    logs = []
    day = ctx.start_date
    paused_before = 0
    while day <= last_day:
        if any(start <= day <= end for start, end in pauses):
            paused_before += 1
            day += DAY
            continue
        # Log on the last possible day so "days since the last log" is exactly the story's.
        if day == last_day or rng.random() < rate:
            week = ((day - ctx.start_date).days - paused_before) // 7 + 1
            if story.target == "ahead":
                week += 1
            module_id = ctx.week_modules[min(week, len(ctx.week_modules)) - 1]
            if week >= ctx.capstone_start_week and rng.random() < 0.2:
                module_id = ctx.capstone_module_id
            minutes = rng.choice((30, 45, 60, 90, 120, 150, 180))
            if story.target == "ahead":
                minutes += 30
            created = min(ctx.local(day, 21, rng.randrange(60)), cutoff)
            note = rng.choice(LOG_NOTES)
            # Recorded on the day it was logged, and never edited since.
            logs.append(LogRow(enrollment_id, module_id, day, minutes, note, day, created, created))
        day += DAY
    return logs


def _scores(assignment: AssignmentInfo, rng: random.Random, approved: bool) -> dict[str, int]:
    scores = {}
    for criterion_id, max_score in assignment.criteria:
        low = max(1, max_score - 2) if approved else 1
        high = max_score if approved else max(1, max_score - 1)
        scores[str(criterion_id)] = rng.randint(low, high)
    return scores


def _submissions(ctx, plan, enrollment_id, pairings, pairing_at, pauses, cutoff, rng):
    story = plan.story
    dues = [
        shifted_due_date(ctx.start_date + dt.timedelta(weeks=a.due_week), pauses)
        for a in ctx.assignments
    ]
    weights = [a.weight for a in ctx.assignments]
    expected = expected_weight(list(zip(dues, weights, strict=True)), ctx.today)
    target = expected + TARGET_DELTA[story.target] * ctx.total_weight / 100
    if plan.withdrawn_at is not None:
        # Work stopped at the withdrawal: aim at where the schedule stood then.
        then = plan.withdrawn_at.astimezone(ctx.zone).date()
        target = expected_weight(list(zip(dues, weights, strict=True)), then) - 2
    approved = approved_count(weights, target)

    # What happens to each assignment, by index into ctx.assignments.
    fate: dict[int, str] = dict.fromkeys(range(approved), "approved")
    if story.stale_changes:
        candidates = [i for i in fate if dues[i] <= ctx.today - 10 * DAY]
        projects = [i for i in candidates if ctx.assignments[i].kind == Assignment.Kind.PROJECT]
        if projects or candidates:
            fate[(projects or candidates)[-1]] = "stale"
    if story.overdue_milestone:
        milestones = [
            i
            for i, a in enumerate(ctx.assignments)
            if a.kind == Assignment.Kind.MILESTONE and dues[i] < ctx.today
        ]
        if milestones:
            fate[milestones[-1]] = "recent_changes"
    if story.quiet_days < 7 and approved < len(ctx.assignments) and plan.withdrawn_at is None:
        fate.setdefault(approved, "waiting")

    def version(index, number, submitted, verdict="", reviewed=None) -> SubmissionPlan:
        """One submitted version and, when ``verdict`` is given, its review."""
        assignment = ctx.assignments[index]
        submission = SubmissionRow(
            enrollment_id=enrollment_id,
            assignment_id=assignment.id,
            version=number,
            url=f"https://github.com/demo-learner{plan.number}/ml-bootcamp/tree/main/{assignment.id}",
            note="" if number == 1 else "Addressed the review comments.",
            status=verdict or SUBMITTED,
            submitted_at=submitted,
            status_changed_at=reviewed or submitted,
        )
        if not verdict:
            return SubmissionPlan(submission)
        approved = verdict == APPROVED
        return SubmissionPlan(
            submission=submission,
            review_verdict=verdict,
            review_at=reviewed,
            reviewer_id=pairings.mentor_user_ids[pairing_at(reviewed)],
            scores=_scores(assignment, rng, approved),
            feedback=rng.choice(APPROVED_FEEDBACK if approved else CHANGES_FEEDBACK),
        )

    plans: list[SubmissionPlan] = []
    cap = cutoff
    # Latest first, so every earlier piece of work is strictly earlier.
    for index in sorted(fate, reverse=True):
        kind = fate[index]
        if kind == "stale":
            reviewed = min(ctx.now - (9 + rng.randrange(4)) * DAY, cap)
            submitted = reviewed - (1 + rng.randrange(2)) * DAY
            plans.append(version(index, 1, submitted, "changes_requested", reviewed))
        elif kind == "recent_changes":
            reviewed = ctx.now - (1 + rng.randrange(2)) * DAY
            submitted = min(reviewed - DAY, cap)
            plans.append(version(index, 1, submitted, "changes_requested", reviewed))
        elif kind == "waiting":
            submitted = min(ctx.now - (2 + rng.randrange(60)) * HOUR, cap)
            plans.append(version(index, 1, submitted))
        else:
            natural = ctx.local(dues[index], 20) - rng.randrange(0, 72) * HOUR
            approved_version = min(natural, cap)
            reviewed = _review_time(ctx, approved_version, rng)
            resubmitted = rng.random() < (0.25 if ctx.assignments[index].criteria else 0.08)
            if resubmitted:
                first_review = approved_version - DAY - rng.randrange(1, 12) * HOUR
                submitted = first_review - rng.randrange(4, 30) * HOUR
                plans.append(version(index, 2, approved_version, "approved", reviewed))
                plans.append(version(index, 1, submitted, "changes_requested", first_review))
            else:
                submitted = approved_version
                plans.append(version(index, 1, submitted, "approved", reviewed))
        cap = min(cap, submitted - 3 * HOUR)
    plans.reverse()
    return plans


def _review_time(ctx: SeedContext, submitted: dt.datetime, rng: random.Random) -> dt.datetime:
    """A few hours to two days after the submission, and never in the future."""
    reviewed = submitted + rng.randrange(3, 40) * HOUR
    if reviewed > ctx.now - 15 * MINUTE:
        reviewed = submitted + (ctx.now - submitted) / 2
    return reviewed


def _help_requests(ctx, plan, enrollment_id, pairings, rng):
    story = plan.story
    if story.help == "open":
        return [
            HelpRequestRow(
                enrollment_id=enrollment_id,
                message="I'm stuck on regularisation: my validation loss goes up when I add "
                "the L2 penalty. Could we look at it before Friday?",
                created_at=ctx.now - (6 + rng.randrange(30)) * HOUR,
            )
        ]
    if story.help == "answered":
        asked = ctx.now - 12 * DAY
        return [
            HelpRequestRow(
                enrollment_id=enrollment_id,
                message="How should I split a time series for cross-validation?",
                created_at=asked,
                answered_at=asked + 5 * HOUR,
                answered_by_id=pairings.mentor_user_ids[-1],
                answer="Use a forward-chaining split (TimeSeriesSplit); never shuffle. "
                "Let's go through it in Thursday's session.",
            )
        ]
    return []
