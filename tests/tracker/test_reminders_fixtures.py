"""Fixtures for the reminder and notification tests: one cohort under way, frozen clocks.

Imported by the test modules that use them (a module, not a conftest, so the fixtures reach
only the tests that ask for them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from unittest import mock

import pytest

from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ProgramFactory,
    StaffFactory,
)
from tests.learners.factories import EnrollmentFactory
from tests.mentors.factories import MentorFactory, PairingFactory
from tracker import jobs
from tracker.celery import app as celery_app

# A Monday; the cohort starts four weeks before it.
COHORT_START = dt.date(2026, 2, 2)


def at(year, month, day, hour=12, minute=0, tz=dt.UTC) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


@dataclass
class Bootcamp:
    cohort: object
    assignment: object
    enrollment: object
    learner: object
    mentor: object
    pairing: object
    staff: object


@pytest.fixture(name="frozen")
def frozen_fixture(clock):
    """``frozen(moment)`` moves the one clock (the root ``clock``) to ``moment``."""

    def move(moment: dt.datetime):
        clock.move_to(moment)
        return moment

    return move


@pytest.fixture(name="bootcamp")
def bootcamp_fixture(db, frozen) -> Bootcamp:
    frozen(at(2026, 2, 2, 9))
    program = ProgramFactory(length_weeks=26)
    cohort = CohortFactory(program=program, start_date=COHORT_START, timezone="UTC")
    # Due at the start of week 5: Monday 2026-03-09.
    assignment = AssignmentFactory(program=program, due_week=5, title="Linear models")
    enrollment = EnrollmentFactory(cohort=cohort)
    mentor = MentorFactory()
    pairing = PairingFactory(enrollment=enrollment, mentor=mentor)
    staff = StaffFactory()
    return Bootcamp(
        cohort=cohort,
        assignment=assignment,
        enrollment=enrollment,
        learner=enrollment.learner,
        mentor=mentor,
        pairing=pairing,
        staff=staff,
    )


@pytest.fixture(name="eager_celery")
def eager_celery_fixture():
    """Run published tasks in-process (the delivery path end to end, without a broker)."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@dataclass
class Broker:
    """What the code handed to the broker, as ``(task name, args)`` in order."""

    sent: list[tuple[str, list]] = field(default_factory=list)
    failure: BaseException | None = None

    def send_task(self, name, args=None, **options):
        if self.failure is not None:
            raise self.failure
        self.sent.append((name, list(args or [])))

    def of(self, name: str) -> list[list]:
        """The args of every message of the task ``name``."""
        return [args for sent_name, args in self.sent if sent_name == name]

    def down(self) -> None:
        """Refuse every publish as an unreachable broker does."""
        self.failure = OSError("connection refused")

    def up(self) -> None:
        """Reachable again, and this process's memory of the outage forgotten."""
        self.failure = None
        jobs.broker_backoff_reset()


@pytest.fixture(name="broker")
def broker_fixture():
    """The broker as the publishing code sees it: ``broker.sent``, ``broker.down()``."""
    broker = Broker()
    jobs.broker_backoff_reset()
    with mock.patch.object(celery_app, "send_task", broker.send_task):
        yield broker
    jobs.broker_backoff_reset()
