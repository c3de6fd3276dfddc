"""The graduation tests' extras, built from the one world: ways to bring Lena to each state of
her checklist (her capstone approved and deployed, its checks, her held sessions) and to
graduate her."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from learners.models import DeploymentCheck
from mentors.models import MentorSession
from tests.learners.factories import SubmissionFactory
from tests.mentors.factories import MentorSessionFactory
from tracker.graduation import enrollment_graduate

DEPLOYED_AT = "https://lena-capstone.example.org/predict"


def capstone(world, *, status="approved", deployment_url=DEPLOYED_AT, version=1):
    """A version of Lena's capstone (the final milestone)."""
    return SubmissionFactory(
        enrollment=world.enrollment,
        assignment=world.final,
        version=version,
        url=f"https://github.com/lena-learner/capstone/v{version}",
        deployment_url=deployment_url,
        status=status,
        submitted_at=timezone.now() - dt.timedelta(days=3),
    )


def check(submission, *, ok=True, age=dt.timedelta(days=1), error="", status_code=200):
    return DeploymentCheck.objects.create(
        submission=submission,
        checked_at=timezone.now() - age,
        ok=ok,
        status_code=status_code,
        latency_ms=120,
        error=error,
    )


def held_sessions(world, count):
    """``count`` completed sessions with Max, in the past weeks."""
    for week in range(1, count + 1):
        MentorSessionFactory(
            pairing=world.pairing,
            scheduled_at=timezone.now() - dt.timedelta(weeks=week),
            status=MentorSession.Status.COMPLETED,
        )


def make_eligible(world):
    """Lena meets every default requirement: the capstone approved and deployed, a passing
    check yesterday, three held sessions, nothing with changes requested."""
    submission = capstone(world)
    check(submission)
    held_sessions(world, 3)
    return submission


@pytest.fixture
def eligible(world):
    return make_eligible(world)


@pytest.fixture
def certificate(world, eligible, django_capture_on_commit_callbacks):
    """Lena graduated (checklist met) with her certificate."""
    with django_capture_on_commit_callbacks(execute=True):
        return enrollment_graduate(actor=world.staff, enrollment=world.enrollment)


def requirement(checklist, code):
    return next(item for item in checklist["requirements"] if item["code"] == code)
