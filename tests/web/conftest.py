"""A small bootcamp for page tests: one program with a rubric, a cohort four weeks in, a
learner paired with a mentor, another mentor's learner, and a staff user."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from curriculum.kernel import clock
from curriculum.models import Assignment
from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ModuleFactory,
    ProgramFactory,
    RubricCriterionFactory,
    StaffFactory,
)
from tests.learners.factories import EnrollmentFactory, LearnerFactory
from tests.mentors.factories import MentorFactory, MentorUserFactory, PairingFactory

PASSWORD = "pw-Stride-2026"


@dataclass
class World:
    program: object
    cohort: object
    module: object
    exercise: object
    project: object
    final: object
    criteria: list
    learner: object
    enrollment: object
    mentor: object
    other_learner: object
    other_enrollment: object
    other_mentor: object
    staff: object


@pytest.fixture
def world(db) -> World:
    program = ProgramFactory(name="ML Engineering & AI", slug="ml-eng", length_weeks=26)
    cohort = CohortFactory(
        program=program, name="Spring", start_date=timezone.now().date() - dt.timedelta(weeks=4)
    )
    module = ModuleFactory(
        program=program, order=1, title="Python for ML", start_week=1, end_week=4
    )
    ModuleFactory(program=program, order=2, title="Deep learning", start_week=5, end_week=10)
    exercise = AssignmentFactory(
        program=program, module=module, order=1, title="NumPy drills", due_week=2, weight=1
    )
    project = AssignmentFactory(
        program=program,
        module=module,
        order=2,
        title="Linear regression",
        due_week=6,
        weight=3,
        kind=Assignment.Kind.PROJECT,
    )
    final = AssignmentFactory(
        program=program,
        module=None,
        order=3,
        title="Capstone demo",
        due_week=26,
        weight=5,
        kind=Assignment.Kind.MILESTONE,
    )
    criteria = [
        RubricCriterionFactory(assignment=exercise, order=1, name="Correctness", max_score=4),
        RubricCriterionFactory(assignment=exercise, order=2, name="Clarity", max_score=3),
    ]
    learner = LearnerFactory(username="lena", first_name="Lena", last_name="Learner")
    enrollment = EnrollmentFactory(cohort=cohort, learner=learner)
    mentor = MentorFactory(
        user=MentorUserFactory(username="max", first_name="Max", last_name="Mentor")
    )
    PairingFactory(enrollment=enrollment, mentor=mentor)
    other_learner = LearnerFactory(username="otto", first_name="Otto", last_name="Other")
    other_enrollment = EnrollmentFactory(cohort=cohort, learner=other_learner)
    other_mentor = MentorFactory(
        user=MentorUserFactory(username="mia", first_name="Mia", last_name="Mentor"), capacity=1
    )
    PairingFactory(enrollment=other_enrollment, mentor=other_mentor)
    staff = StaffFactory(username="sam", first_name="Sam", last_name="Staff")
    return World(
        program,
        cohort,
        module,
        exercise,
        project,
        final,
        criteria,
        learner,
        enrollment,
        mentor,
        other_learner,
        other_enrollment,
        other_mentor,
        staff,
    )


@pytest.fixture
def today(world):
    return clock.today(world.cohort.timezone)


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client
