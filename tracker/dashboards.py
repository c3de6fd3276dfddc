"""Dashboards: what each page that combines several rooms shows, read in one call.

Each selector takes ``fetched_by`` and returns the page's data as a dict keyed as the page's
template reads it; the pages interface (``tracker.web``) adds only forms and drawing (labels,
bars, charts). Here: the learner's home and its log panel (``learner_dashboard``,
``learner_standing``), the mentor's dashboard, the staff cohort, cohorts and enrollment pages,
the preferences page and the caller's ``me``. Pages that read one app have their selector in
that app (``learners.selectors.log_panel``, ``mentors.selectors.review_page``,
``tracker.suggestions.pairing_choices``, ``tracker.insights.program_insights``).

A feature room above ``progress``, ``notifications`` and ``calendar``: imports them, the lower
apps and the kernel; never ``tracker.api`` or ``tracker.web``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Min, Q, QuerySet

from curriculum.kernel import clock
from curriculum.kernel.names import display_name
from curriculum.models import Cohort
from curriculum.selectors import cohort_list
from learners.models import Enrollment, ProgressLog
from learners.selectors import enrollment_list, help_request_list, log_panel, pause_list
from mentors.models import Mentor, MentorSession
from mentors.roles import role_of
from mentors.selectors import (
    current_pairing,
    current_pairing_among,
    enrollment_pairings,
    enrollment_sessions,
    mentor_list,
    next_session,
    next_session_among,
    pairing_list,
    review_feedback,
    review_queue,
    session_enrollments,
    session_list,
)
from tracker.calendar import calendar_path
from tracker.graduation import graduation_panel
from tracker.notifications import notification_list, preferences_for
from tracker.progress import (
    LearnerProgress,
    cohort_overview,
    enrollment_detail,
    learner_progress,
    progress_of,
)
from tracker.progress.engine import needs_attention, urgency


def _calendar_path(user: Any) -> str | None:
    """The path of the user's private calendar feed; None until they create one (a page's
    read never writes the token)."""
    try:
        preferences = user.preferences
    except ObjectDoesNotExist:
        # No stored preferences, so no token: the defaults ``preferences_for`` would build
        # (their time zone is one or two queries) have no feed either.
        return None
    return calendar_path(preferences)


def _personal(user: Any) -> dict[str, Any]:
    return {
        "notifications": notification_list(fetched_by=user)[:8],
        "calendar_path": _calendar_path(user),
    }


# --- Learner ----------------------------------------------------------------------------------
def learner_standing(
    *, fetched_by: Any, enrollment: Enrollment, editing: ProgressLog | None = None
) -> dict[str, Any]:
    """What a change of a log re-renders: the log panel (``editing`` open), the progress detail
    (modules and assignments included), the current mentor and the next session."""
    return {
        **log_panel(fetched_by=fetched_by, enrollment=enrollment, editing=editing),
        "detail": enrollment_detail(fetched_by=fetched_by, enrollment=enrollment),
        "next_session": next_session(fetched_by=fetched_by, enrollment=enrollment),
        "pairing": current_pairing(fetched_by=fetched_by, enrollment=enrollment),
    }


def learner_dashboard(
    *,
    fetched_by: Any,
    enrollment: Enrollment,
    editing: ProgressLog | None = None,
    enrollments: list[Enrollment] | None = None,
) -> dict[str, Any]:
    """The learner's home for one of their enrollments: their standing, the enrollments to
    switch between (``enrollments``, when the page has read them already:
    ``learners.selectors.own_enrollments``), feedback received, help requests, sessions,
    notifications, calendar."""
    sessions = enrollment_sessions(fetched_by=fetched_by, enrollment=enrollment)
    # The current mentor (summary) and the last one (graduation panel) in one read.
    pairings = enrollment_pairings(fetched_by=fetched_by, enrollment=enrollment)
    detail = enrollment_detail(fetched_by=fetched_by, enrollment=enrollment)
    return {
        # learner_standing, with the next session read from the sessions listed anyway.
        **log_panel(fetched_by=fetched_by, enrollment=enrollment, editing=editing),
        "detail": detail,
        "next_session": next_session_among(
            sessions["upcoming_sessions"], fetched_by=fetched_by, enrollment=enrollment
        ),
        "pairing": current_pairing_among(pairings),
        "enrollments": enrollments
        if enrollments is not None
        else enrollment_list(fetched_by=fetched_by).filter(learner_id=fetched_by.pk),
        "feedback": review_feedback(fetched_by=fetched_by, enrollment=enrollment),
        "help_requests": help_request_list(fetched_by=fetched_by).filter(enrollment=enrollment)[:5],
        **sessions,
        **_personal(fetched_by),
        # The checklist, or for an alumnus their certificate, capstone and last mentor.
        # (the milestones from the detail, the last mentor from the pairings read above).
        **graduation_panel(
            fetched_by=fetched_by, enrollment=enrollment, pairings=pairings, detail=detail
        ),
    }


# --- Mentor -----------------------------------------------------------------------------------
FAR_PAST = dt.datetime.min.replace(tzinfo=dt.UTC)
FAR_FUTURE = dt.date.max
# The orders the mentor's list of learners offers (``?sort=``), the first the default.
LEARNER_ORDERS = {
    "pace": lambda row: (urgency(row.progress.pace), row.name),
    "last_activity": lambda row: (row.progress.last_activity_at or FAR_PAST, row.name),
    "next_due": lambda row: (
        row.progress.next_due.due_date if row.progress.next_due else FAR_FUTURE,
        row.name,
    ),
    "name": lambda row: (row.name,),
}


def _row(row: LearnerProgress, **extra: Any) -> dict[str, Any]:
    """A learner's row of a page: enrollment, name, progress (and ``extra``), as a dict the
    page adds its drawing to."""
    return {"enrollment": row.enrollment, "name": row.name, "progress": row.progress, **extra}


def mentor_dashboard(*, fetched_by: Any, order: str = "pace") -> dict[str, Any]:
    """The mentor's dashboard (staff see everyone's): learners in ``order`` (one of
    ``LEARNER_ORDERS``, else by pace), the review queue oldest first, scheduled sessions and
    whether their time has passed, open help requests, notifications, calendar."""
    order = order if order in LEARNER_ORDERS else "pace"
    now = clock.now()
    sessions = (
        session_list(fetched_by=fetched_by)
        .filter(status=MentorSession.Status.SCHEDULED)
        .select_related("enrollment__learner")
        .order_by("scheduled_at")
    )
    learners = learner_progress(fetched_by=fetched_by)
    return {
        "sort": order,
        "rows": [_row(row) for row in sorted(learners, key=LEARNER_ORDERS[order])],
        "queue": list(review_queue(fetched_by=fetched_by)),
        "sessions": [{"session": s, "is_past": s.scheduled_at <= now} for s in sessions],
        # The schedule form validates against this queryset (read only on a post) ...
        "session_enrollments": session_enrollments(fetched_by=fetched_by),
        # ... and draws its learners from the rows above: the same enrollments (in scope, not
        # withdrawn), in the queryset's order (``Enrollment.Meta.ordering``), titled alike.
        "session_choices": [
            (row.enrollment.pk, row.name)
            for row in sorted(
                learners, key=lambda row: (row.enrollment.cohort_id, row.enrollment.id)
            )
        ],
        "help_requests": help_request_list(fetched_by=fetched_by, open_only=True).order_by(
            "created_at"
        ),
        **_personal(fetched_by),
    }


# --- Staff ------------------------------------------------------------------------------------
def cohorts_page(*, fetched_by: Any) -> QuerySet[Cohort]:
    """The cohorts in scope, each with ``learner_count`` (its enrollments of any status)."""
    return cohort_list(fetched_by=fetched_by).annotate(learner_count=Count("enrollments"))


# The staff home's columns that can be sorted (``?sort=name`` up, ``?sort=-at_risk`` down).
STAFF_HOME_ORDERS = {
    "name": lambda row: row["cohort"].name.casefold(),
    "week": lambda row: row["week"],
    "learners": lambda row: row["learners"],
    "behind": lambda row: row["paces"]["behind"],
    "at_risk": lambda row: row["at_risk"],
    "reviews": lambda row: row["reviews_waiting"],
    "oldest_wait": lambda row: row["oldest_wait"] or dt.timedelta(0),
    "missed": lambda row: row["missed_sessions"],
    "help": lambda row: row["open_help"],
}
PACES = ("ahead", "on_track", "at_risk", "behind")


def week_start(cohort: Cohort, now: dt.datetime) -> dt.datetime:
    """Monday 00:00 of the current week in the cohort's time zone."""
    local = now.astimezone(cohort.tzinfo)
    monday = local.date() - dt.timedelta(days=local.weekday())
    return dt.datetime.combine(monday, dt.time(0), tzinfo=cohort.tzinfo)


