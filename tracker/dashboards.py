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

from django.db.models import Count, QuerySet

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
from tracker.progress.engine import urgency


def _calendar_path(user: Any) -> str | None:
    """The path of the user's private calendar feed; None until they create one (a page's
    read never writes the token)."""
    return calendar_path(preferences_for(user))


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
    return {
        # learner_standing, with the next session read from the sessions listed anyway.
        **log_panel(fetched_by=fetched_by, enrollment=enrollment, editing=editing),
        "detail": enrollment_detail(fetched_by=fetched_by, enrollment=enrollment),
        "next_session": next_session_among(
            sessions["upcoming_sessions"], fetched_by=fetched_by, enrollment=enrollment
        ),
        "pairing": current_pairing(fetched_by=fetched_by, enrollment=enrollment),
        "enrollments": enrollments
        if enrollments is not None
        else enrollment_list(fetched_by=fetched_by).filter(learner_id=fetched_by.pk),
        "feedback": review_feedback(fetched_by=fetched_by, enrollment=enrollment),
        "help_requests": help_request_list(fetched_by=fetched_by).filter(enrollment=enrollment)[:5],
        **sessions,
        **_personal(fetched_by),
        # The checklist, or for an alumnus their certificate, capstone and last mentor.
        **graduation_panel(fetched_by=fetched_by, enrollment=enrollment),
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
    return {
        "sort": order,
        "rows": [
            _row(row)
            for row in sorted(learner_progress(fetched_by=fetched_by), key=LEARNER_ORDERS[order])
        ],
        "queue": list(review_queue(fetched_by=fetched_by)),
        "sessions": [{"session": s, "is_past": s.scheduled_at <= now} for s in sessions],
        "session_enrollments": session_enrollments(fetched_by=fetched_by),
        "help_requests": help_request_list(fetched_by=fetched_by, open_only=True).order_by(
            "created_at"
        ),
        **_personal(fetched_by),
    }


# --- Staff ------------------------------------------------------------------------------------
def cohorts_page(*, fetched_by: Any) -> QuerySet[Cohort]:
    """The cohorts in scope, each with ``learner_count`` (its enrollments of any status)."""
    return cohort_list(fetched_by=fetched_by).annotate(learner_count=Count("enrollments"))


def cohort_page(*, fetched_by: Any, cohort: Cohort) -> dict[str, Any]:
    """The staff cohort page: every learner still in the cohort with progress and mentor, those
    who need attention (most urgent first, the same row dicts), the matrix, the load of every
    active mentor with learners here or a free seat, withdrawn learners, open help requests."""
    overview = cohort_overview(fetched_by=fetched_by, cohort=cohort)
    mentor_of = {
        pairing.enrollment_id: pairing.mentor
        for pairing in pairing_list(fetched_by=fetched_by, active_only=True).filter(
            enrollment__cohort=cohort
        )
    }
    rows = {
        row.enrollment.pk: _row(row, mentor=mentor_of.get(row.enrollment.pk))
        for row in overview.rows
    }
    in_cohort = Counter(mentor.pk for mentor in mentor_of.values())
    mentors = mentor_list(fetched_by=fetched_by).filter(is_active=True)
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
    }


def enrollment_page(*, fetched_by: Any, enrollment: Enrollment) -> dict[str, Any]:
    """The staff page of one enrollment: progress (stored row), mentor, pauses, the ten newest
    help requests and the sessions."""
    return {
        "enrollment": enrollment,
        "learner_name": display_name(enrollment.learner),
        "progress": progress_of(fetched_by=fetched_by, enrollment_ids=[enrollment.pk])[
            enrollment.pk
        ],
        "pairing": current_pairing(fetched_by=fetched_by, enrollment=enrollment),
        "pauses": pause_list(fetched_by=fetched_by).filter(enrollment=enrollment).order_by("start"),
        "help_requests": help_request_list(fetched_by=fetched_by)
        .filter(enrollment=enrollment)
        .order_by("-created_at")[:10],
        **enrollment_sessions(fetched_by=fetched_by, enrollment=enrollment),
        **graduation_panel(fetched_by=fetched_by, enrollment=enrollment),
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
