"""The demo's graduation: certificates for the finished cohort's graduates (one issued by a
recorded override, one revoked), and a cohort in its capstone's last week whose learners stand
at every state of the graduation checklist.

Called once from ``builder.seed_demo`` (inside its transaction, with explicit timestamps
allowed). Idempotent: the capstone cohort is built once, and only graduates without a
certificate get one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from curriculum.kernel import clock
from curriculum.kernel.names import display_name
from curriculum.models import Assignment, Cohort, Program
from learners.models import Certificate, DeploymentCheck, Enrollment, Submission
from mentors.models import Mentor, MentorSession, Pairing, Review

CAPSTONE_COHORT_NAME = "ML Engineering & AI — Capstone cohort"
CAPSTONE_COHORT_TIMEZONE = "America/Toronto"
EMAIL_DOMAIN = "demo.stride.example"
CAPSTONE_MENTOR = ("capstone-mentor", "Jamal", "Whitfield")
# Each learner's state on the checklist: (username, first, last, state).
CHECKLIST_STATES = (
    ("capstone1", "Aiko", "Brennan", "ready"),
    ("capstone2", "Bruno", "Castell", "check_failing"),
    ("capstone3", "Cleo", "Dawson", "check_stale"),
    ("capstone4", "Darius", "Eklund", "few_sessions"),
    ("capstone5", "Esme", "Fontaine", "changes_requested"),
    ("capstone6", "Farid", "Gallo", "not_deployed"),
    ("capstone7", "Gita", "Hollis", "milestone_waiting"),
)
OVERRIDE_REASON = (
    "Capstone demoed live to the panel; the hosting trial ended before the final check."
)
REVOKE_REASON = "Issued to the wrong enrollment; reissued after review."


def seed_graduation(*, program: Program, staff: Any, password_hash: str, past_cohort: str) -> None:
    _certificates_for_graduates(past_cohort, staff)
    _capstone_cohort(program, staff, password_hash)


def _code(seed: str) -> str:
    """A certificate code for the demo: unguessable to a visitor, stable across reruns."""
    return hashlib.sha256(f"stride-demo-certificate:{seed}".encode()).hexdigest()[:22]


def _facts(enrollment: Enrollment) -> dict[str, Any]:
    final_id = Assignment.final_milestone_id(enrollment.cohort.program_id)
    final = Assignment.objects.filter(pk=final_id).first()
    deployed = (
        Submission.objects.filter(enrollment=enrollment, assignment_id=final_id)
        .exclude(deployment_url="")
        .order_by("-version")
        .values_list("deployment_url", flat=True)
        .first()
    )
    changed = enrollment.status_changed_at or clock.now()
    return {
        "learner_name": display_name(enrollment.learner),
        "program_name": enrollment.cohort.program.name,
        "cohort_name": enrollment.cohort.name,
        "completed_on": changed.astimezone(enrollment.cohort.tzinfo).date(),
        "capstone_title": final.title if final else "",
        "deployed_url": deployed or "",
    }


def _certificates_for_graduates(past_cohort: str, staff: Any) -> None:
    graduates = list(
        Enrollment.objects.filter(cohort__name=past_cohort, status=Enrollment.Status.GRADUATED)
        .exclude(certificates__isnull=False)
        .select_related("learner", "cohort", "cohort__program")
        .order_by("learner__username")
    )
    for index, enrollment in enumerate(graduates):
        issued_at = enrollment.status_changed_at or clock.now()
        certificate = Certificate(
            enrollment=enrollment,
            code=_code(enrollment.learner.username),
            issued_at=issued_at,
            issued_by=staff,
            **_facts(enrollment),
        )
        if index == 1:  # graduated by a recorded override
            certificate.override_reason = OVERRIDE_REASON
            certificate.unmet = ["live_check"]
        certificate.save()
        if index == 2:  # revoked, and a valid one reissued: both show on its pages
            certificate.revoked_at = issued_at + dt.timedelta(days=2)
            certificate.revoked_by = staff
            certificate.revoke_reason = REVOKE_REASON
            certificate.save()
            Certificate.objects.create(
                enrollment=enrollment,
                code=_code(enrollment.learner.username + ":reissued"),
                issued_at=issued_at + dt.timedelta(days=3),
                issued_by=staff,
                **_facts(enrollment),
            )


def _user(username: str, first: str, last: str, password_hash: str, **extra: Any):
    user, _created = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@{EMAIL_DOMAIN}",
            "password": password_hash,
            **extra,
        },
    )
    return user


def _capstone_cohort(program: Program, staff: Any, password_hash: str) -> None:
    if Cohort.objects.filter(name=CAPSTONE_COHORT_NAME).exists():
        return
    zone = ZoneInfo(CAPSTONE_COHORT_TIMEZONE)
    today = clock.today(zone)
    now = clock.now()
    cohort = Cohort.objects.create(
        program=program,
        name=CAPSTONE_COHORT_NAME,
        # In the program's last week: every assignment is due, the final milestone this week.
        start_date=today - dt.timedelta(weeks=program.length_weeks - 1, days=3),
        timezone=CAPSTONE_COHORT_TIMEZONE,
    )
    username, first, last = CAPSTONE_MENTOR
    mentor, _created = Mentor.objects.get_or_create(
        user=_user(username, first, last, password_hash),
        defaults={
            "capacity": len(CHECKLIST_STATES) + 1,
            "timezone": CAPSTONE_COHORT_TIMEZONE,
            "expertise": ["mlops", "deployment", "model serving"],
            "bio": "Platform engineer; guides capstones from prototype to production.",
        },
    )
    assignments = list(Assignment.objects.filter(program=program).order_by("due_week", "order"))
    final_id = Assignment.final_milestone_id(program.pk)
    enrolled_at = dt.datetime.combine(cohort.start_date, dt.time(9), tzinfo=zone)
    for number, (login, first_name, last_name, state) in enumerate(CHECKLIST_STATES, start=1):
        learner = _user(login, first_name, last_name, password_hash)
        enrollment = Enrollment.objects.create(
            cohort=cohort, learner=learner, enrolled_at=enrolled_at, status_changed_at=enrolled_at
        )
        pairing = Pairing.objects.create(
            enrollment=enrollment, mentor=mentor, started_at=enrolled_at, created_by=staff
        )
        held = 1 if state == "few_sessions" else 4
        for week in range(held):
            MentorSession.objects.create(
                enrollment=enrollment,
                pairing=pairing,
                scheduled_at=now - dt.timedelta(weeks=2 + 3 * week),
                status=MentorSession.Status.COMPLETED,
                notes="Capstone check-in.",
            )
        for assignment in assignments:
            due = dt.datetime.combine(
                cohort.due_date(assignment.due_week), dt.time(10), tzinfo=zone
            )
            submitted_at = min(due - dt.timedelta(days=1), now - dt.timedelta(days=3))
            status = Submission.Status.APPROVED
            if state == "changes_requested" and assignment.kind == Assignment.Kind.PROJECT:
                status = Submission.Status.CHANGES_REQUESTED if assignment.due_week > 20 else status
            is_final = assignment.pk == final_id
            if is_final and state == "milestone_waiting":
                status = Submission.Status.SUBMITTED
            deployment_url = ""
            if is_final and state != "not_deployed":
                deployment_url = f"https://{login}-capstone.demo.example/api/predict"
            submission = Submission.objects.create(
                enrollment=enrollment,
                assignment=assignment,
                version=1,
                url=f"https://github.com/{login}/{assignment.pk}",
                deployment_url=deployment_url,
                status=status,
                submitted_at=submitted_at,
                status_changed_at=submitted_at + dt.timedelta(days=1),
            )
            if status != Submission.Status.SUBMITTED:
                Review.objects.create(
                    submission=submission,
                    reviewer=mentor.user,
                    verdict=status,
                    feedback="Solid work." if status == "approved" else "Tighten the evaluation.",
                    created_at=submitted_at + dt.timedelta(days=1),
                )
            if deployment_url:
                _checks(submission, state, number, now)


def _checks(submission: Submission, state: str, number: int, now: dt.datetime) -> None:
    """A week of daily checks; the newest decides the checklist's live-model requirement."""
    ages = range(20, 27) if state == "check_stale" else range(0, 7)
    rows = []
    for age in ages:
        failing = state == "check_failing" and age < 2
        rows.append(
            DeploymentCheck(
                submission=submission,
                checked_at=now - dt.timedelta(days=age, hours=1),
                status_code=502 if failing else 200,
                ok=not failing,
                latency_ms=140 + 15 * number + 7 * age,
                error="HTTP 502 from the service" if failing else "",
            )
        )
    DeploymentCheck.objects.bulk_create(rows)