def staff_home(*, fetched_by: Any, sort: str = "-at_risk") -> dict[str, Any]:
    """The program's morning view: every running cohort (started, not ended, in its own time
    zone) with its week, the pace of its open enrollments, how many need attention and the
    most frequent reasons, reviews waiting and the oldest wait, sessions missed this week and
    open help requests. The same queries for any number of cohorts (one per list)."""
    now = clock.now()
    cohorts = [
        cohort
        for cohort in cohort_list(fetched_by=fetched_by).select_related("program")
        if cohort.start_date <= clock.today(cohort.timezone) < cohort.end_date
    ]
    by_id = {cohort.pk: cohort for cohort in cohorts}
    enrollments = list(
        enrollment_list(fetched_by=fetched_by)
        .filter(cohort_id__in=by_id, status__in=Enrollment.OPEN_STATUSES)
        .values_list("pk", "cohort_id")
    )
    progress = progress_of(fetched_by=fetched_by, enrollment_ids=[pk for pk, _ in enrollments])
    rows: dict[int, dict[str, Any]] = {}
    reasons: dict[int, Counter] = {}
    for cohort in cohorts:
        today = clock.today(cohort.timezone)
        reasons[cohort.pk] = Counter()
        rows[cohort.pk] = {
            "cohort": cohort,
            "week": (today - cohort.start_date).days // 7 + 1,
            "weeks": cohort.program.length_weeks,
            "learners": 0,
            "paces": dict.fromkeys(PACES, 0),
            "at_risk": 0,
            "reviews_waiting": 0,
            "oldest_wait": None,
            "oldest_submitted_at": None,
            "missed_sessions": 0,
            "open_help": 0,
        }
    for pk, cohort_id in enrollments:
        row, learner = rows[cohort_id], progress.get(pk)
        if learner is None:
            continue
        row["learners"] += 1
        row["paces"][learner.pace] = row["paces"].get(learner.pace, 0) + 1
        if needs_attention(learner):
            row["at_risk"] += 1
            reasons[cohort_id].update(learner.risk_reasons)
    waiting = (
        review_queue(fetched_by=fetched_by)
        .filter(enrollment__cohort_id__in=by_id)
        .order_by()
        .values("enrollment__cohort_id")
        .annotate(count=Count("pk"), oldest=Min("submitted_at"))
    )
    for item in waiting:
        row = rows[item["enrollment__cohort_id"]]
        row["reviews_waiting"] = item["count"]
        row["oldest_wait"] = now - item["oldest"]
        row["oldest_submitted_at"] = item["oldest"]
    starts = {pk: week_start(cohort, now) for pk, cohort in by_id.items()}
    missed = session_list(fetched_by=fetched_by).filter(
        enrollment__cohort_id__in=by_id,
        status=MentorSession.Status.MISSED,
        scheduled_at__gte=min(starts.values(), default=now),
        scheduled_at__lte=now,
    )
    for cohort_id, scheduled_at in missed.values_list("enrollment__cohort_id", "scheduled_at"):
        if scheduled_at >= starts[cohort_id]:
            rows[cohort_id]["missed_sessions"] += 1
    open_help = (
        help_request_list(fetched_by=fetched_by, open_only=True)
        .filter(enrollment__cohort_id__in=by_id)
        .order_by()
        .values("enrollment__cohort_id")
        .annotate(count=Count("pk"))
    )
    for item in open_help:
        rows[item["enrollment__cohort_id"]]["open_help"] = item["count"]
    for cohort_id, row in rows.items():
        row["top_reasons"] = [code for code, _ in reasons[cohort_id].most_common(3)]
    key = sort.removeprefix("-")
    if key not in STAFF_HOME_ORDERS:
        sort, key = "-at_risk", "at_risk"
    ordered = sorted(rows.values(), key=lambda row: row["cohort"].name.casefold())
    ordered.sort(key=STAFF_HOME_ORDERS[key], reverse=sort.startswith("-"))
    return {"sort": sort, "rows": ordered}


