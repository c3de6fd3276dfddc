"""What the bad-input suites share: the tables a refused write must leave untouched, and how far
hypothesis may go per test."""

from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, settings

from curriculum.models import Assignment, Cohort, Module, Program, RubricCriterion
from learners.models import Enrollment, HelpRequest, Pause, ProgressLog, Submission
from mentors.models import Mentor, MentorSession, Pairing, Review
from tracker.models import UserPreferences

WATCHED_MODELS = [
    get_user_model(),
    Program,
    Module,
    Assignment,
    RubricCriterion,
    Cohort,
    Enrollment,
    Pause,
    ProgressLog,
    Submission,
    HelpRequest,
    Mentor,
    Pairing,
    MentorSession,
    Review,
    UserPreferences,
]

HYPOTHESIS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
