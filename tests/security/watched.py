"""What the bad-input suites share: the tables a refused write must leave untouched, how far
hypothesis may go per test, and how one bad value is tried."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

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


def today_iso(offset_days: int = 0) -> str:
    return (timezone.now().date() + dt.timedelta(days=offset_days)).isoformat()


def one_bad_field(bad_values: dict[str, list]) -> st.SearchStrategy[tuple[str, Any]]:
    """A ``(field, value)`` pair: one of the fields, then one of that field's bad values."""
    return st.sampled_from(sorted(bad_values)).flatmap(
        lambda field: st.tuples(st.just(field), st.sampled_from(bad_values[field]))
    )


@contextmanager
def rolled_back(field: str | None = None, value: Any = None) -> Iterator[None]:
    """One try of a bad value, with throttle counts cleared first, in a transaction that is
    always undone. Given the field and value, a failed check names them."""
    cache.clear()
    with transaction.atomic():
        try:
            yield
        except AssertionError as failure:
            if field is None:
                raise
            raise AssertionError(f"{field}={str(value)[:80]!r}: {failure}") from None
        finally:
            transaction.set_rollback(True)