def cohort_page(*, fetched_by: Any, cohort: Cohort) -> dict[str, Any]:
    """The staff cohort page: every learner still in the cohort with progress and mentor, those
    who need attention (most urgent first, the same row dicts), the matrix, the load of every
    active mentor with learners here or a free seat, withdrawn learners, open help requests."""
    overview = cohort_overview(fetched_by=fetched_by, cohort=cohort)
    # Who mentors whom as ids (500 pairings as model rows with their mentor, user, enrollment
    # and learner were a third of this page's queries' CPU), the mentors from the one read of
    # them that the load table needs anyway: the active ones, and any other one paired here.
    mentor_id_of = dict(
        pairing_list(fetched_by=fetched_by, active_only=True)
        .filter(enrollment__cohort=cohort)
        .values_list("enrollment_id", "mentor_id")
    )
    read = (
        mentor_list(fetched_by=fetched_by)
        .filter(Q(is_active=True) | Q(pk__in=set(mentor_id_of.values())))
        # By name: the model's ordering is not applied to a query that groups (the count).
        .order_by("user__last_name", "user__first_name", "pk")
    )
    by_id = {mentor.pk: mentor for mentor in read}
    mentor_of = {
        enrollment: by_id[mentor] for enrollment, mentor in mentor_id_of.items() if mentor in by_id
    }
    rows = {
        row.enrollment.pk: _row(row, mentor=mentor_of.get(row.enrollment.pk))
        for row in overview.rows
    }
    in_cohort = Counter(mentor.pk for mentor in mentor_of.values())
    mentors = [mentor for mentor in by_id.values() if mentor.is_active]
    withdrawn = (
        enrollment_list(fetched_by=fetched_by)
        .filter(cohort=cohort, status=Enrollment.Status.WITHDRAWN)
        .order_by("learner__last_name", "learner__first_name", "id")
    )
    return {
        "cohort": cohort,
        "rows": list(rows.values()),
        "at_risk": [rows[row.enrollment.pk] for row in overview.at_risk],
        "matrix": overview.matrix,
        "load": [
            {
                "mentor": mentor,
                "active": mentor.active_learners,
                "in_cohort": in_cohort.get(mentor.pk, 0),
                "capacity": mentor.capacity,
                "over": mentor.active_learners > mentor.capacity,
            }
            for mentor in mentors
            if in_cohort.get(mentor.pk) or mentor.active_learners < mentor.capacity
        ],
        "withdrawn": [{"enrollment": e, "name": display_name(e.learner)} for e in withdrawn],
        "help_requests": help_request_list(fetched_by=fetched_by, open_only=True)
        .filter(enrollment__cohort=cohort)
        .order_by("created_at"),
        # The lists behind the staff home's numbers.
        "reviews_waiting": review_queue(fetched_by=fetched_by)
        .filter(enrollment__cohort=cohort)
        .select_related("enrollment__learner", "assignment"),
        "missed_sessions": session_list(fetched_by=fetched_by)
        .filter(
            enrollment__cohort=cohort,
            status=MentorSession.Status.MISSED,
            scheduled_at__gte=week_start(cohort, clock.now()),
            scheduled_at__lte=clock.now(),
        )
        .select_related("enrollment__learner")
        .order_by("scheduled_at"),
    }


