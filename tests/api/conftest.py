"""A small world for the API tests: one cohort, two learners, each with their own mentor, and
staff; every kind of row the API shows, owned by the first learner."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from curriculum.models import RubricCriterion
from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ModuleFactory,
    ProgramFactory,
    StaffFactory,
    UserFactory,
)
from tests.learners.factories import (
    EnrollmentFactory,
    HelpRequestFactory,
    LearnerFactory,
    ProgressLogFactory,
    SubmissionFactory,
)
from tests.mentors.factories import (
    MentorFactory,
    MentorSessionFactory,
    PairingFactory,
    ReviewFactory,
)
from tracker.models import Notification

ROLES = ["anonymous", "learner", "other_learner", "mentor", "other_mentor", "staff"]


@dataclass
class World:
    program: Any
    module: Any
    assignment: Any
    spare_assignment: Any
    criterion: Any
    cohort: Any
    learner: Any
    other_learner: Any
    mentor_user: Any
    other_mentor_user: Any
    staff: Any
    mentor: Any
    other_mentor: Any
    enrollment: Any
    other_enrollment: Any
    pairing: Any
    other_pairing: Any
    log: Any
    submission: Any
    reviewed_submission: Any
    review: Any
    session: Any
    help_request: Any
    notification: Any
    outsider: Any

    def user(self, role: str) -> Any:
        return {
            "anonymous": None,
            "learner": self.learner,
            "other_learner": self.other_learner,
            "mentor": self.mentor_user,
            "other_mentor": self.other_mentor_user,
            "staff": self.staff,
        }[role]


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle history lives in the cache; each test starts with a clean slate."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db) -> World:
    program = ProgramFactory(length_weeks=26)
    module = ModuleFactory(program=program, order=1, start_week=1, end_week=4)
    assignment = AssignmentFactory(program=program, module=module, order=1, due_week=2)
    spare = AssignmentFactory(program=program, module=module, order=2, due_week=3)
    reviewed_assignment = AssignmentFactory(program=program, module=module, order=3, due_week=1)
    criterion = RubricCriterion.objects.create(
        assignment=assignment, order=1, name="Correctness", max_score=4
    )
    cohort = CohortFactory(
        program=program, start_date=timezone.now().date() - dt.timedelta(weeks=3)
    )
    learner = LearnerFactory(username="ada", first_name="Ada", last_name="Lovelace")
    other_learner = LearnerFactory(username="bob")
    enrollment = EnrollmentFactory(cohort=cohort, learner=learner)
    other_enrollment = EnrollmentFactory(cohort=cohort, learner=other_learner)
    mentor = MentorFactory(user__username="mia", capacity=5)
    other_mentor = MentorFactory(user__username="max", capacity=5)
    pairing = PairingFactory(enrollment=enrollment, mentor=mentor)
    other_pairing = PairingFactory(enrollment=other_enrollment, mentor=other_mentor)
    staff = StaffFactory(username="sam")
    reviewed = SubmissionFactory(
        enrollment=enrollment, assignment=reviewed_assignment, status="approved"
    )
    return World(
        program=program,
        module=module,
        assignment=assignment,
        spare_assignment=spare,
        criterion=criterion,
        cohort=cohort,
        learner=learner,
        other_learner=other_learner,
        mentor_user=mentor.user,
        other_mentor_user=other_mentor.user,
        staff=staff,
        mentor=mentor,
        other_mentor=other_mentor,
        enrollment=enrollment,
        other_enrollment=other_enrollment,
        pairing=pairing,
        other_pairing=other_pairing,
        log=ProgressLogFactory(enrollment=enrollment, module=module),
        submission=SubmissionFactory(enrollment=enrollment, assignment=assignment),
        reviewed_submission=reviewed,
        review=ReviewFactory(submission=reviewed, reviewer=mentor.user),
        session=MentorSessionFactory(pairing=pairing),
        help_request=HelpRequestFactory(enrollment=enrollment),
        notification=Notification.objects.create(
            recipient=learner,
            kind="due_soon",
            subject="Due soon",
            body="Assignment due in 2 days.",
            dedupe_key=f"test:{learner.pk}",
            created_at=timezone.now(),
        ),
        outsider=UserFactory(username="newcomer", email="newcomer@example.com"),
    )


def client_for(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    return client_for