def enrollment_page(*, fetched_by: Any, enrollment: Enrollment) -> dict[str, Any]:
    """The staff page of one enrollment: progress (stored row), mentor, pauses, the ten newest
    help requests and the sessions."""
    pairings = enrollment_pairings(fetched_by=fetched_by, enrollment=enrollment)
    return {
        "enrollment": enrollment,
        "learner_name": display_name(enrollment.learner),
        "progress": progress_of(fetched_by=fetched_by, enrollment_ids=[enrollment.pk])[
            enrollment.pk
        ],
        "pairing": current_pairing_among(pairings),
        "pauses": pause_list(fetched_by=fetched_by).filter(enrollment=enrollment).order_by("start"),
        "help_requests": help_request_list(fetched_by=fetched_by)
        .filter(enrollment=enrollment)
        .order_by("-created_at")[:10],
        **enrollment_sessions(fetched_by=fetched_by, enrollment=enrollment),
        **graduation_panel(fetched_by=fetched_by, enrollment=enrollment, pairings=pairings),
    }


# --- Everyone ---------------------------------------------------------------------------------
def preferences_page(*, fetched_by: Any) -> dict[str, Any]:
    return {"preferences": preferences_for(fetched_by), "calendar_path": _calendar_path(fetched_by)}


def me_summary(*, fetched_by: Any) -> dict[str, Any]:
    """Who the caller is (``GET me/``), with the path of their calendar feed."""
    user = fetched_by
    enrollments = Enrollment.objects.filter(learner_id=user.pk).order_by("id")
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": display_name(user),
        "email": user.email,
        "role": role_of(user),
        "learner_enrollments": list(enrollments.values_list("pk", flat=True)),
        "mentor_id": Mentor.objects.filter(user_id=user.pk).values_list("pk", flat=True).first(),
        "calendar_path": _calendar_path(user),
    }
